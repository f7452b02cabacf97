-- One row per journey and breakdown: the unfiltered 'all' row and one row per start-event
-- attribute (channel, team, agent; metrics_breakdowns()). The metric marts group by the same
-- breakdowns directly (metrics_group_by_breakdowns); this long form serves ad hoc questions
-- such as `journeys report --since`.

-- depends_on: {{ ref('int_refresh_conversations') }}
-- Incremental like the engine models: only the refreshed conversations are rebuilt.

with journeys as (

    select * from {{ ref('journeys') }}
    {{ journeys_refresh_filter('conversation_id', 'where') }}

),

breakdowns as (

    select journey_id, conversation_id, 'all' as dimension, 'all' as dimension_value
    from journeys
    {%- for dimension, column in metrics_breakdowns() %}

    union all

    select journey_id, conversation_id, '{{ dimension }}' as dimension, {{ metrics_dimension_value(column) }} as dimension_value
    from journeys
    {%- endfor %}

),

final as (

    select journey_id, conversation_id, dimension, dimension_value
    from breakdowns

)

select * from final
