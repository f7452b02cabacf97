{#- Fails with the rows whose column lies outside [min_value, max_value] (both inclusive);
    NULL passes (pair it with not_null when NULL is wrong). Up to rounding (macros/float_checks.sql). -#}
{% test values_between(model, column_name, min_value, max_value) %}

select *
from {{ model }}
where not {{ approx_le(min_value, column_name) }}
    or not {{ approx_le(column_name, max_value) }}

{% endtest %}
