-- One row per journey and milestone of its template, reached or not (docs/contract.md §4.2).

-- depends_on: {{ ref('int_refresh_conversations') }}

with starts as (

    select * from {{ ref('int_journey_starts') }}
    {{ journeys_refresh_filter('conversation_id', 'where') }}

),

milestones as (

    select template_name, step_order as milestone_order, step_name as milestone_name
    from {{ ref('int_template_steps') }}
    where step_kind = 'milestone'

),

hits as (

    select * from {{ ref('int_journey_milestone_hits') }}
    {{ journeys_refresh_filter('conversation_id', 'where') }}

),

journey_steps as (

    select
        starts.template_name,
        starts.conversation_id,
        starts.start_seq,
        starts.start_event_id,
        starts.started_at,
        milestones.milestone_name,
        milestones.milestone_order,
        hits.event_seq as reached_seq,
        hits.event_id,
        hits.reached_at
    from starts
    inner join milestones
        on starts.template_name = milestones.template_name
    left join hits
        on starts.template_name = hits.template_name
        and starts.conversation_id = hits.conversation_id
        and starts.start_seq = hits.start_seq
        and milestones.milestone_order = hits.milestone_order

),

-- in order: every earlier-listed milestone reached at or before the same event
with_earlier as (

    select
        journey_steps.*,
        max(coalesce(reached_seq, {{ journeys_max_seq() }})) over (
            partition by template_name, conversation_id, start_seq
            order by milestone_order
            rows between unbounded preceding and 1 preceding
        ) as latest_earlier_seq
    from journey_steps

),

final as (

    select
        {{ journey_id('template_name', 'start_event_id') }} as journey_id,
        template_name,
        conversation_id,
        milestone_name,
        milestone_order,
        reached_seq is not null as reached,
        reached_at,
        event_id,
        {{ seconds_between('started_at', 'reached_at') }} as seconds_from_start,
        case
            when reached_seq is not null then coalesce(latest_earlier_seq, 0) <= reached_seq
        end as in_order
    from with_earlier

)

select * from final
