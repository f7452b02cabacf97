-- Per template, where journeys leave the template's path:
--   timed_out : timed-out journeys by the furthest step they reached before the timeout
--               (where conversations drop out), over every step but the end;
--   completed : completed journeys by each milestone they skipped on the way.

with steps as (

    select * from {{ ref('int_journey_steps') }}

),

template_steps as (

    select distinct template_name, step_index, step_kind, step_name
    from steps

),

outcome_totals as (

    select
        template_name,
        sum(case when status = 'timed_out' then 1 else 0 end) as timed_out_journeys,
        sum(case when status = 'completed' then 1 else 0 end) as completed_journeys
    from steps
    -- one start row per journey
    where step_index = 0
    group by template_name

),

furthest_steps as (

    select journey_id, template_name, max(step_index) as furthest_step_index
    from steps
    where status = 'timed_out' and reached
    group by journey_id, template_name

),

timed_out_counts as (

    select template_name, furthest_step_index as step_index, count(*) as journeys
    from furthest_steps
    group by template_name, furthest_step_index

),

skipped_counts as (

    select template_name, step_index, count(*) as journeys
    from steps
    where status = 'completed' and skipped
    group by template_name, step_index

),

timed_out_rows as (

    select
        template_steps.template_name,
        'timed_out' as outcome,
        template_steps.step_index,
        template_steps.step_kind,
        template_steps.step_name,
        coalesce(timed_out_counts.journeys, 0) as journeys,
        outcome_totals.timed_out_journeys as outcome_journeys
    from template_steps
    inner join outcome_totals
        on template_steps.template_name = outcome_totals.template_name
    left join timed_out_counts
        on template_steps.template_name = timed_out_counts.template_name
        and template_steps.step_index = timed_out_counts.step_index
    where template_steps.step_kind <> 'end'

),

skipped_rows as (

    select
        template_steps.template_name,
        'completed' as outcome,
        template_steps.step_index,
        template_steps.step_kind,
        template_steps.step_name,
        coalesce(skipped_counts.journeys, 0) as journeys,
        outcome_totals.completed_journeys as outcome_journeys
    from template_steps
    inner join outcome_totals
        on template_steps.template_name = outcome_totals.template_name
    left join skipped_counts
        on template_steps.template_name = skipped_counts.template_name
        and template_steps.step_index = skipped_counts.step_index
    where template_steps.step_kind = 'milestone'

),

all_rows as (

    select * from timed_out_rows
    union all
    select * from skipped_rows

),

-- the biggest: most journeys; ties go to the earlier step
ranked as (

    select
        all_rows.*,
        row_number() over (
            partition by template_name, outcome
            order by journeys desc, step_index
        ) as size_rank
    from all_rows

),

final as (

    select
        -- grain
        template_name,
        outcome,
        cast(step_index as {{ dbt.type_int() }}) as step_index,
        step_kind,
        step_name,

        -- how many
        cast(journeys as {{ dbt.type_bigint() }}) as journeys,
        cast(outcome_journeys as {{ dbt.type_bigint() }}) as outcome_journeys,
        {{ metrics_share('journeys', 'outcome_journeys') }} as share,
        journeys > 0 and size_rank = 1 as is_biggest

    from ranked

)

select * from final
