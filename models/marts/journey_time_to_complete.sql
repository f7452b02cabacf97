-- Per template: time to complete read off the Kaplan-Meier curve, which counts in-flight
-- and timed-out journeys as censored, next to the naive median over completed journeys
-- only (biased low: the slow journeys are the ones still open or timed out).

with curve as (

    select * from {{ ref('journey_completion_curve') }}

),

observations as (

    select * from {{ ref('int_journey_completion_times') }}

),

counts as (

    select
        template_name,
        count(*) as journeys,
        sum(case when is_completed then 1 else 0 end) as journeys_completed,
        sum(case when censored_as = 'open' then 1 else 0 end) as journeys_censored_open,
        sum(case when censored_as = 'timed_out' then 1 else 0 end) as journeys_censored_timed_out,
        {{ percentile_cont('case when is_completed then observed_seconds end', 0.5) }}
            as naive_median_seconds_closed_only
    from observations
    group by template_name

),

-- the median: the first time the estimated share not yet completed is at or below one half
km_medians as (

    select template_name, min(t_seconds) as km_median_seconds
    from curve
    where survival <= 0.5
    group by template_name

),

-- the curve is a step function: the value at a horizon is the last step at or before it
horizons as (

    select
        template_name,
        max(case when t_seconds <= 3600 then t_seconds end) as t_1h,
        max(case when t_seconds <= 4 * 3600 then t_seconds end) as t_4h,
        max(case when t_seconds <= 24 * 3600 then t_seconds end) as t_24h,
        max(case when t_seconds <= 48 * 3600 then t_seconds end) as t_48h,
        max(case when t_seconds <= 7 * 24 * 3600 then t_seconds end) as t_7d
    from curve
    group by template_name

),

at_horizons as (

    select
        horizons.template_name,
        max(case when curve.t_seconds = horizons.t_1h then curve.completion_probability end) as p_complete_1h,
        max(case when curve.t_seconds = horizons.t_4h then curve.completion_probability end) as p_complete_4h,
        max(case when curve.t_seconds = horizons.t_24h then curve.completion_probability end) as p_complete_24h,
        max(case when curve.t_seconds = horizons.t_48h then curve.completion_probability end) as p_complete_48h,
        max(case when curve.t_seconds = horizons.t_7d then curve.completion_probability end) as p_complete_7d
    from horizons
    inner join curve
        on horizons.template_name = curve.template_name
    group by horizons.template_name

),

final as (

    select
        -- grain
        counts.template_name,

        -- observations
        cast(counts.journeys as {{ dbt.type_bigint() }}) as journeys,
        cast(counts.journeys_completed as {{ dbt.type_bigint() }}) as journeys_completed,
        cast(counts.journeys_censored_open as {{ dbt.type_bigint() }}) as journeys_censored_open,
        cast(counts.journeys_censored_timed_out as {{ dbt.type_bigint() }}) as journeys_censored_timed_out,

        -- medians, seconds
        cast(km_medians.km_median_seconds as {{ metrics_type_double() }}) as km_median_seconds,
        cast(counts.naive_median_seconds_closed_only as {{ metrics_type_double() }}) as naive_median_seconds_closed_only,

        -- completion probability by a horizon
        cast(at_horizons.p_complete_1h as {{ metrics_type_double() }}) as p_complete_1h,
        cast(at_horizons.p_complete_4h as {{ metrics_type_double() }}) as p_complete_4h,
        cast(at_horizons.p_complete_24h as {{ metrics_type_double() }}) as p_complete_24h,
        cast(at_horizons.p_complete_48h as {{ metrics_type_double() }}) as p_complete_48h,
        cast(at_horizons.p_complete_7d as {{ metrics_type_double() }}) as p_complete_7d

    from counts
    left join km_medians
        on counts.template_name = km_medians.template_name
    left join at_horizons
        on counts.template_name = at_horizons.template_name

)

select * from final
