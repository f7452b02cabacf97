{#- Text to a UTC timestamp without time zone; NULL when the text is not a timestamp.
    A value without an offset is UTC (contract 1); the session time zone is UTC (profiles.yml). -#}
{% macro parse_utc_timestamp(text) -%}
    {{ return(adapter.dispatch('parse_utc_timestamp', 'journey_tracker')(text)) }}
{%- endmacro %}

{% macro default__parse_utc_timestamp(text) -%}
    cast({{ text }} as {{ dbt.type_timestamp() }})
{%- endmacro %}

{% macro duckdb__parse_utc_timestamp(text) -%}
    (try_cast({{ text }} as timestamptz) at time zone 'UTC')
{%- endmacro %}


{#- Seconds from one timestamp to another, with sub-second precision. -#}
{% macro seconds_between(start_at, end_at) -%}
    {{ return(adapter.dispatch('seconds_between', 'journey_tracker')(start_at, end_at)) }}
{%- endmacro %}

{% macro default__seconds_between(start_at, end_at) -%}
    ({{ dbt.datediff(start_at, end_at, 'millisecond') }} / 1000.0)
{%- endmacro %}

{% macro duckdb__seconds_between(start_at, end_at) -%}
    (epoch_us({{ end_at }}) - epoch_us({{ start_at }})) / 1000000.0
{%- endmacro %}


{#- A timestamp plus a (possibly fractional) number of hours, to the microsecond. -#}
{% macro add_hours(timestamp, hours) -%}
    {{ return(adapter.dispatch('add_hours', 'journey_tracker')(timestamp, hours)) }}
{%- endmacro %}

{% macro default__add_hours(timestamp, hours) -%}
    {{ dbt.dateadd('second', hours ~ ' * 3600', timestamp) }}
{%- endmacro %}

{% macro duckdb__add_hours(timestamp, hours) -%}
    ({{ timestamp }} + to_microseconds(cast(round({{ hours }} * 3600000000) as bigint)))
{%- endmacro %}
