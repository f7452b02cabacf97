-- Which start candidates really open a journey (contract §3.2, §3.3). Three cases, by template:
--   reentry false          : the first candidate only.
--   reentry, no timeout    : a journey is open from its start to the first end after it, so
--                            whether a candidate opens depends only on the events before it:
--                            window functions over the candidates and ends.
--   reentry and timeout    : where the next journey may start depends on how the previous one
--                            closed (end event or deadline), so the chain is followed from the
--                            first candidate, one journey per step (recursive over journeys,
--                            not events), and only for these templates.

-- depends_on: {{ ref('int_refresh_conversations') }}

with recursive definitions as (

    select * from {{ ref('int_template_definitions') }}

),

candidates as (

    select
        candidates.*,
        case
            when not definitions.reentry then 'first_only'
            when definitions.timeout_hours is null then 'alternating'
            else 'chained'
        end as start_rule
    from {{ ref('int_journey_candidates') }} as candidates
    inner join definitions
        on candidates.template_name = definitions.template_name
    {{ journeys_refresh_filter('candidates.conversation_id', 'where') }}

),

first_only_starts as (

    select template_name, conversation_id, start_seq
    from candidates
    where start_rule = 'first_only' and is_first_candidate

),

-- reentry without timeout: walk the start candidates and end events in order. A pure start
-- opens (or keeps open), a pure end closes, an event that is both flips the state: it closes
-- an open journey (and cannot reopen, 3.2.6) or opens one when none is open.
alternating_events as (

    select
        matches.template_name,
        matches.conversation_id,
        matches.event_seq,
        max(case when matches.match_kind = 'start' then 1 else 0 end) as is_start,
        max(case when matches.match_kind = 'end' then 1 else 0 end) as is_end
    from {{ ref('int_trigger_matches') }} as matches
    inner join definitions
        on matches.template_name = definitions.template_name
    where definitions.reentry
        and definitions.timeout_hours is null
        and matches.match_kind in ('start', 'end')
        {{ journeys_refresh_filter('matches.conversation_id') }}
    group by matches.template_name, matches.conversation_id, matches.event_seq

),

alternating_segments as (

    select
        alternating_events.*,
        sum(case when is_start + is_end = 1 then 1 else 0 end) over (
            partition by template_name, conversation_id
            order by event_seq
            rows between unbounded preceding and current row
        ) as segment
    from alternating_events

),

alternating_states as (

    select
        alternating_segments.*,
        -- the state a segment's single start-or-end event leaves, flipped by each both-event after it
        mod(
            max(case when is_start = 1 and is_end = 0 then 1 else 0 end) over (
                partition by template_name, conversation_id, segment
            )
            + sum(is_start * is_end) over (
                partition by template_name, conversation_id, segment
                order by event_seq
                rows between unbounded preceding and current row
            ),
            2
        ) as open_after
    from alternating_segments

),

alternating_starts as (

    select template_name, conversation_id, event_seq as start_seq
    from (
        select
            alternating_states.*,
            coalesce(lag(open_after) over (
                partition by template_name, conversation_id
                order by event_seq
            ), 0) as open_before
        from alternating_states
    ) as with_previous_state
    where is_start = 1 and open_before = 0

),

chained as (

    select * from candidates where start_rule = 'chained'

),

chained_starts (template_name, conversation_id, start_seq, next_start_seq) as (

    select template_name, conversation_id, start_seq, next_start_seq
    from chained
    where is_first_candidate

    union all

    select chained.template_name, chained.conversation_id, chained.start_seq, chained.next_start_seq
    from chained_starts
    inner join chained
        on chained_starts.template_name = chained.template_name
        and chained_starts.conversation_id = chained.conversation_id
        and chained_starts.next_start_seq = chained.start_seq

),

all_starts as (

    select * from first_only_starts
    union all
    select * from alternating_starts
    union all
    select template_name, conversation_id, start_seq from chained_starts

),

final as (

    select candidates.*
    from all_starts
    inner join candidates
        on all_starts.template_name = candidates.template_name
        and all_starts.conversation_id = candidates.conversation_id
        and all_starts.start_seq = candidates.start_seq

)

select * from final
