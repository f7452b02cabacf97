-- One row per journey: how long it was observed and whether it completed in that time, the
-- input of the Kaplan-Meier estimate (journey_completion_curve). A completed journey is an
-- event at its duration; an open one is censored at the as-of time (it may still
-- complete); a timed-out one is censored at its deadline (observed until the timeout).

with journeys as (

    select * from {{ ref('journeys') }}

),

as_of as (

    select * from {{ ref('int_metrics_as_of') }}

),

observed as (

    select
        journeys.journey_id,
        journeys.template_name,
        journeys.status,
        case
            when journeys.status = 'open' then {{ seconds_between('journeys.started_at', 'as_of.as_of_at') }}
            else journeys.duration_seconds
        end as observed_seconds
    from journeys
    cross join as_of

),

final as (

    select
        journey_id,
        template_name,
        -- an open journey started after a given as-of time is observed for no time at all
        cast(greatest(observed_seconds, 0) as {{ metrics_type_double() }}) as observed_seconds,
        status = 'completed' as is_completed,
        case when status <> 'completed' then status end as censored_as
    from observed

)

select * from final
