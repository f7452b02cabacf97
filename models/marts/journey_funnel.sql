-- Per template, breakdown and step: how many journeys reached the step, in order and at
-- all, over all journeys and over closed journeys only (in-flight journeys are not yet
-- drop-offs), with the time from start at which they reached it.

with steps as (

    select
        journey_steps.*,
        {{ metrics_breakdown_values() }}
    from {{ ref('int_journey_steps') }} as journey_steps

),

counted as (

    select
        template_name,
        {{ metrics_breakdown_dimension() }},
        step_index,
        step_kind,
        step_name,

        -- all journeys
        count(*) as journeys_started,
        sum(case when reached then 1 else 0 end) as journeys_reached,
        sum(case when reached_in_order_path then 1 else 0 end) as journeys_reached_in_order,
        sum(case when previous_step_reached then 1 else 0 end) as journeys_reached_previous,
        sum(case when previous_step_reached and reached then 1 else 0 end) as journeys_reached_previous_and_this,

        -- closed journeys only
        sum(case when is_closed then 1 else 0 end) as closed_journeys_started,
        sum(case when is_closed and reached then 1 else 0 end) as closed_journeys_reached,
        sum(case when is_closed and reached_in_order_path then 1 else 0 end) as closed_journeys_reached_in_order,
        sum(case when is_closed and previous_step_reached then 1 else 0 end) as closed_journeys_reached_previous,
        sum(case when is_closed and previous_step_reached and reached then 1 else 0 end)
            as closed_journeys_reached_previous_and_this,

        -- open journeys that have not reached it yet, and may still
        sum(case when not is_closed and not reached then 1 else 0 end) as open_journeys_not_reached,

        -- time from start, over the journeys that reached it
        {{ percentile_cont('seconds_from_start', 0.5) }} as median_seconds_from_start,
        {{ percentile_cont('seconds_from_start', 0.9) }} as p90_seconds_from_start

    from steps
    group by {{ metrics_group_by_breakdowns(['template_name', 'step_index', 'step_kind', 'step_name']) }}

),

final as (

    select
        -- grain
        template_name,
        dimension,
        dimension_value,
        cast(step_index as {{ dbt.type_int() }}) as step_index,
        step_kind,
        step_name,

        -- all journeys
        cast(journeys_started as {{ dbt.type_bigint() }}) as journeys_started,
        cast(journeys_reached as {{ dbt.type_bigint() }}) as journeys_reached,
        cast(journeys_reached_in_order as {{ dbt.type_bigint() }}) as journeys_reached_in_order,
        {{ metrics_share('journeys_reached', 'journeys_started') }} as share_of_started,
        {{ metrics_share('journeys_reached_in_order', 'journeys_started') }} as in_order_share_of_started,
        case
            when step_index > 0 then {{ metrics_share('journeys_reached_previous_and_this', 'journeys_reached_previous') }}
        end as share_of_previous,

        -- closed journeys only
        cast(closed_journeys_started as {{ dbt.type_bigint() }}) as closed_journeys_started,
        cast(closed_journeys_reached as {{ dbt.type_bigint() }}) as closed_journeys_reached,
        cast(closed_journeys_reached_in_order as {{ dbt.type_bigint() }}) as closed_journeys_reached_in_order,
        {{ metrics_share('closed_journeys_reached', 'closed_journeys_started') }} as closed_share_of_started,
        {{ metrics_share('closed_journeys_reached_in_order', 'closed_journeys_started') }}
            as closed_in_order_share_of_started,
        case
            when step_index > 0
                then {{ metrics_share('closed_journeys_reached_previous_and_this', 'closed_journeys_reached_previous') }}
        end as closed_share_of_previous,
        cast(closed_journeys_started - closed_journeys_reached as {{ dbt.type_bigint() }}) as closed_journeys_not_reached,

        -- in flight
        cast(open_journeys_not_reached as {{ dbt.type_bigint() }}) as open_journeys_not_reached,

        -- time from start
        cast(median_seconds_from_start as {{ metrics_type_double() }}) as median_seconds_from_start,
        cast(p90_seconds_from_start as {{ metrics_type_double() }}) as p90_seconds_from_start

    from counted

)

select * from final
