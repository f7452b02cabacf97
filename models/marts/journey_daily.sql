-- Per template, breakdown and day of start (in the reporting time zone, var
-- journeys_reporting_time_zone, default UTC): how the journeys started that day ended up,
-- and whether the day is mature (its numbers will not move any more).

with as_of as (

    select * from {{ ref('int_metrics_as_of') }}

),

dated as (

    select
        journeys.*,
        {{ metrics_local_date('journeys.started_at') }} as start_date,
        {{ metrics_breakdown_values() }}
    from {{ ref('journeys') }} as journeys

),

aggregated as (

    select
        template_name,
        {{ metrics_breakdown_dimension() }},
        start_date,

        -- outcomes
        count(*) as journeys_started,
        sum(case when status = 'completed' then 1 else 0 end) as journeys_completed,
        sum(case when status = 'timed_out' then 1 else 0 end) as journeys_timed_out,
        sum(case when status = 'open' then 1 else 0 end) as journeys_open,

        -- time to complete, completed journeys only
        {{ percentile_cont("case when status = 'completed' then duration_seconds end", 0.5) }}
            as median_duration_seconds,
        {{ percentile_cont("case when status = 'completed' then duration_seconds end", 0.9) }}
            as p90_duration_seconds,

        -- maturity inputs
        max(deadline_at) as latest_deadline_at,
        count(deadline_at) as journeys_with_deadline

    from dated
    group by {{ metrics_group_by_breakdowns(['template_name', 'start_date']) }}

),

with_day_end as (

    select
        aggregated.*,
        {{ metrics_local_day_end('aggregated.start_date') }} as day_ends_at,
        as_of.as_of_at
    from aggregated
    cross join as_of

),

final as (

    select
        -- grain
        template_name,
        dimension,
        dimension_value,
        start_date,
        {{ metrics_reporting_time_zone() }} as reporting_time_zone,

        -- outcomes
        cast(journeys_started as {{ dbt.type_bigint() }}) as journeys_started,
        cast(journeys_completed as {{ dbt.type_bigint() }}) as journeys_completed,
        cast(journeys_timed_out as {{ dbt.type_bigint() }}) as journeys_timed_out,
        cast(journeys_open as {{ dbt.type_bigint() }}) as journeys_open,
        {{ metrics_share('journeys_completed', 'journeys_started') }} as completion_rate,
        {{ metrics_share('journeys_completed', 'journeys_completed + journeys_timed_out') }} as closed_completion_rate,

        -- time to complete, seconds
        cast(median_duration_seconds as {{ metrics_type_double() }}) as median_duration_seconds,
        cast(p90_duration_seconds as {{ metrics_type_double() }}) as p90_duration_seconds,

        -- maturity: the day is over, nothing is open, every deadline has passed
        cast(day_ends_at as {{ dbt.type_timestamp() }}) as day_ends_at,
        day_ends_at <= as_of_at
            and journeys_open = 0
            and (journeys_with_deadline = 0 or latest_deadline_at < as_of_at) as is_mature

    from with_day_end

)

select * from final
