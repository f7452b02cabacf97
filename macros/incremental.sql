{#- Incremental runs (docs/incremental.md). Each run recomputes whole conversations: those
    that received raw rows since the last completed run, those sharing an event_id with such
    rows, and those with an open journey that has a deadline (the as-of time moved, so it may
    have timed out). stg_refresh_conversations holds that set; every engine model deletes
    those conversations (pre-hook, in the same transaction as the insert) and inserts them
    again from their full history. A completed run is recorded in journeys_run_manifest by
    the on-run-end hook; a run that dies before it is simply redone by the next one. -#}

{% macro journeys_manifest_relation() -%}
    {{ return(api.Relation.create(database=target.database, schema=target.schema, identifier='journeys_run_manifest')) }}
{%- endmacro %}


{#- ` and <column> in (refresh set)` on incremental runs; nothing on full builds. -#}
{% macro journeys_refresh_filter(column, keyword='and') -%}
    {%- if is_incremental() -%}
        {{ keyword }} {{ column }} in (select conversation_id from {{ ref('stg_refresh_conversations') }})
    {%- endif -%}
{%- endmacro %}


{#- Pre-hook of every incremental engine model: drop the conversations about to be rebuilt. -#}
{% macro journeys_delete_refreshed(column='conversation_id') -%}
    {{ return(adapter.dispatch('journeys_delete_refreshed', 'journey_tracker')(column)) }}
{%- endmacro %}

{% macro default__journeys_delete_refreshed(column='conversation_id') -%}
    {%- if is_incremental() -%}
        delete from {{ this }}
        where coalesce({{ column }}, '') in (select conversation_id from {{ ref('stg_refresh_conversations') }})
    {%- else -%}
        select 1
    {%- endif -%}
{%- endmacro %}


{#- on-run-end: record a run in which no model failed, with what it processed. -#}
{% macro journeys_record_run(results) -%}
    {{ return(adapter.dispatch('journeys_record_run', 'journey_tracker')(results)) }}
{%- endmacro %}

{% macro default__journeys_record_run(results) -%}
    {%- if not execute -%}{{ return('') }}{%- endif -%}
    {%- set models = results | selectattr('node.resource_type', 'equalto', 'model') | list -%}
    {%- set failed = models | selectattr('status', 'in', ['error', 'runtime error', 'skipped']) | list -%}
    {#- a run that left out an engine model (--select) has not caught up: don't record it -#}
    {%- set built = models | map(attribute='node.name') | list -%}
    {%- if 'journeys' not in built or 'journey_milestones' not in built -%}{{ return('') }}{%- endif -%}
    {%- set validated = adapter.get_relation(database=target.database, schema=target.schema, identifier='stg_events__validated') -%}
    {%- set definitions = adapter.get_relation(database=target.database, schema=target.schema, identifier='int_template_definitions') -%}
    {%- if failed or validated is none or definitions is none -%}{{ return('') }}{%- endif -%}
    {%- set manifest = journeys_manifest_relation() -%}
    create table if not exists {{ manifest }} (
        recorded_at {{ dbt.type_timestamp() }},
        loaded_until {{ dbt.type_timestamp() }},
        template_fingerprint {{ dbt.type_string() }},
        as_of_setting {{ dbt.type_string() }}
    );
    insert into {{ manifest }}
    select
        {{ dbt.current_timestamp() }},
        (select max(loaded_at) from {{ validated }}),
        (select {{ journeys_template_fingerprint() }} from {{ definitions }}),
        '{{ var("journeys_as_of", "") | replace("'", "") }}';
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
            where coalesce({{ column }}, '') not in (select conversation_id from {{ ref('stg_refresh_conversations') }})
        {%- endcall -%}
        {%- do run_query('alter table ' ~ this ~ ' rename to ' ~ previous) -%}
        {%- do run_query('alter table ' ~ kept ~ ' rename to ' ~ this) -%}
        {%- do run_query('drop table if exists ' ~ previous) -%}
        select 1
    {%- endif -%}
{%- endmacro %}


{#- The same record, one statement at a time. -#}
{% macro spark__journeys_record_run(results) -%}
    {%- if not execute -%}{{ return('') }}{%- endif -%}
    {%- set models = results | selectattr('node.resource_type', 'equalto', 'model') | list -%}
    {%- set failed = models | selectattr('status', 'in', ['error', 'runtime error', 'skipped']) | list -%}
    {%- set built = models | map(attribute='node.name') | list -%}
    {%- if 'journeys' not in built or 'journey_milestones' not in built -%}{{ return('') }}{%- endif -%}
    {%- set validated = adapter.get_relation(database=target.database, schema=target.schema, identifier='stg_events__validated') -%}
    {%- set definitions = adapter.get_relation(database=target.database, schema=target.schema, identifier='int_template_definitions') -%}
    {%- if failed or validated is none or definitions is none -%}{{ return('') }}{%- endif -%}
    {#- Spark has no database level above the schema (target.database is undefined there) -#}
    {%- set manifest = api.Relation.create(schema=target.schema, identifier='journeys_run_manifest') -%}
    {%- do run_query(
        'create table if not exists ' ~ manifest ~ ' (recorded_at timestamp, loaded_until timestamp,'
        ~ ' template_fingerprint string, as_of_setting string) using parquet') -%}
    insert into {{ manifest }}
    select
        {{ dbt.current_timestamp() }},
        (select max(loaded_at) from {{ validated }}),
        (select {{ journeys_template_fingerprint() }} from {{ definitions }}),
        '{{ var("journeys_as_of", "") | replace("'", "") }}'
{%- endmacro %}


{#- dbt's listagg ignores the order on Spark: sort the collected list instead. -#}
{% macro spark__journeys_template_fingerprint() -%}
    coalesce(array_join(array_sort(collect_list(concat(template_name, ':', template_version))), ','), '')
{%- endmacro %}
