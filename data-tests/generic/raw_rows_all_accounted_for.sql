{#- rows read = accepted + duplicates + rejected: fails with both counts when they differ. -#}
{% test raw_rows_all_accounted_for(model) %}

with read_rows as (
    select count(*) as row_count from {{ source('journeys_raw', 'events') }}
),

accounted as (
    select sum(row_count) as row_count from {{ model }}
)

select read_rows.row_count as rows_read, accounted.row_count as rows_accounted
from read_rows
cross join accounted
where read_rows.row_count <> coalesce(accounted.row_count, 0)

{% endtest %}
