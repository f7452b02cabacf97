-- Where every raw row went: accepted, duplicate (a later copy of an event_id) or rejected
-- (with its reason). rows read = accepted + duplicates + rejected, always.

with validated as (

    select * from {{ ref('stg_events__validated') }}

),

final as (

    select
        row_outcome,
        coalesce(rejection_reason, '') as rejection_reason,
        count(*) as row_count
    from validated
    group by row_outcome, coalesce(rejection_reason, '')

)

select * from final
