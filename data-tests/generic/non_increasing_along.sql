{#- Fails with the rows whose column is greater than in the row before it, within each
    partition ordered by order_by: the column never increases along the order (a funnel's
    counts along its steps, a survival curve along time). Up to rounding (macros/float_checks.sql). -#}
{% test non_increasing_along(model, column_name, partition_by, order_by) %}

with ordered as (

    select
        {{ partition_by | join(', ') }},
        {{ order_by }} as position,
        {{ column_name }} as current_value,
        lag({{ column_name }}) over (
            partition by {{ partition_by | join(', ') }}
            order by {{ order_by }}
        ) as previous_value
    from {{ model }}

)

select *
from ordered
where not {{ approx_le('current_value', 'previous_value') }}

{% endtest %}
