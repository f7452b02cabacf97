{#- Stable journey id (contract §3.5): a hash of the template name and the start event id.
    Template names cannot contain '|', so the pair is unambiguous. -#}
{% macro journey_id(template_name, start_event_id) -%}
    {{ dbt.hash(dbt.concat([template_name, "'|'", start_event_id])) }}
{%- endmacro %}
