{#- Incremental runs (docs/incremental.md). Each run recomputes whole conversations: those
    that received raw rows since the last completed run and those sharing an event_id with
    such rows (stg_refresh_conversations), plus those with a start candidate whose deadline
    the moved as-of time has now passed (int_refresh_conversations). Every incremental model
    deletes those conversations (pre-hook, in the same transaction as the insert) and
    inserts them again from their full history. A completed run is recorded in
    journeys_run_manifest by the on-run-end hook; a run that dies before it is simply redone
    by the next one. -#}

{% macro journeys_manifest_relation() -%}
    {{ return(api.Relation.create(database=target.database, schema=target.schema, identifier='journeys_run_manifest')) }}
{%- endmacro %}


{#- A table of this project as the previous run left it, or none when it does not exist
    (yet): what a model reads without ref(), to avoid a cycle, or what a hook reads. -#}
{% macro journeys_built_relation(identifier) -%}
    {%- if not execute -%}{{ return(none) }}{%- endif -%}
    {{ return(adapter.get_relation(database=target.database, schema=target.schema, identifier=identifier)) }}
{%- endmacro %}


{#- The refresh set a model reads: staging rebuilds the conversations with new raw rows
    (stg_refresh_conversations); everything after staging also rebuilds those whose journeys
    change because the as-of time moved (int_refresh_conversations). Each model names the one
    it reads in a `-- depends_on:` comment. -#}
{% macro journeys_refresh_set() -%}
    {%- if 'staging' in model.fqn -%}
        {{ return(ref('stg_refresh_conversations')) }}
    {%- else -%}
        {{ return(ref('int_refresh_conversations')) }}
    {%- endif -%}
{%- endmacro %}


{#- ` and <column> in (refresh set)` on incremental runs; nothing on full builds. -#}
{% macro journeys_refresh_filter(column, keyword='and') -%}
    {%- if is_incremental() -%}
        {{ keyword }} {{ column }} in (select conversation_id from {{ journeys_refresh_set() }})
    {%- endif -%}
{%- endmacro %}


{#- Pre-hook of every incremental engine model: drop the conversations about to be rebuilt. -#}
{% macro journeys_delete_refreshed(column='conversation_id') -%}
    {{ return(adapter.dispatch('journeys_delete_refreshed', 'journey_tracker')(column)) }}
{%- endmacro %}

{% macro default__journeys_delete_refreshed(column='conversation_id') -%}
    {%- if is_incremental() -%}
        delete from {{ this }}
        where coalesce({{ column }}, '') in (select conversation_id from {{ journeys_refresh_set() }})
    {%- else -%}
        select 1
    {%- endif -%}
{%- endmacro %}


{#- on-run-end: record a run in which no model failed, with what it processed. -#}
{% macro journeys_record_run(results) -%}
    {{ return(adapter.dispatch('journeys_record_run', 'journey_tracker')(results)) }}
{%- endmacro %}

{% macro default__journeys_record_run(results) -%}
    {%- set relations = journeys_run_record_inputs(results) -%}
    {%- if relations is none -%}{{ return('') }}{%- endif -%}
    {%- set manifest = journeys_manifest_relation() -%}
    create table if not exists {{ manifest }} (
        recorded_at {{ dbt.type_timestamp() }},
        loaded_until {{ dbt.type_timestamp() }},
        template_fingerprint {{ dbt.type_string() }},
        as_of_setting {{ dbt.type_string() }},
        as_of_at {{ dbt.type_timestamp() }},
        catalog_fingerprint {{ dbt.type_string() }},
        rules_fingerprint {{ dbt.type_string() }}
    );
    {#- manifests written before these were recorded -#}
    alter table {{ manifest }} add column if not exists as_of_at {{ dbt.type_timestamp() }};
    alter table {{ manifest }} add column if not exists catalog_fingerprint {{ dbt.type_string() }};
    alter table {{ manifest }} add column if not exists rules_fingerprint {{ dbt.type_string() }};
    insert into {{ manifest }} (recorded_at, loaded_until, template_fingerprint, as_of_setting, as_of_at,
        catalog_fingerprint, rules_fingerprint)
    {{ journeys_run_record_row(relations) }};
{%- endmacro %}


{#- The validated, accepted events and definitions relations when `results` is a run worth
    recording (no model failed, and both journey tables were built: a --select of part of
    the graph has not caught up); none otherwise. -#}
{% macro journeys_run_record_inputs(results) -%}
    {%- if not execute -%}{{ return(none) }}{%- endif -%}
    {%- set models = results | selectattr('node.resource_type', 'equalto', 'model') | list -%}
    {%- set failed = models | selectattr('status', 'in', ['error', 'runtime error', 'skipped']) | list -%}
    {%- set built = models | map(attribute='node.name') | list -%}
    {%- if failed or 'journeys' not in built or 'journey_milestones' not in built -%}{{ return(none) }}{%- endif -%}
    {%- set relations = {} -%}
    {%- for name in ['stg_events__validated', 'stg_events', 'int_template_definitions', 'event_catalog'] -%}
        {%- set relation = journeys_built_relation(name) -%}
        {%- if relation is none -%}{{ return(none) }}{%- endif -%}
        {%- do relations.update({name: relation}) -%}
    {%- endfor -%}
    {{ return(relations) }}
{%- endmacro %}


{#- The manifest row of a completed run: what it loaded, the templates, the as-of time, the
    catalog and the rules (macros/fingerprints.sql). -#}
{% macro journeys_run_record_row(relations) -%}
    select
        {{ dbt.current_timestamp() }},
        (select max(loaded_at) from {{ relations['stg_events__validated'] }}),
        (select {{ journeys_template_fingerprint() }} from {{ relations['int_template_definitions'] }}),
        '{{ journeys_as_of_setting() }}',
        {{ journeys_as_of(relations['stg_events']) }},
        (select {{ journeys_catalog_fingerprint() }} from {{ relations['event_catalog'] }}),
        {{ journeys_rules_fingerprint() }}
{%- endmacro %}


{#- One text that changes when any template is added, removed or edited. -#}
{% macro journeys_template_fingerprint() -%}
    {{ return(adapter.dispatch('journeys_template_fingerprint', 'journey_tracker')()) }}
{%- endmacro %}

{% macro default__journeys_template_fingerprint() -%}
    coalesce({{ dbt.listagg(dbt.concat(['template_name', "':'", 'template_version']), "','", 'order by template_name') }}, '')
{%- endmacro %}



{#- ---------------------------------------------------------------- Spark (docs/warehouses.md)

    Spark runs one statement per call and cannot DELETE from plain Parquet tables. -#}

{#- Delta, Iceberg and Hudi tables take the DELETE as on DuckDB. A Parquet table is rewritten
    without the refreshed conversations (copy on write): the kept rows go to a new table that
    then takes the model's name by two renames, so a run killed at any point leaves either the
    whole old table, or the kept rows (the next run recomputes the same conversations, as the
    manifest was not written), or no table (the next run builds the model from scratch). -#}
{% macro spark__journeys_delete_refreshed(column='conversation_id') -%}
    {%- if not (execute and is_incremental()) -%}
        select 1
    {%- elif config.get('file_format', 'parquet') in ('delta', 'iceberg', 'hudi') -%}
        {{ default__journeys_delete_refreshed(column) }}
    {%- else -%}
        {%- set kept = this.incorporate(path={'identifier': this.identifier ~ '__journeys_kept'}) -%}
        {%- set previous = this.incorporate(path={'identifier': this.identifier ~ '__journeys_previous'}) -%}
        {%- do run_query('drop table if exists ' ~ kept) -%}
        {%- do run_query('drop table if exists ' ~ previous) -%}
        {%- call statement('journeys_keep') -%}
            create table {{ kept }} using parquet as
            select * from {{ this }}
            where coalesce({{ column }}, '') not in (select conversation_id from {{ journeys_refresh_set() }})
        {%- endcall -%}
        {%- do run_query('alter table ' ~ this ~ ' rename to ' ~ previous) -%}
        {%- do run_query('alter table ' ~ kept ~ ' rename to ' ~ this) -%}
        {%- do run_query('drop table if exists ' ~ previous) -%}
        select 1
    {%- endif -%}
{%- endmacro %}


{#- The same record, one statement at a time. -#}
{% macro spark__journeys_record_run(results) -%}
    {%- set relations = journeys_run_record_inputs(results) -%}
    {%- if relations is none -%}{{ return('') }}{%- endif -%}
    {#- Spark has no database level above the schema (target.database is undefined there) -#}
    {%- set manifest = api.Relation.create(schema=target.schema, identifier='journeys_run_manifest') -%}
    {%- do run_query(
        'create table if not exists ' ~ manifest ~ ' (recorded_at timestamp, loaded_until timestamp,'
        ~ ' template_fingerprint string, as_of_setting string, as_of_at timestamp,'
        ~ ' catalog_fingerprint string, rules_fingerprint string) using parquet') -%}
    {#- manifests written before the catalog and rules were recorded -#}
    {%- set columns = adapter.get_columns_in_relation(manifest) | map(attribute='name') | map('lower') | list -%}
    {%- if 'catalog_fingerprint' not in columns -%}
        {%- do run_query('alter table ' ~ manifest ~ ' add columns (catalog_fingerprint string, rules_fingerprint string)') -%}
    {%- endif -%}
    insert into {{ manifest }}
    {{ journeys_run_record_row(relations) }}
{%- endmacro %}


{#- dbt's listagg ignores the order on Spark: sort the collected list instead. -#}
{% macro spark__journeys_template_fingerprint() -%}
    coalesce(array_join(array_sort(collect_list(concat(template_name, ':', template_version))), ','), '')
{%- endmacro %}
