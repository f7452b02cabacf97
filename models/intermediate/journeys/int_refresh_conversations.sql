-- The conversations this run recomputes after staging (docs/incremental.md): those re-staged
-- (stg_refresh_conversations), plus those with a start candidate that was open at the last
-- completed run and whose deadline has now passed: the as-of time moved, so it times out
-- without any new event. Every conversation when the as-of time went back (an event copy
-- that wins late can move the latest occurred_at down), or when the last run's as-of time
-- is unknown.

{{ config(materialized='table', pre_hook=[]) }}

{%- set manifest = journeys_built_relation('journeys_run_manifest') %}
{%- set candidates = journeys_built_relation('int_journey_candidates') %}
{%- set manifest_columns = adapter.get_columns_in_relation(manifest) | map(attribute='name') | map('lower') | list if manifest is not none else [] %}

with restaged as (

    select conversation_id from {{ ref('stg_refresh_conversations') }}

),

as_of as (

    select {{ journeys_as_of() }} as as_of_at

),

last_run as (

    {% if 'as_of_at' in manifest_columns -%}
    select as_of_at
    from {{ manifest }}
    order by recorded_at desc
    limit 1
    {%- else -%}
    select cast(null as {{ dbt.type_timestamp() }}) as as_of_at
    {%- endif %}

),

as_of_went_back as (

    select count(*) > 0 as is_true
    from last_run
    cross join as_of
    where last_run.as_of_at is null
        or as_of.as_of_at < last_run.as_of_at

),

timing_out as (

    {% if candidates is not none -%}
    select conversation_id
    from {{ candidates }}
    where status = 'open'
        and deadline_at < (select as_of_at from as_of)
    {%- else -%}
    select cast(null as {{ dbt.type_string() }}) as conversation_id
    where 1 = 0
    {%- endif %}

),

final as (

    select conversation_id from restaged
    union
    select conversation_id from timing_out
    union
    select conversation_id from {{ ref('stg_events') }}
    where (select is_true from as_of_went_back)

)

select * from final
