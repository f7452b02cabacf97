-- Rows that break the event contract, with one reason each, so nothing is silently lost.

with validated as (

    select * from {{ ref('stg_events__validated') }}
    where row_outcome = 'rejected'

),

final as (

    select
        rejection_reason,
        source_file,
        source_line,
        load_id,
        event_id,
        conversation_id,
        event_type,
        occurred_at_text,
        tags_text,
        metadata_text,
        ingested_at
    from validated

)

select * from final
