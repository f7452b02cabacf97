-- The Kaplan-Meier curve of time to complete, per template: one row per distinct observed
-- time (plus t = 0). Completed journeys are events at their duration; open journeys are
-- censored at the as-of time and timed-out ones at their deadline. survival is the
-- estimated share of journeys not yet completed t seconds after their start.

with observations as (

    select * from {{ ref('int_journey_completion_times') }}

),

by_time as (

    select
        template_name,
        observed_seconds as t_seconds,
        sum(case when is_completed then 1 else 0 end) as completions,
        sum(case when is_completed then 0 else 1 end) as censored
    from observations
    group by template_name, observed_seconds

),

-- every curve starts at t = 0 with everyone at risk
anchors as (

    select distinct
        template_name,
        cast(0 as {{ metrics_type_double() }}) as t_seconds,
        0 as completions,
        0 as censored
    from observations

),

times as (

    select template_name, t_seconds, sum(completions) as completions, sum(censored) as censored
    from (
        select * from by_time
        union all
        select * from anchors
    ) as unioned
    group by template_name, t_seconds

),

-- at risk at t: everyone observed for t seconds or longer (censored at t still counts,
-- the usual convention that completions at t come first)
at_risk as (

    select
        times.*,
        sum(completions + censored) over (
            partition by template_name
            order by t_seconds desc
            rows between unbounded preceding and current row
        ) as at_risk
    from times

),

-- the product of (1 - completions / at_risk) over times up to t, as a sum of logarithms;
-- a factor of 0 (everyone at risk completes) makes the rest of the curve 0
steps as (

    select
        at_risk.*,
        sum(case when completions > 0 and completions = at_risk then 1 else 0 end) over (
            partition by template_name
            order by t_seconds
            rows between unbounded preceding and current row
        ) as zero_factors,
        sum(
            case
                when completions > 0 and completions < at_risk
                    then ln(1 - cast(completions as {{ metrics_type_double() }}) / at_risk)
                else 0
            end
        ) over (
            partition by template_name
            order by t_seconds
            rows between unbounded preceding and current row
        ) as log_survival
    from at_risk

),

-- the running minimum keeps the curve non-increasing where the window sums, added up in a
-- different order per row, differ in the last bits
curve as (

    select
        template_name,
        t_seconds,
        at_risk,
        completions,
        censored,
        min(case when zero_factors > 0 then 0 else exp(log_survival) end) over (
            partition by template_name
            order by t_seconds
            rows between unbounded preceding and current row
        ) as survival
    from steps

),

final as (

    select
        template_name,
        cast(t_seconds as {{ metrics_type_double() }}) as t_seconds,
        cast(at_risk as {{ dbt.type_bigint() }}) as at_risk,
        cast(completions as {{ dbt.type_bigint() }}) as completions,
        cast(censored as {{ dbt.type_bigint() }}) as censored,
        cast(survival as {{ metrics_type_double() }}) as survival,
        cast(1 - survival as {{ metrics_type_double() }}) as completion_probability
    from curve

)

select * from final
