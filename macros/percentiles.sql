{#- Continuous percentile of `expr` at fraction `p` (0..1), an aggregate: the value at
    position p * (n - 1) of the sorted non-null values, interpolating linearly between
    neighbours (the same as numpy's default and Postgres' percentile_cont). Nulls are
    ignored, so `case when ... then x end` restricts it to a subset of the group.
    See docs/decisions/metrics.md. -#}
{% macro percentile_cont(expr, p) -%}
    {{ return(adapter.dispatch('percentile_cont', 'journey_tracker')(expr, p)) }}
{%- endmacro %}

{% macro default__percentile_cont(expr, p) -%}
    percentile_cont({{ p }}) within group (order by {{ expr }})
{%- endmacro %}

{#- DuckDB's quantile_cont is the same interpolation, usable with group by and filters. -#}
{% macro duckdb__percentile_cont(expr, p) -%}
    quantile_cont({{ expr }}, {{ p }})
{%- endmacro %}

{#- Spark's percentile is exact and interpolates the same way. -#}
{% macro spark__percentile_cont(expr, p) -%}
    percentile({{ expr }}, {{ p }})
{%- endmacro %}
