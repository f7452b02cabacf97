{#- Journeys whose columns disagree with their status (contract §4). -#}
{% test journey_status_consistent(model) %}

select *
from {{ model }}
where not (
    (status = 'completed' and end_event_id is not null and end_name is not null and ended_at >= started_at)
    or (status = 'timed_out' and end_event_id is null and ended_at = deadline_at)
    or (status = 'open' and ended_at is null and duration_seconds is null and end_event_id is null)
)
or milestones_reached > milestones_total

{% endtest %}
