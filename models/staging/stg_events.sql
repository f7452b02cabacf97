-- Accepted events: valid, first ingested copy of each event_id, typed, in UTC.
-- event_seq numbers a conversation's events in the contract's order (occurred_at, event_id),
-- so every later "before/after" is an integer comparison within one conversation.

-- depends_on: {{ ref('stg_refresh_conversations') }}

with validated as (

    select * from {{ ref('stg_events__validated') }}
    where row_outcome = 'accepted'
        {{ journeys_refresh_filter('conversation_id') }}

),

final as (

    select
        event_id,
        conversation_id,
        event_type,
        occurred_at,
        row_number() over (
            partition by conversation_id
            order by occurred_at, event_id
        ) as event_seq,
        channel,
        status,
        tags,
        agent_id,
        team_id,
        metadata,
        ingested_at
    from validated

)

select * from final
