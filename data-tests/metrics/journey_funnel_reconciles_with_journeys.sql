-- The funnel's totals agree with the journeys table: per template and dimension `all`,
-- journeys at the start = all journeys, closed ones = completed + timed out, and the end
-- step's reached = completed.

with funnel as (

    select * from {{ ref('journey_funnel') }}
    where dimension = 'all'

),

journeys as (

    select
        template_name,
        count(*) as journeys,
        sum(case when status <> 'open' then 1 else 0 end) as closed_journeys,
        sum(case when status = 'completed' then 1 else 0 end) as completed_journeys
    from {{ ref('journeys') }}
    group by template_name

),

funnel_totals as (

    select
        template_name,
        max(case when step_kind = 'start' then journeys_reached end) as started,
        max(case when step_kind = 'start' then closed_journeys_started end) as closed_started,
        max(case when step_kind = 'end' then journeys_reached end) as completed
    from funnel
    group by template_name

)

select journeys.*, funnel_totals.started, funnel_totals.closed_started, funnel_totals.completed
from journeys
full outer join funnel_totals
    on journeys.template_name = funnel_totals.template_name
where funnel_totals.started is distinct from journeys.journeys
    or funnel_totals.closed_started is distinct from journeys.closed_journeys
    or funnel_totals.completed is distinct from journeys.completed_journeys
