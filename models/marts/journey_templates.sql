-- The templates the tables were built from, one row each, for BI filters and labels.

with definitions as (

    select * from {{ ref('int_template_definitions') }}

),

final as (

    select
        template_name,
        title,
        description,
        template_version,
        timeout_hours,
        reentry,
        enabled,
        milestones_total,
        ends_total
    from definitions

)

select * from final
