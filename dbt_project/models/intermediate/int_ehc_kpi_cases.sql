-- The EHC assessment and advice KPI rules, one row per case and KPI: the day that places
-- the case in a period (counted_on) and whether it counts in the numerator. Statutory day
-- limits come from the statutory_timescales seed only. Day 0 is the request (or advice request) date, so day 140
-- is within 20 weeks and day 141 is not. The data are as at the end of the latest quarter
-- loaded: a case still open after its deadline by then is late, one not yet due is left out.
with timescales as (
    select
        max(case when timescale_id = 'final_ehc_plan' then days end) as final_plan_days,
        max(case when timescale_id = 'decision_to_assess' then days end) as decision_days,
        max(case when timescale_id = 'decision_not_to_issue' then days end) as no_plan_decision_days,
        max(case when timescale_id = 'statutory_advice' then days end) as advice_days
    from {{ ref('statutory_timescales') }}
),

requests as (
    select
        requests.*,
        timescales.*,
        {{ dbt.datediff('request_received_date', 'final_plan_issued_date', 'day') }} as days_to_final_plan,
        {{ dbt.datediff('request_received_date', 'decision_date', 'day') }} as days_to_decision,
        {{ dbt.datediff('request_received_date', 'assessment_outcome_date', 'day') }} as days_to_assessment_outcome,
        cast({{ dbt.dateadd('day', 'timescales.decision_days', 'request_received_date') }} as date) as decision_due_date
    from {{ ref('int_ehc_requests_latest') }} as requests
    cross join timescales
),

advice as (
    select
        advice.*,
        {{ dbt.datediff('advice_requested_date', 'advice_received_date', 'day') }} as days_to_advice,
        cast({{ dbt.dateadd('day', 'timescales.advice_days', 'advice_requested_date') }} as date) as advice_due_date,
        timescales.advice_days
    from {{ ref('int_advice_requests_latest') }} as advice
    cross join timescales
),

final_plans as (
    -- Plans count in the period they were issued (DfE's basis).
    select
        'ehcp_20wk_incl_exc' as kpi_id,
        request_pseudonym as case_pseudonym,
        final_plan_issued_date as counted_on,
        days_to_final_plan <= final_plan_days as counts_in_numerator
    from requests
    where final_plan_issued_date is not null

    union all

    -- Excluding exceptions: a case with a reg. 10(4) exception leaves numerator and denominator.
    select
        'ehcp_20wk_excl_exc',
        request_pseudonym,
        final_plan_issued_date,
        days_to_final_plan <= final_plan_days
    from requests
    where final_plan_issued_date is not null
      and exception_reason is null
),

no_plan_decisions as (
    -- Decisions not to issue a plan after assessing count in the period they were made
    -- (DfE's assessments file counts them by calendar year of the decision).
    select
        'ehc_no_plan_decision_16wk' as kpi_id,
        request_pseudonym as case_pseudonym,
        assessment_outcome_date as counted_on,
        days_to_assessment_outcome <= no_plan_decision_days as counts_in_numerator
    from requests
    where assessment_outcome = 'plan_not_issued'
),

decisions as (
    -- Requests count in the period they were received (DfE's basis); a decision still not
    -- made after its deadline is late; withdrawn requests have no decision to time.
    select
        'ehc_decision_6wk' as kpi_id,
        request_pseudonym as case_pseudonym,
        request_received_date as counted_on,
        coalesce(days_to_decision <= decision_days, false) as counts_in_numerator
    from requests
    where decision in ('assess', 'not_assess')
       or (decision is null and decision_due_date <= as_at_date)
),

refusals as (
    -- DfE's request_not_assess_pc: refused / all requests received in the period.
    select
        'refusal_to_assess_rate' as kpi_id,
        request_pseudonym as case_pseudonym,
        request_received_date as counted_on,
        coalesce(decision = 'not_assess', false) as counts_in_numerator
    from requests
),

advice_cases as (
    -- Advice counts in the period it fell due; outstanding after the deadline = late.
    select
        advice_type,
        advice_request_pseudonym as case_pseudonym,
        advice_due_date as counted_on,
        coalesce(days_to_advice <= advice_days, false) as counts_in_numerator
    from advice
    where advice_received_date is not null
       or advice_due_date <= as_at_date
),

advice_kpis as (
    select 'advice_6wk' as kpi_id, case_pseudonym, counted_on, counts_in_numerator
    from advice_cases

    union all

    select 'advice_6wk_' || advice_type, case_pseudonym, counted_on, counts_in_numerator
    from advice_cases
)

select kpi_id, case_pseudonym, counted_on, counts_in_numerator, cast(null as integer) as days_measured
from final_plans
union all
select *, cast(null as integer) from no_plan_decisions
union all
select *, cast(null as integer) from decisions
union all
select *, cast(null as integer) from refusals
union all
select *, cast(null as integer) from advice_kpis
