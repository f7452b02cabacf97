-- One row per journey and breakdown: the unfiltered 'all' row and one row per start-event
-- attribute (channel, team, agent). Metric marts join this to group by (dimension,
-- dimension_value), so totals and breakdowns live in the same tables.

with journeys as (

    select * from {{ ref('journeys') }}

),

breakdowns as (

    select journey_id, 'all' as dimension, 'all' as dimension_value
    from journeys

    union all

    select journey_id, 'channel' as dimension, {{ metrics_dimension_value('channel') }} as dimension_value
    from journeys

    union all

    select journey_id, 'team' as dimension, {{ metrics_dimension_value('team_id') }} as dimension_value
    from journeys

    union all

    select journey_id, 'agent' as dimension, {{ metrics_dimension_value('agent_id') }} as dimension_value
    from journeys

),

final as (

    select journey_id, dimension, dimension_value
    from breakdowns

)

select * from final
