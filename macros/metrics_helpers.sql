{#- Small helpers of the metric marts (models/marts/_metrics.yml). -#}

{#- numerator / denominator as a double; NULL when the denominator is 0 or NULL. -#}
{% macro metrics_share(numerator, denominator) -%}
    (cast({{ numerator }} as {{ metrics_type_double() }}) / nullif({{ denominator }}, 0))
{%- endmacro %}


{#- A breakdown value as shown in the marts: missing (NULL or empty) is '(none)'. -#}
{% macro metrics_dimension_value(column) -%}
    coalesce(nullif({{ column }}, ''), '(none)')
{%- endmacro %}


{#- The breakdowns of every metric mart, as (dimension, start-event column); besides them each
    mart has the unfiltered dimension 'all' (value 'all'). -#}
{% macro metrics_breakdowns() -%}
    {{ return([('channel', 'channel'), ('team', 'team_id'), ('agent', 'agent_id')]) }}
{%- endmacro %}


{#- Select-list items: each breakdown's value of the row, as <dimension>_value. -#}
{% macro metrics_breakdown_values() -%}
    {%- for dimension, column in metrics_breakdowns() -%}
        {{ metrics_dimension_value(column) }} as {{ dimension }}_value{{ ',' if not loop.last }}
    {% endfor -%}
{%- endmacro %}


{#- GROUP BY the grain once unfiltered and once per breakdown (one scan, no join to a long
    breakdown table); metrics_breakdown_dimension() names the group in the select list. -#}
{% macro metrics_group_by_breakdowns(grain) -%}
    grouping sets (
        ({{ grain | join(', ') }}),
        {%- for dimension, column in metrics_breakdowns() %}
        ({{ grain | join(', ') }}, {{ dimension }}_value){{ ',' if not loop.last }}
        {%- endfor %}
    )
{%- endmacro %}


{#- Select-list items naming a metrics_group_by_breakdowns() group: dimension, dimension_value.
    The <dimension>_value columns are never null, so the one grouped on is the non-null one. -#}
{% macro metrics_breakdown_dimension() -%}
    case
        {%- for dimension, column in metrics_breakdowns() %}
        when grouping({{ dimension }}_value) = 0 then '{{ dimension }}'
        {%- endfor %}
        else 'all'
    end as dimension,
    coalesce({% for dimension, column in metrics_breakdowns() %}{{ dimension }}_value, {% endfor %}'all') as dimension_value
{%- endmacro %}


{#- The reporting time zone of daily marts: var `journeys_reporting_time_zone`, default UTC.
    An IANA name such as 'Europe/Berlin'; quotes are stripped (it is config, not data). -#}
{% macro metrics_reporting_time_zone() -%}
    '{{ var("journeys_reporting_time_zone", "UTC") | replace("'", "") }}'
{%- endmacro %}


{#- A UTC timestamp without time zone as the local date in the reporting time zone. -#}
{% macro metrics_local_date(utc_timestamp) -%}
    {{ return(adapter.dispatch('metrics_local_date', 'journey_tracker')(utc_timestamp)) }}
{%- endmacro %}

{% macro default__metrics_local_date(utc_timestamp) -%}
    cast(convert_timezone('UTC', {{ metrics_reporting_time_zone() }}, {{ utc_timestamp }}) as date)
{%- endmacro %}

{#- timestamp AT TIME ZONE 'UTC' reads the naive value as UTC (a timestamptz); AT TIME ZONE
    tz then gives the wall-clock time there, whose date is the local day. -#}
{% macro duckdb__metrics_local_date(utc_timestamp) -%}
    cast(({{ utc_timestamp }} at time zone 'UTC') at time zone {{ metrics_reporting_time_zone() }} as date)
{%- endmacro %}

{#- Spark: from_utc_timestamp gives the wall-clock time in the zone (session time zone UTC). -#}
{% macro spark__metrics_local_date(utc_timestamp) -%}
    to_date(from_utc_timestamp({{ utc_timestamp }}, {{ metrics_reporting_time_zone() }}))
{%- endmacro %}


{#- The UTC instant (timestamp without time zone) at which a local date of the reporting
    time zone ends, i.e. the next local midnight. -#}
{% macro metrics_local_day_end(local_date) -%}
    {{ return(adapter.dispatch('metrics_local_day_end', 'journey_tracker')(local_date)) }}
{%- endmacro %}

{% macro default__metrics_local_day_end(local_date) -%}
    convert_timezone({{ metrics_reporting_time_zone() }}, 'UTC', cast({{ dbt.dateadd('day', 1, local_date) }} as {{ dbt.type_timestamp() }}))
{%- endmacro %}

{% macro duckdb__metrics_local_day_end(local_date) -%}
    ((cast({{ local_date }} as timestamp) + interval 1 day) at time zone {{ metrics_reporting_time_zone() }}) at time zone 'UTC'
{%- endmacro %}

{% macro spark__metrics_local_day_end(local_date) -%}
    to_utc_timestamp(cast(date_add({{ local_date }}, 1) as timestamp), {{ metrics_reporting_time_zone() }})
{%- endmacro %}


{#- The type of the marts' measures: an 8-byte float. dbt.type_float() is a 4-byte REAL on
    DuckDB, too coarse for seconds and shares. -#}
{% macro metrics_type_double() -%}
    {{ return(adapter.dispatch('metrics_type_double', 'journey_tracker')()) }}
{%- endmacro %}

{% macro default__metrics_type_double() -%}
    {{ dbt.type_float() }}
{%- endmacro %}

{% macro duckdb__metrics_type_double() -%}
    double
{%- endmacro %}

{#- dbt.type_float() is a 4-byte FLOAT on Spark too. -#}
{% macro spark__metrics_type_double() -%}
    double
{%- endmacro %}
