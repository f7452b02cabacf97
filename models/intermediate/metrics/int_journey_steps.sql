-- One row per journey and step of its template: the start (index 0), each milestone in
-- template order (1..n) and the end (n + 1, reached when the journey completed, whichever
-- end condition closed it). The grain every funnel, duration and stall metric starts from.

-- depends_on: {{ ref('int_refresh_conversations') }}
-- Incremental like the engine models: only the refreshed conversations are rebuilt.

with journeys as (

    select * from {{ ref('journeys') }}
    {{ journeys_refresh_filter('conversation_id', 'where') }}

),

milestones as (

    select * from {{ ref('journey_milestones') }}
    {{ journeys_refresh_filter('conversation_id', 'where') }}

),

template_steps as (

    select * from {{ ref('int_template_steps') }}

),

-- targets are hours from the journey's start; the end step has the tightest end target
end_targets as (

    select template_name, min(target_hours) as target_hours
    from template_steps
    where step_kind = 'end'
    group by template_name

),

milestone_targets as (

    select template_name, step_order as milestone_order, target_hours
    from template_steps
    where step_kind = 'milestone'

),

start_steps as (

    select
        journey_id,
        0 as step_index,
        'start' as step_kind,
        'start' as step_name,
        true as reached,
        started_at as reached_at,
        true as in_order,
        cast(null as {{ metrics_type_double() }}) as target_hours
    from journeys

),

milestone_steps as (

    select
        milestones.journey_id,
        milestones.milestone_order as step_index,
        'milestone' as step_kind,
        milestones.milestone_name as step_name,
        milestones.reached,
        milestones.reached_at,
        milestones.in_order,
        milestone_targets.target_hours
    from milestones
    left join milestone_targets
        on milestones.template_name = milestone_targets.template_name
        and milestones.milestone_order = milestone_targets.milestone_order

),

-- the end is in order when every milestone was reached (all at or before the end event)
end_steps as (

    select
        journeys.journey_id,
        journeys.milestones_total + 1 as step_index,
        'end' as step_kind,
        'completed' as step_name,
        journeys.status = 'completed' as reached,
        case when journeys.status = 'completed' then journeys.ended_at end as reached_at,
        case
            when journeys.status = 'completed' then journeys.milestones_reached = journeys.milestones_total
        end as in_order,
        end_targets.target_hours
    from journeys
    left join end_targets
        on journeys.template_name = end_targets.template_name

),

steps as (

    select * from start_steps
    union all
    select * from milestone_steps
    union all
    select * from end_steps

),

with_journey as (

    select
        journeys.journey_id,
        journeys.template_name,
        journeys.conversation_id,
        journeys.status,
        journeys.started_at,
        journeys.ended_at,
        journeys.deadline_at,
        journeys.milestones_total,
        steps.step_index,
        steps.step_kind,
        steps.step_name,
        steps.reached,
        steps.reached_at,
        steps.in_order,
        steps.target_hours,
        journeys.channel,
        journeys.team_id,
        journeys.agent_id
    from steps
    inner join journeys
        on steps.journey_id = journeys.journey_id

),

-- along the template path: every step up to this one reached in order (a strict funnel);
-- and whether any later step was reached (a step not reached then was skipped)
with_path as (

    select
        with_journey.*,
        min(case when coalesce(in_order, false) then 1 else 0 end) over (
            partition by journey_id
            order by step_index
            rows between unbounded preceding and current row
        ) = 1 as reached_in_order_path,
        coalesce(max(case when reached then 1 else 0 end) over (
            partition by journey_id
            order by step_index
            rows between 1 following and unbounded following
        ), 0) = 1 as later_step_reached,
        lag(reached) over (partition by journey_id order by step_index) as previous_step_reached
    from with_journey

),

final as (

    select
        -- identity
        journey_id,
        template_name,
        conversation_id,

        -- the step
        cast(step_index as {{ dbt.type_int() }}) as step_index,
        step_kind,
        step_name,
        cast(target_hours * 3600 as {{ metrics_type_double() }}) as target_seconds,

        -- reaching it
        reached,
        reached_at,
        cast({{ seconds_between('started_at', 'reached_at') }} as {{ metrics_type_double() }}) as seconds_from_start,
        in_order,
        reached_in_order_path,
        not reached and later_step_reached as skipped,
        previous_step_reached,

        -- the journey
        status,
        status <> 'open' as is_closed,
        started_at,
        ended_at,
        deadline_at,
        channel,
        team_id,
        agent_id

    from with_path

)

select * from final
