{#- The moment journey state is computed at (contract 3.2.5): the `journeys_as_of` var when
    given, else the latest occurred_at among accepted events. Events after it are ignored.
    `events` is the accepted events' relation where ref() is not available (run hooks). -#}
{% macro journeys_as_of(events=none) -%}
    {%- set as_of = var('journeys_as_of', '') -%}
    {%- if as_of -%}
        cast('{{ as_of | replace("'", "") }}' as {{ dbt.type_timestamp() }})
    {%- else -%}
        (select max(occurred_at) from {{ ref('stg_events') if events is none else events }})
    {%- endif -%}
{%- endmacro %}
