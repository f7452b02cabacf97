{#- A sequence number after every event of any conversation: orders a point after all events
    that share its timestamp. -#}
{% macro journeys_max_seq() -%}
    cast(9223372036854775807 as {{ dbt.type_bigint() }})
{%- endmacro %}
