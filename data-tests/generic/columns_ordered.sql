{#- Fails with the rows where the columns, read left to right, ever decrease, e.g.
    [p50_seconds, p75_seconds, p90_seconds, p95_seconds, max_seconds]. A NULL column is
    skipped: the check compares neighbours where both are set. Up to rounding
    (macros/float_checks.sql). -#}
{% test columns_ordered(model, columns) %}

select *
from {{ model }}
where false
{%- for index in range(columns | length - 1) %}
    or not {{ approx_le(columns[index], columns[index + 1]) }}
{%- endfor %}

{% endtest %}
