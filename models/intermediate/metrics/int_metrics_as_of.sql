-- The as-of time the metric marts measure "now" against (contract §3.2.5), as one row, so
-- that every metric model reads the same instant.

with as_of as (

    select {{ journeys_as_of() }} as as_of_at

),

final as (

    select cast(as_of_at as {{ dbt.type_timestamp() }}) as as_of_at
    from as_of

)

select * from final
