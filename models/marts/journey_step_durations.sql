-- Per template, breakdown and transition between consecutive steps: how long journeys took
-- from one step to the next (over journeys that reached both, the later one at or after the
-- earlier), the slowest transition flagged as the bottleneck, and how often the later step
-- was reached after its target.

with transitions as (

    select
        journey_transitions.*,
        {{ metrics_breakdown_values() }}
    from {{ ref('int_journey_transitions') }} as journey_transitions

),

aggregated as (

    select
        template_name,
        {{ metrics_breakdown_dimension() }},
        from_step_index,
        from_step_name,
        to_step_index,
        to_step_kind,
        to_step_name,
        transition_name,

        -- durations
        sum(case when is_measured then 1 else 0 end) as journeys,
        sum(case when is_out_of_order then 1 else 0 end) as journeys_out_of_order,
        avg(transition_seconds) as mean_seconds,
        {{ percentile_cont('transition_seconds', 0.5) }} as p50_seconds,
        {{ percentile_cont('transition_seconds', 0.75) }} as p75_seconds,
        {{ percentile_cont('transition_seconds', 0.9) }} as p90_seconds,
        {{ percentile_cont('transition_seconds', 0.95) }} as p95_seconds,
        max(transition_seconds) as max_seconds,

        -- the later step against its target, over every journey that reached it
        max(to_step_target_seconds) as target_seconds,
        sum(case when to_step_seconds_from_start is not null then 1 else 0 end) as to_step_reached,
        sum(case when to_step_seconds_from_start > to_step_target_seconds then 1 else 0 end) as target_breaches

    from transitions
    group by {{ metrics_group_by_breakdowns([
        'template_name', 'from_step_index', 'from_step_name', 'to_step_index', 'to_step_kind',
        'to_step_name', 'transition_name'
    ]) }}

),

-- the bottleneck: the highest median; ties go to the higher p90, then the earlier step
ranked as (

    select
        aggregated.*,
        row_number() over (
            partition by template_name, dimension, dimension_value
            order by p50_seconds desc nulls last, p90_seconds desc nulls last, from_step_index
        ) as slowness_rank
    from aggregated

),

final as (

    select
        -- grain
        template_name,
        dimension,
        dimension_value,
        cast(from_step_index as {{ dbt.type_int() }}) as from_step_index,
        from_step_name,
        cast(to_step_index as {{ dbt.type_int() }}) as to_step_index,
        to_step_kind,
        to_step_name,
        transition_name,

        -- durations, seconds
        cast(journeys as {{ dbt.type_bigint() }}) as journeys,
        cast(journeys_out_of_order as {{ dbt.type_bigint() }}) as journeys_out_of_order,
        cast(mean_seconds as {{ metrics_type_double() }}) as mean_seconds,
        cast(p50_seconds as {{ metrics_type_double() }}) as p50_seconds,
        cast(p75_seconds as {{ metrics_type_double() }}) as p75_seconds,
        cast(p90_seconds as {{ metrics_type_double() }}) as p90_seconds,
        cast(p95_seconds as {{ metrics_type_double() }}) as p95_seconds,
        cast(max_seconds as {{ metrics_type_double() }}) as max_seconds,
        journeys > 0 and slowness_rank = 1 as is_bottleneck,

        -- target of the later step
        cast(target_seconds as {{ metrics_type_double() }}) as target_seconds,
        cast(to_step_reached as {{ dbt.type_bigint() }}) as to_step_reached,
        cast(case when target_seconds is not null then target_breaches end as {{ dbt.type_bigint() }})
            as target_breaches,
        case
            when target_seconds is not null then {{ metrics_share('target_breaches', 'to_step_reached') }}
        end as target_breach_rate

    from ranked

)

select * from final
