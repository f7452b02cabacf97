-- The event at which each journey first reached each milestone (contract §3.2.2): the first
-- matching event strictly after the start, up to and including the closing event, and not
-- after the deadline. Journeys of one template and conversation never overlap, so a match
-- belongs to the latest journey started strictly before it.

-- depends_on: {{ ref('int_refresh_conversations') }}

with starts as (

    select * from {{ ref('int_journey_starts') }}
    {{ journeys_refresh_filter('conversation_id', 'where') }}

),

milestone_matches as (

    select template_name, conversation_id, event_seq, event_id, occurred_at, step_order as milestone_order
    from {{ ref('int_trigger_matches') }}
    where match_kind = 'milestone'
        {{ journeys_refresh_filter('conversation_id') }}

),

-- at the same event a match sorts before a start, so a start never reaches its own milestones
points as (

    select template_name, conversation_id, event_seq, 0 as point_kind,
        event_id, occurred_at, milestone_order
    from milestone_matches

    union all

    select template_name, conversation_id, start_seq as event_seq, 1 as point_kind,
        cast(null as {{ dbt.type_string() }}) as event_id,
        cast(null as {{ dbt.type_timestamp() }}) as occurred_at,
        cast(null as {{ dbt.type_int() }}) as milestone_order
    from starts

),

assigned as (

    select
        points.*,
        max(case when point_kind = 1 then event_seq end) over (
            partition by template_name, conversation_id
            order by event_seq, point_kind
            rows between unbounded preceding and current row
        ) as journey_start_seq
    from points

),

in_journey as (

    select
        assigned.template_name,
        assigned.conversation_id,
        assigned.journey_start_seq as start_seq,
        assigned.milestone_order,
        assigned.event_seq,
        assigned.event_id,
        assigned.occurred_at
    from assigned
    inner join starts
        on assigned.template_name = starts.template_name
        and assigned.conversation_id = starts.conversation_id
        and assigned.journey_start_seq = starts.start_seq
    where assigned.point_kind = 0
        and (starts.end_seq is null or assigned.event_seq <= starts.end_seq)
        and (starts.deadline_at is null or assigned.occurred_at <= starts.deadline_at)

),

first_hits as (

    select *
    from (
        select
            in_journey.*,
            row_number() over (
                partition by template_name, conversation_id, start_seq, milestone_order
                order by event_seq
            ) as hit_number
        from in_journey
    ) as numbered
    where hit_number = 1

),

final as (

    select template_name, conversation_id, start_seq, milestone_order, event_seq, event_id, occurred_at as reached_at
    from first_hits

)

select * from final
