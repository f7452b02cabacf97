-- Every raw row, typed, with the first contract rule it breaks (contract §1) and its
-- duplicate rank among valid rows with the same event_id (1 = the first ingested copy).

-- depends_on: {{ ref('stg_refresh_conversations') }}

with source as (

    select * from {{ source('journeys_raw', 'events') }}
    {{ journeys_refresh_filter("coalesce(nullif(trim(conversation_id), ''), '')", 'where') }}

),

catalog as (

    select event_type from {{ ref('event_catalog') }}

),

typed as (

    select
        -- lineage
        _load_id as load_id,
        _source_file as source_file,
        _source_line as source_line,
        _source_error as source_error,
        _loaded_at as loaded_at,

        -- identity
        nullif(trim(event_id), '') as event_id,
        nullif(trim(conversation_id), '') as conversation_id,
        nullif(trim(event_type), '') as event_type,

        -- time, as read and parsed (NULL when unreadable); timed checks what they say
        occurred_at as occurred_at_text,
        {{ parse_utc_timestamp('nullif(trim(occurred_at), \'\')') }} as occurred_at_parsed,
        {{ parse_utc_timestamp('nullif(trim(ingested_at), \'\')') }} as ingested_at_parsed,
        nullif(trim(ingested_at), '') as ingested_at_text,

        -- conversation state at event time; '' is a missing value (contract §3.1)
        nullif(channel, '') as channel,
        nullif(status, '') as status,
        nullif(agent_id, '') as agent_id,
        nullif(team_id, '') as team_id,
        tags as tags_text,
        metadata as metadata_text

    from source

),

timed as (

    -- a timestamp that is not a real instant (contract §1.3) is kept as text only
    select
        typed.*,
        {{ timestamp_rejection('occurred_at', 'nullif(trim(occurred_at_text), \'\')', 'occurred_at_parsed') }}
            as occurred_at_problem,
        {{ timestamp_rejection('ingested_at', 'ingested_at_text', 'ingested_at_parsed') }} as ingested_at_problem
    from typed

),

checked as (

    select
        timed.*,
        case when occurred_at_problem is null then occurred_at_parsed end as occurred_at,
        -- the load time stands in when the source does not say, or says something unusable
        case when ingested_at_problem is null then coalesce(ingested_at_parsed, loaded_at) else loaded_at end
            as ingested_at,
        case
            when source_error is not null then source_error
            when event_id is null then 'missing event_id'
            when conversation_id is null then 'missing conversation_id'
            when event_type is null then 'missing event_type'
            when nullif(trim(occurred_at_text), '') is null then 'missing occurred_at'
            when occurred_at_problem is not null then occurred_at_problem
            when ingested_at_problem is not null then ingested_at_problem
            when event_type not in (select event_type from catalog) then 'unknown event_type'
            when {{ occurred_in_future('occurred_at_parsed', 'coalesce(ingested_at_parsed, loaded_at)') }}
                then 'occurred_at in the future'
            when nullif(trim(metadata_text), '') is not null
                and not {{ is_json_object('metadata_text') }} then 'metadata is not a JSON object'
            when nullif(trim(tags_text), '') is not null
                and not {{ is_json_string_list('tags_text') }} then 'tags is not a JSON list of strings'
        end as rejection_reason
    from timed

),

ranked as (

    select
        checked.*,
        case
            when rejection_reason is null then row_number() over (
                partition by event_id, rejection_reason is null
                order by ingested_at, loaded_at, source_file, source_line
            )
        end as copy_number
    from checked

),

final as (

    select
        load_id,
        loaded_at,
        source_file,
        source_line,
        event_id,
        conversation_id,
        event_type,
        occurred_at_text,
        occurred_at,
        ingested_at,
        channel,
        status,
        agent_id,
        team_id,
        case when rejection_reason is null then {{ json_string_list('tags_text') }} end as tags,
        case when rejection_reason is null then {{ json_object('metadata_text') }} end as metadata,
        tags_text,
        metadata_text,
        rejection_reason,
        case
            when rejection_reason is not null then 'rejected'
            when copy_number = 1 then 'accepted'
            else 'duplicate'
        end as row_outcome
    from ranked

)

select * from final
