{#- The moment journey state is computed at (contract 3.2.5): the `journeys_as_of` var when
    given, else the latest occurred_at among accepted events. Events after it are ignored.
    `events` is the accepted events' relation where ref() is not available (run hooks). -#}
{% macro journeys_as_of(events=none) -%}
    {%- set as_of = journeys_as_of_setting() -%}
    {%- if as_of -%}
        cast('{{ as_of }}' as {{ dbt.type_timestamp() }})
    {%- else -%}
        (select max(occurred_at) from {{ ref('stg_events') if events is none else events }})
    {%- endif -%}
{%- endmacro %}


{#- The `journeys_as_of` var as a UTC timestamp text 'YYYY-MM-DD HH:MM:SS[.ffffff]' (an offset
    converted, none meaning UTC), or '' when not set; anything else stops the build with a
    message saying what to write. Only digits and separators reach the SQL. `journeys run`
    passes this form already (journey_compiler/runner.py); this is for `dbt --vars` users. -#}
{% macro journeys_as_of_setting() -%}
    {%- set raw = var('journeys_as_of', '') -%}
    {%- if raw is none or raw == '' -%}
        {{ return('') }}
    {%- endif -%}
    {%- set text = (raw | string) | trim -%}
    {%- set date = '[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])' -%}
    {%- set offset = '(Z|[+-]([01][0-9]|2[0-3]):[0-5][0-9])' -%}
    {%- set time = '([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9]([.][0-9]{3}([0-9]{3})?)?)?' ~ offset ~ '?' -%}
    {%- if not modules.re.fullmatch(date ~ '([T ]' ~ time ~ ')?', text) -%}
        {{ exceptions.raise_compiler_error(
            "var journeys_as_of '" ~ text ~ "' is not a timestamp; use ISO 8601 like 2026-09-20T12:00:00Z "
            ~ "or 2026-09-20 14:00:00+02:00 (no offset means UTC)") }}
    {%- endif -%}
    {#- a trailing Z as +00:00: fromisoformat reads Z from Python 3.11 on only -#}
    {%- set moment = modules.datetime.datetime.fromisoformat(text[:-1] ~ '+00:00' if text.endswith('Z') else text) -%}
    {%- if moment.tzinfo is not none -%}
        {%- set moment = moment.astimezone(modules.pytz.utc).replace(tzinfo=none) -%}
    {%- endif -%}
    {{ return(moment.isoformat(' ', 'microseconds' if moment.microsecond else 'seconds')) }}
{%- endmacro %}
