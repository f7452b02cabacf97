{#- Text to a UTC timestamp without time zone; NULL when the text is not a timestamp.
    A value without an offset is UTC (contract §1); the session time zone is UTC (profiles.yml). -#}
{% macro parse_utc_timestamp(text) -%}
    {{ return(adapter.dispatch('parse_utc_timestamp', 'journey_tracker')(text)) }}
{%- endmacro %}

{% macro default__parse_utc_timestamp(text) -%}
    cast({{ text }} as {{ dbt.type_timestamp() }})
{%- endmacro %}

{% macro duckdb__parse_utc_timestamp(text) -%}
    (try_cast({{ text }} as timestamptz) at time zone 'UTC')
{%- endmacro %}

{#- Spark's cast reads an offset or zone when there is one, else the session time zone (UTC,
    profiles.yml); it also takes '2026' or '2026-03' as timestamps, which DuckDB rejects,
    so a full date is required first. A failed cast is NULL (dbt-spark turns ANSI mode off). -#}
{% macro spark__parse_utc_timestamp(text) -%}
    case when {{ text }} rlike '^[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}' then cast({{ text }} as timestamp) end
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

{% macro spark__seconds_between(start_at, end_at) -%}
    (cast(unix_micros({{ end_at }}) - unix_micros({{ start_at }}) as double) / 1000000)
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

{% macro spark__add_hours(timestamp, hours) -%}
    timestamp_micros(unix_micros({{ timestamp }}) + cast(round({{ hours }} * 3600000000) as bigint))
{%- endmacro %}
