-- One row per journey and transition between consecutive steps of its template in template
-- order (start -> m1, m1 -> m2, ..., last milestone -> end), whether or not the journey made
-- it. Durations are measured when both steps were reached and the later step was reached
-- at or after the earlier one; a journey that reached them the other way round (out of
-- order) is flagged instead, since a negative "time between steps" means nothing.

-- depends_on: {{ ref('int_refresh_conversations') }}
-- Incremental like the engine models: only the refreshed conversations are rebuilt.

with steps as (

    select * from {{ ref('int_journey_steps') }}
    {{ journeys_refresh_filter('conversation_id', 'where') }}

),

pairs as (

    select
        from_step.journey_id,
        from_step.template_name,
        from_step.conversation_id,
        from_step.channel,
        from_step.team_id,
        from_step.agent_id,
        from_step.step_index as from_step_index,
        from_step.step_name as from_step_name,
        to_step.step_index as to_step_index,
        to_step.step_kind as to_step_kind,
        to_step.step_name as to_step_name,
        from_step.reached_at as from_reached_at,
        to_step.reached_at as to_reached_at,
        from_step.reached and to_step.reached as both_reached,
        to_step.target_seconds as to_step_target_seconds,
        to_step.seconds_from_start as to_step_seconds_from_start
    from steps as from_step
    inner join steps as to_step
        on from_step.journey_id = to_step.journey_id
        and from_step.step_index + 1 = to_step.step_index

),

final as (

    select
        -- identity
        journey_id,
        template_name,
        conversation_id,
        from_step_index,
        from_step_name,
        to_step_index,
        to_step_kind,
        to_step_name,
        from_step_name || ' -> ' || to_step_name as transition_name,

        -- what happened
        both_reached,
        both_reached and to_reached_at >= from_reached_at as is_measured,
        both_reached and to_reached_at < from_reached_at as is_out_of_order,
        case
            when both_reached and to_reached_at >= from_reached_at
                then cast({{ seconds_between('from_reached_at', 'to_reached_at') }} as {{ metrics_type_double() }})
        end as transition_seconds,

        -- the later step against its target (hours from the journey's start)
        to_step_target_seconds,
        to_step_seconds_from_start,

        -- breakdowns, from the journey's start event
        channel,
        team_id,
        agent_id

    from pairs

)

select * from final
