{#- What the staged and computed rows depend on besides the events (docs/incremental.md):
    when one of these differs from the last completed run's, the next run recomputes every
    conversation. The template fingerprint (journeys_template_fingerprint) covers the
    templates' definitions; these cover the rest. -#}


{#- The event types of the catalog, sorted: all of the catalog that staging reads (an event
    whose type is not listed is rejected). Other catalog columns are descriptions. -#}
{% macro journeys_catalog_fingerprint() -%}
    {{ return(adapter.dispatch('journeys_catalog_fingerprint', 'journey_tracker')()) }}
{%- endmacro %}

{% macro default__journeys_catalog_fingerprint() -%}
    coalesce({{ dbt.listagg('event_type', "','", 'order by event_type') }}, '')
{%- endmacro %}

{#- dbt's listagg ignores the order on Spark: sort the collected list instead. -#}
{% macro spark__journeys_catalog_fingerprint() -%}
    coalesce(array_join(array_sort(collect_list(event_type)), ','), '')
{%- endmacro %}


{#- A hash of the rules that turn events into rows: every model file of this project (the
    generated ones too: a compiler change alters them while the templates stay the same) and
    every macro of the project, plus the dbt version and the warehouse type (dbt's own macros,
    e.g. listagg, change with them) and the future tolerance var (staging rejects by it). Any
    edit recomputes everything once: simpler than knowing which edit changes which rows, and
    exact. A quoted SQL string literal (hex digits only). -#}
{% macro journeys_rules_fingerprint() -%}
    {%- if not execute -%}{{ return("''") }}{%- endif -%}
    {%- set parts = [dbt_version, target.type, 'future tolerance ' ~ journeys_future_tolerance_minutes()] -%}
    {%- for node in graph.nodes.values() | sort(attribute='unique_id') -%}
        {%- if node.resource_type == 'model' and node.package_name == project_name -%}
            {%- do parts.append(node.unique_id ~ ' ' ~ node.checksum.checksum) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- set macros = context[project_name] -%}
    {%- for name in macros | sort -%}
        {%- do parts.append(name ~ ' ' ~ local_md5(macros[name].macro.macro_sql)) -%}
    {%- endfor -%}
    {{ return("'" ~ local_md5(parts | join('\n')) ~ "'") }}
{%- endmacro %}
