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


{#- Why a timestamp text is not an event time (contract §1.3), or NULL when it is one:
    '<column> is not a real instant' for `infinity`, `-infinity`, `epoch`, an offset beyond
    ±18:00 (or with minutes or seconds over 59), a year written with a sign, BC or other than
    four digits, a year before 1900, or a UTC time outside the years 1900-9999 (an offset can
    move 1900-01-01 into 1899); 'unparseable <column>' for any other text the warehouse cannot
    read. What the text says is decided from the text first, so every warehouse gives the same
    reason (DuckDB reads `infinity`, `+25:00` and year 294247; Spark reads none of them).
    `text` is trimmed and NULL when blank; `parsed` is parse_utc_timestamp(text). -#}
{% macro timestamp_rejection(column, text, parsed) -%}
    case
        when {{ text }} is null then null
        when not ({{ timestamp_text_is_real_instant(text) }}) then '{{ column }} is not a real instant'
        when {{ parsed }} is null then 'unparseable {{ column }}'
        when extract(year from {{ parsed }}) not between 1900 and 9999 then '{{ column }} is not a real instant'
    end
{%- endmacro %}

{#- The text-level half of timestamp_rejection: false when the text names a special value,
    an impossible offset or a year outside 1900-9999 (docs/semantics.md "Timestamps that are
    not real instants"). Patterns use character classes, no backslashes, so that they read the
    same in every warehouse's string literals. -#}
{% macro timestamp_text_is_real_instant(text) -%}
    {%- set special = "'(?i)^[+-]?(infinity|epoch)$'" -%}
    {%- set bc = "'(?i)(^|[^a-z])bc([^a-z]|$)'" -%}
    {%- set year = "'^([+-]?)([0-9]+)-'" -%}
    {%- set offset = "'[0-9]:[0-9]{2}(:[0-9]{2})?([.,][0-9]*)? ?[+-]([0-9]{1,2})(:?([0-9]{2}))?(:?([0-9]{2}))?$'" -%}
    {%- set hours = "cast(nullif(regexp_extract(" ~ text ~ ", " ~ offset ~ ", 3), '') as int)" -%}
    {%- set minutes = "coalesce(cast(nullif(regexp_extract(" ~ text ~ ", " ~ offset ~ ", 5), '') as int), 0)" -%}
    {%- set seconds = "coalesce(cast(nullif(regexp_extract(" ~ text ~ ", " ~ offset ~ ", 7), '') as int), 0)" -%}
    not {{ journeys_regexp_search(text, special) }}
    and not {{ journeys_regexp_search(text, bc) }}
    and (
        not {{ journeys_regexp_search(text, year) }}
        or (regexp_extract({{ text }}, {{ year }}, 1) = ''
            and length(regexp_extract({{ text }}, {{ year }}, 2)) = 4
            and regexp_extract({{ text }}, {{ year }}, 2) >= '1900')
    )
    and (
        not {{ journeys_regexp_search(text, offset) }}
        or ({{ hours }} * 3600 + {{ minutes }} * 60 + {{ seconds }} <= 18 * 3600
            and {{ minutes }} <= 59 and {{ seconds }} <= 59)
    )
{%- endmacro %}

{#- Whether a regular expression (a quoted SQL literal) matches anywhere in the text. -#}
{% macro journeys_regexp_search(text, pattern) -%}
    {{ return(adapter.dispatch('journeys_regexp_search', 'journey_tracker')(text, pattern)) }}
{%- endmacro %}

{% macro default__journeys_regexp_search(text, pattern) -%}
    regexp_like({{ text }}, {{ pattern }})
{%- endmacro %}

{% macro duckdb__journeys_regexp_search(text, pattern) -%}
    regexp_matches({{ text }}, {{ pattern }})
{%- endmacro %}

{% macro spark__journeys_regexp_search(text, pattern) -%}
    ({{ text }} rlike {{ pattern }})
{%- endmacro %}


{#- How many minutes an event's occurred_at may lie after its ingested_at (contract §1.3,
    reason 'occurred_at in the future'): the `journeys_future_tolerance_minutes` var, whose
    default is in dbt_project.yml. A number of minutes, 0 or more; anything else stops the build. -#}
{% macro journeys_future_tolerance_minutes() -%}
    {%- set raw = var('journeys_future_tolerance_minutes') -%}
    {%- set text = (raw | string) | trim -%}
    {%- if not modules.re.fullmatch('[0-9]+([.][0-9]+)?', text) -%}
        {{ exceptions.raise_compiler_error(
            "var journeys_future_tolerance_minutes '" ~ text ~ "' is not a number of minutes; "
            ~ "use 0 or more, like 60 (dbt_project.yml vars or --vars)") }}
    {%- endif -%}
    {{ return(text) }}
{%- endmacro %}

{#- True when occurred_at lies more than the tolerance after ingested_at (both UTC). -#}
{% macro occurred_in_future(occurred_at, ingested_at) -%}
    {{ seconds_between(ingested_at, occurred_at) }} > {{ journeys_future_tolerance_minutes() }} * 60
{%- endmacro %}
