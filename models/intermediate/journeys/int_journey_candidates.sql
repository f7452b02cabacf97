-- Every start candidate of every template and conversation: an enabled event matching the
-- start trigger (contract §3.2.1, §3.4). For each, the journey it would open: the end event
-- that would close it, its deadline, its status as of the as-of time, and where the next
-- journey could start after it closes (contract §3.2.6). Which candidates really open a
-- journey is decided in int_journey_starts.

-- depends_on: {{ ref('int_refresh_conversations') }}

with matches as (

    select * from {{ ref('int_trigger_matches') }}
    where match_kind in ('start', 'end')
        {{ journeys_refresh_filter('conversation_id') }}

),

definitions as (

    select * from {{ ref('int_template_definitions') }}

),

-- one row per template, conversation and event that can start or close a journey (not named
-- `stream`: a keyword in Spark 4)
event_stream as (

    select
        template_name,
        conversation_id,
        event_seq,
        event_id,
        occurred_at,
        max(case when match_kind = 'start' then 1 else 0 end) = 1 as is_candidate,
        -- the first listed end condition the event matches names the end (contract §3.2.3)
        min(case when match_kind = 'end' then step_order end) as end_index
    from matches
    group by template_name, conversation_id, event_seq, event_id, occurred_at

),

-- the first end event strictly after each event
next_end as (

    select
        event_stream.*,
        min(case when end_index is not null then event_seq end) over (
            partition by template_name, conversation_id
            order by event_seq
            rows between 1 following and unbounded following
        ) as next_end_seq
    from event_stream

),

candidates as (

    select
        candidate.template_name,
        candidate.conversation_id,
        candidate.event_seq as start_seq,
        candidate.event_id as start_event_id,
        candidate.occurred_at as started_at,
        closing.event_seq as end_seq,
        closing.event_id as end_event_id,
        closing.occurred_at as end_at,
        closing.end_index,
        definitions.timeout_hours,
        definitions.reentry,
        case
            when definitions.timeout_hours is not null
                then {{ add_hours('candidate.occurred_at', 'definitions.timeout_hours') }}
        end as deadline_at
    from next_end as candidate
    inner join definitions
        on candidate.template_name = definitions.template_name
    left join event_stream as closing
        on candidate.template_name = closing.template_name
        and candidate.conversation_id = closing.conversation_id
        and candidate.next_end_seq = closing.event_seq
    where candidate.is_candidate

),

-- an end event at or before the deadline completes; else the deadline times it out once it
-- has passed the as-of time; else it is open (contract §3.2.4, §3.2.5)
outcomes as (

    select
        candidates.*,
        case
            when end_seq is not null and (deadline_at is null or end_at <= deadline_at) then 'completed'
            when deadline_at < {{ journeys_as_of() }} then 'timed_out'
            else 'open'
        end as status
    from candidates

),

-- where a journey opened here would close, as a point in the event order: right after the
-- closing event, or after every event at the deadline's time
close_points as (

    select
        template_name,
        conversation_id,
        case when status = 'completed' then end_at else deadline_at end as point_at,
        case when status = 'completed' then end_seq else {{ journeys_max_seq() }} end as point_seq,
        1 as point_kind,
        start_seq as closes_start_seq
    from outcomes
    where status in ('completed', 'timed_out')

),

candidate_points as (

    select
        template_name,
        conversation_id,
        started_at as point_at,
        start_seq as point_seq,
        0 as point_kind,
        cast(null as {{ dbt.type_bigint() }}) as closes_start_seq
    from outcomes

),

-- the first candidate after each close point is where the next journey starts
next_starts as (

    select
        closes_start_seq,
        template_name,
        conversation_id,
        min(case when point_kind = 0 then point_seq end) over (
            partition by template_name, conversation_id
            order by point_at, point_seq, point_kind
            rows between 1 following and unbounded following
        ) as next_start_seq
    from (
        select * from close_points
        union all
        select * from candidate_points
    ) as points

),

final as (

    select
        outcomes.template_name,
        outcomes.conversation_id,
        outcomes.start_seq,
        outcomes.start_event_id,
        outcomes.started_at,
        outcomes.status,
        case when outcomes.status = 'completed' then outcomes.end_seq end as end_seq,
        case when outcomes.status = 'completed' then outcomes.end_event_id end as end_event_id,
        case when outcomes.status = 'completed' then outcomes.end_index end as end_index,
        case
            when outcomes.status = 'completed' then outcomes.end_at
            when outcomes.status = 'timed_out' then outcomes.deadline_at
        end as ended_at,
        outcomes.deadline_at,
        next_starts.next_start_seq,
        row_number() over (
            partition by outcomes.template_name, outcomes.conversation_id
            order by outcomes.start_seq
        ) = 1 as is_first_candidate
    from outcomes
    left join next_starts
        on outcomes.template_name = next_starts.template_name
        and outcomes.conversation_id = next_starts.conversation_id
        and outcomes.start_seq = next_starts.closes_start_seq

)

select * from final
