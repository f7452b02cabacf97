-- The stuck-now snapshot: every open journey at the as-of time, with its current step (the
-- furthest step reached), how long it has waited there, and whether it is stalled: waiting
-- longer than 90% of past journeys took for the next transition, or past the next step's
-- own target.

with steps as (

    select * from {{ ref('int_journey_steps') }}

),

durations as (

    select * from {{ ref('journey_step_durations') }}
    where dimension = 'all'

),

as_of as (

    select * from {{ ref('int_metrics_as_of') }}

),

open_steps as (

    select * from steps
    where status = 'open'

),

current_steps as (

    select *
    from (
        select
            open_steps.*,
            row_number() over (partition by journey_id order by step_index desc) as recency_rank
        from open_steps
        where reached
    ) as reached_steps
    where recency_rank = 1

),

next_steps as (

    select journey_id, step_index, step_name, target_seconds
    from open_steps

),

measured as (

    select
        current_steps.journey_id,
        current_steps.template_name,
        current_steps.conversation_id,
        current_steps.channel,
        current_steps.team_id,
        current_steps.agent_id,
        current_steps.started_at,
        current_steps.deadline_at,
        as_of.as_of_at,
        current_steps.step_index as current_step_index,
        current_steps.step_kind as current_step_kind,
        current_steps.step_name as current_step_name,
        current_steps.reached_at as waiting_since,
        {{ seconds_between('current_steps.reached_at', 'as_of.as_of_at') }} as waiting_seconds,
        {{ seconds_between('current_steps.started_at', 'as_of.as_of_at') }} as seconds_since_start,
        next_steps.step_index as next_step_index,
        next_steps.step_name as next_step_name,
        next_steps.target_seconds as next_step_target_seconds,
        durations.p90_seconds as next_transition_p90_seconds
    from current_steps
    cross join as_of
    inner join next_steps
        on current_steps.journey_id = next_steps.journey_id
        and current_steps.step_index + 1 = next_steps.step_index
    left join durations
        on current_steps.template_name = durations.template_name
        and current_steps.step_index = durations.from_step_index

),

flagged as (

    select
        measured.*,
        coalesce(waiting_seconds > next_transition_p90_seconds, false) as is_slower_than_p90,
        coalesce(seconds_since_start > next_step_target_seconds, false) as is_past_target
    from measured

),

final as (

    select
        -- the journey
        journey_id,
        template_name,
        conversation_id,
        channel,
        team_id,
        agent_id,
        started_at,
        deadline_at,
        as_of_at,

        -- where it is
        cast(current_step_index as {{ dbt.type_int() }}) as current_step_index,
        current_step_kind,
        current_step_name,
        waiting_since,
        cast(waiting_seconds as {{ metrics_type_double() }}) as waiting_seconds,
        cast(seconds_since_start as {{ metrics_type_double() }}) as seconds_since_start,

        -- what it waits for
        cast(next_step_index as {{ dbt.type_int() }}) as next_step_index,
        next_step_name,
        cast(next_transition_p90_seconds as {{ metrics_type_double() }}) as next_transition_p90_seconds,
        cast(next_step_target_seconds as {{ metrics_type_double() }}) as next_step_target_seconds,

        -- verdict
        is_slower_than_p90,
        is_past_target,
        is_slower_than_p90 or is_past_target as is_stalled,
        case
            when is_slower_than_p90 and is_past_target then 'slower_than_p90_and_past_target'
            when is_slower_than_p90 then 'slower_than_p90'
            when is_past_target then 'past_target'
        end as stall_reason

    from flagged

)

select * from final
