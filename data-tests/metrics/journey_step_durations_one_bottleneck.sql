-- Every template and breakdown with at least one measured transition has exactly one
-- bottleneck, and it is a measured transition; groups without measurements have none.

with durations as (

    select * from {{ ref('journey_step_durations') }}

),

groups as (

    select
        template_name,
        dimension,
        dimension_value,
        sum(case when is_bottleneck then 1 else 0 end) as bottlenecks,
        sum(case when is_bottleneck and journeys = 0 then 1 else 0 end) as unmeasured_bottlenecks,
        max(journeys) as most_measured
    from durations
    group by template_name, dimension, dimension_value

)

select *
from groups
where bottlenecks <> case when most_measured > 0 then 1 else 0 end
    or unmeasured_bottlenecks > 0
