-- The steps of every template in order: start, milestones, end conditions, with targets.

with steps as (

    select * from {{ ref('int_template_steps') }}

),

final as (

    select
        template_name,
        step_kind,
        step_order,
        step_name,
        event_type,
        target_hours
    from steps

)

select * from final
