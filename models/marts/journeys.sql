-- One row per journey (docs/contract.md §4.1).

-- depends_on: {{ ref('int_refresh_conversations') }}

with starts as (

    select * from {{ ref('int_journey_starts') }}
    {{ journeys_refresh_filter('conversation_id', 'where') }}

),

definitions as (

    select * from {{ ref('int_template_definitions') }}

),

ends as (

    select template_name, step_order as end_index, step_name as end_name
    from {{ ref('int_template_steps') }}
    where step_kind = 'end'

),

start_events as (

    select template_name, conversation_id, event_seq, channel, team_id, agent_id
    from {{ ref('int_trigger_matches') }}
    where match_kind = 'start'
        {{ journeys_refresh_filter('conversation_id') }}

),

milestone_counts as (

    select template_name, conversation_id, start_seq, count(*) as milestones_reached
    from {{ ref('int_journey_milestone_hits') }}
    {{ journeys_refresh_filter('conversation_id', 'where') }}
    group by template_name, conversation_id, start_seq

),

final as (

    select
        -- identity
        {{ journey_id('starts.template_name', 'starts.start_event_id') }} as journey_id,
        starts.template_name,
        definitions.template_version,
        starts.conversation_id,
        -- row_number() is an int on Spark, a bigint on DuckDB
        cast(row_number() over (
            partition by starts.template_name, starts.conversation_id
            order by starts.start_seq
        ) as {{ dbt.type_bigint() }}) as journey_number,

        -- start
        starts.start_event_id,
        starts.started_at,

        -- outcome
        starts.status,
        ends.end_name,
        starts.end_event_id,
        starts.ended_at,
        {{ seconds_between('starts.started_at', 'starts.ended_at') }} as duration_seconds,
        starts.deadline_at,

        -- progress
        coalesce(milestone_counts.milestones_reached, 0) as milestones_reached,
        definitions.milestones_total,

        -- breakdowns, from the start event
        start_events.channel,
        start_events.team_id,
        start_events.agent_id

    from starts
    inner join definitions
        on starts.template_name = definitions.template_name
    left join ends
        on starts.template_name = ends.template_name
        and starts.end_index = ends.end_index
    inner join start_events
        on starts.template_name = start_events.template_name
        and starts.conversation_id = start_events.conversation_id
        and starts.start_seq = start_events.event_seq
    left join milestone_counts
        on starts.template_name = milestone_counts.template_name
        and starts.conversation_id = milestone_counts.conversation_id
        and starts.start_seq = milestone_counts.start_seq

)

select * from final
