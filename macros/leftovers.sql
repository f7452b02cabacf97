{#- on-run-start: drop the tables of templates that no longer exist (docs/incremental.md).
    `journeys compile` removes a deleted template's model file; its table would stay in the
    warehouse, read by nothing and looking current. Dropped: relations of the target schema
    named int_trigger_matches__<name> (<name> as template names are written) that no model of
    the project builds, nor a model's copy-on-write table on Spark (<model>__journeys_kept,
    <model>__journeys_previous: macros/incremental.sql manages those). Nothing else. -#}
{% macro journeys_drop_removed_templates() -%}
    {%- if not execute -%}{{ return('') }}{%- endif -%}
    {%- set prefix = 'int_trigger_matches__' -%}
    {%- set models = [] -%}
    {%- for node in graph.nodes.values() -%}
        {%- if node.resource_type == 'model' and node.package_name == project_name -%}
            {%- do models.append((node.alias or node.name) | lower) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- for identifier, kind in journeys_relations_named_like(prefix) -%}
        {%- set name = identifier | lower -%}
        {%- set base = modules.re.sub('__journeys_(kept|previous)$', '', name) -%}
        {%- if modules.re.fullmatch(prefix ~ '[a-z][a-z0-9_]*', name) and name not in models and base not in models -%}
            {{ log('Dropping ' ~ identifier ~ ': no template builds it any more', info=true) }}
            {%- do adapter.drop_relation(api.Relation.create(
                database=target.database if target.type != 'spark' else none,
                schema=target.schema, identifier=identifier, type=kind)) -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return('') }}
{%- endmacro %}


{#- (identifier, 'table' or 'view') of the target schema's relations whose name starts with `prefix`. -#}
{% macro journeys_relations_named_like(prefix) -%}
    {{ return(adapter.dispatch('journeys_relations_named_like', 'journey_tracker')(prefix)) }}
{%- endmacro %}

{% macro default__journeys_relations_named_like(prefix) -%}
    {%- set query -%}
        select table_name, table_type
        from information_schema.tables
        where table_catalog = '{{ target.database }}'
            and table_schema = '{{ target.schema }}'
            and lower(table_name) like '{{ prefix | replace('_', '\\_') }}%' escape '\'
    {%- endset -%}
    {%- set found = [] -%}
    {%- for row in run_query(query).rows -%}
        {%- do found.append((row[0], 'view' if row[1] == 'VIEW' else 'table')) -%}
    {%- endfor -%}
    {{ return(found) }}
{%- endmacro %}

{#- The project's models of this prefix are tables; SHOW TABLES lists views too, and cannot tell them apart. -#}
{% macro spark__journeys_relations_named_like(prefix) -%}
    {%- set found = [] -%}
    {%- for row in run_query("show tables in " ~ target.schema ~ " like '" ~ prefix ~ "*'").rows -%}
        {%- if not row['isTemporary'] -%}
            {%- do found.append((row['tableName'], 'table')) -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return(found) }}
{%- endmacro %}
