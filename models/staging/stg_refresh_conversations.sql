-- The conversations whose events this run re-stages (docs/incremental.md), as trimmed ids
-- ('' stands for rows without a conversation id). Everything on the first run, after a
-- template was added, edited or removed, when the event catalog's types or the project's
-- rules (its models and macros, macros/fingerprints.sql) changed, or when the as-of setting
-- changed; otherwise the conversations with raw rows loaded since the last completed run and
-- those sharing an event_id with such rows. int_refresh_conversations adds those whose
-- journeys time out.

{%- set manifest = journeys_built_relation('journeys_run_manifest') %}
{%- set manifest_columns = adapter.get_columns_in_relation(manifest) | map(attribute='name') | map('lower') | list if manifest is not none else [] %}

with raw_rows as (

    select
        coalesce(nullif(trim(conversation_id), ''), '') as conversation_id,
        nullif(trim(event_id), '') as event_id,
        _loaded_at as loaded_at
    from {{ source('journeys_raw', 'events') }}

),

last_run as (

    {% if 'rules_fingerprint' in manifest_columns -%}
    select loaded_until, template_fingerprint, as_of_setting, catalog_fingerprint, rules_fingerprint
    from {{ manifest }}
    order by recorded_at desc
    limit 1
    {%- else -%}
    select
        cast(null as {{ dbt.type_timestamp() }}) as loaded_until,
        cast(null as {{ dbt.type_string() }}) as template_fingerprint,
        cast(null as {{ dbt.type_string() }}) as as_of_setting,
        cast(null as {{ dbt.type_string() }}) as catalog_fingerprint,
        cast(null as {{ dbt.type_string() }}) as rules_fingerprint
    where 1 = 0
    {%- endif %}

),

current_templates as (

    select {{ journeys_template_fingerprint() }} as template_fingerprint
    from {{ ref('int_template_definitions') }}

),

current_catalog as (

    select {{ journeys_catalog_fingerprint() }} as catalog_fingerprint
    from {{ ref('event_catalog') }}

),

rebuild_everything as (

    select count(*) = 0 as is_needed
    from last_run
    cross join current_templates
    cross join current_catalog
    where last_run.template_fingerprint = current_templates.template_fingerprint
        and last_run.catalog_fingerprint = current_catalog.catalog_fingerprint
        and last_run.rules_fingerprint = {{ journeys_rules_fingerprint() }}
        and last_run.as_of_setting = '{{ journeys_as_of_setting() }}'

),

new_rows as (

    select raw_rows.*
    from raw_rows
    where loaded_at > (select max(loaded_until) from last_run)
        or (select max(loaded_until) from last_run) is null

),

sharing_an_event_id as (

    select raw_rows.conversation_id
    from raw_rows
    inner join (select distinct event_id from new_rows where event_id is not null) as new_ids
        on raw_rows.event_id = new_ids.event_id

),

final as (

    select conversation_id from raw_rows where (select is_needed from rebuild_everything)
    union
    select conversation_id from new_rows
    union
    select conversation_id from sharing_an_event_id

)

select * from final
