{#- Fails with the rows whose column lies outside [min_value, max_value] (both inclusive);
    NULL passes (pair it with not_null when NULL is wrong). -#}
{% test values_between(model, column_name, min_value, max_value) %}

select *
from {{ model }}
where {{ column_name }} < {{ min_value }}
    or {{ column_name }} > {{ max_value }}

{% endtest %}
