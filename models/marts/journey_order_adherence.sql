-- Per template and milestone: how journeys met it. Every journey falls in exactly one of
-- reached in order (every earlier milestone reached at or before it), reached out of order,
-- skipped (not reached, but a later milestone or the end was) and not reached (nothing at
-- or after it reached yet).

with steps as (

    select * from {{ ref('int_journey_steps') }}
    where step_kind = 'milestone'

),

counted as (

    select
        template_name,
        step_index as milestone_order,
        step_name as milestone_name,
        count(*) as journeys,
        sum(case when reached and in_order then 1 else 0 end) as journeys_in_order,
        sum(case when reached and not in_order then 1 else 0 end) as journeys_out_of_order,
        sum(case when skipped then 1 else 0 end) as journeys_skipped,
        sum(case when not reached and not skipped then 1 else 0 end) as journeys_not_reached,
        sum(case when status = 'open' then 1 else 0 end) as journeys_open
    from steps
    group by template_name, step_index, step_name

),

final as (

    select
        -- grain
        template_name,
        cast(milestone_order as {{ dbt.type_int() }}) as milestone_order,
        milestone_name,

        -- journeys
        cast(journeys as {{ dbt.type_bigint() }}) as journeys,
        cast(journeys_in_order as {{ dbt.type_bigint() }}) as journeys_in_order,
        cast(journeys_out_of_order as {{ dbt.type_bigint() }}) as journeys_out_of_order,
        cast(journeys_skipped as {{ dbt.type_bigint() }}) as journeys_skipped,
        cast(journeys_not_reached as {{ dbt.type_bigint() }}) as journeys_not_reached,
        cast(journeys_open as {{ dbt.type_bigint() }}) as journeys_open,

        -- shares of all journeys of the template
        {{ metrics_share('journeys_in_order', 'journeys') }} as share_in_order,
        {{ metrics_share('journeys_out_of_order', 'journeys') }} as share_out_of_order,
        {{ metrics_share('journeys_skipped', 'journeys') }} as share_skipped,
        {{ metrics_share('journeys_not_reached', 'journeys') }} as share_not_reached

    from counted

)

select * from final
