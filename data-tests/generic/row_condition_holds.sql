{#- Fails with the rows for which the SQL condition is not true (false or NULL), e.g.
    'journeys_in_order + journeys_out_of_order + journeys_skipped + journeys_not_reached = journeys'. -#}
{% test row_condition_holds(model, condition) %}

select *
from {{ model }}
where not coalesce({{ condition }}, false)

{% endtest %}
