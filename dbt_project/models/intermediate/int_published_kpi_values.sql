-- DfE's published KPI values for England, regions and every authority, one row per
-- geography, KPI and period (EHC plans by calendar year; exclusions, NEET and children
-- missing education during the year by academic year, period_index being its start year;
-- children missing education on the census day by term). Where releases
-- overlap the newer one wins; the release each value came from is kept. A suppressed value
-- is NULL with its reason, never 0.
with timeliness as (
    select * from {{ ref('stg_dfe__ehcp_timeliness') }}
),

requests as (
    select * from {{ ref('stg_dfe__ehcp_requests') }}
),

assessments as (
    select * from {{ ref('stg_dfe__ehcp_assessments') }}
),

annual_reviews as (
    select * from {{ ref('stg_dfe__ehcp_annual_reviews') }}
),

exclusions as (
    -- All schools together (DfE's "Total" phase), as the local rates are.
    select * from {{ ref('stg_dfe__exclusions') }}
    where school_phase = 'total'
),

neet as (
    -- Ages 16 and 17 together; all young people, and those with an EHC plan.
    select
        *,
        case when characteristic = 'ehc_plan' then '_ehc_plan' else '' end as kpi_suffix
    from {{ ref('stg_dfe__neet') }}
    where age = 'total'
      and (characteristic = 'ehc_plan' or (characteristic = 'total' and characteristic_group = 'total'))
),

missing_education_on_census_day as (
    select * from {{ ref('stg_dfe__cme') }}
    where breakdown = 'total'
),

missing_education_during_the_year as (
    select * from {{ ref('stg_dfe__cme_full_year') }}
    where breakdown = 'total'
),

kpi_rows as (
    select
        release, release_year, 'calendar_year' as period_type, calendar_year as period_index,
        geographic_level, region_code, region_name, old_la_code, la_name,
        'ehcp_20wk_excl_exc' as kpi_id,
        plans_issued_within_20_weeks_excl_exceptions as numerator,
        plans_issued_excl_exceptions as denominator,
        pct_plans_issued_within_20_weeks_excl_exceptions as value,
        pct_plans_issued_within_20_weeks_excl_exceptions_missing_reason as value_missing_reason
    from timeliness

    union all

    select
        release, release_year, 'calendar_year', calendar_year,
        geographic_level, region_code, region_name, old_la_code, la_name,
        'ehcp_20wk_incl_exc',
        plans_issued_within_20_weeks,
        plans_issued,
        pct_plans_issued_within_20_weeks,
        pct_plans_issued_within_20_weeks_missing_reason
    from timeliness

    union all

    select
        release, release_year, 'calendar_year', calendar_year,
        geographic_level, region_code, region_name, old_la_code, la_name,
        'ehc_decision_6wk',
        decisions_within_6_weeks,
        decisions_within_6_weeks + decisions_over_6_weeks,
        pct_decisions_within_6_weeks,
        pct_decisions_within_6_weeks_missing_reason
    from requests

    union all

    -- DfE left request_not_assess_pc unpublished ('x') before 2023 but published both
    -- counts: the rate is then computed from them, as DfE defines it, to one decimal place.
    select
        release, release_year, 'calendar_year', calendar_year,
        geographic_level, region_code, region_name, old_la_code, la_name,
        'refusal_to_assess_rate',
        requests_decided_not_to_assess,
        requests_received,
        coalesce(
            pct_requests_not_assessed,
            round(100.0 * requests_decided_not_to_assess / nullif(requests_received, 0), 1)
        ),
        case
            when pct_requests_not_assessed is not null then null
            when requests_decided_not_to_assess is not null and nullif(requests_received, 0) is not null then null
            else pct_requests_not_assessed_missing_reason
        end
    from requests

    union all

    select
        release, release_year, 'calendar_year', calendar_year,
        geographic_level, region_code, region_name, old_la_code, la_name,
        'ehc_no_plan_decision_16wk',
        decisions_not_to_issue_within_16_weeks,
        decisions_not_to_issue_within_16_weeks + decisions_not_to_issue_over_16_weeks,
        pct_decisions_not_to_issue_within_16_weeks,
        pct_decisions_not_to_issue_within_16_weeks_missing_reason
    from assessments

    union all

    select
        release, release_year, 'calendar_year', calendar_year,
        geographic_level, region_code, region_name, old_la_code, la_name,
        'annual_review_decision_4wk',
        review_decisions_within_4_weeks,
        review_decisions_within_4_weeks + review_decisions_over_4_weeks,
        pct_review_decisions_within_4_weeks,
        pct_review_decisions_within_4_weeks_missing_reason
    from annual_reviews

    union all

    select
        release, release_year, 'academic_year', academic_year_start,
        geographic_level, region_code, region_name, old_la_code, la_name,
        'perm_excl_rate', perm_excl, headcount, perm_excl_rate, perm_excl_rate_missing_reason
    from exclusions

    union all

    select
        release, release_year, 'academic_year', academic_year_start,
        geographic_level, region_code, region_name, old_la_code, la_name,
        'susp_rate', suspension, headcount, susp_rate, susp_rate_missing_reason
    from exclusions

    union all

    select
        release, release_year, 'academic_year', academic_year_start,
        geographic_level, region_code, region_name, old_la_code, la_name,
        'one_plus_susp_rate', one_plus_susp, headcount, one_plus_susp_rate, one_plus_susp_rate_missing_reason
    from exclusions

    union all

    -- DfE's headline: averages of December, January and February (numerator and cohort).
    select
        release, release_year, 'academic_year', academic_year_start,
        geographic_level, region_code, region_name, old_la_code, la_name,
        'neet_pct' || kpi_suffix, neet, cohort, neet_pct, neet_pct_missing_reason
    from neet

    union all

    select
        release, release_year, 'academic_year', academic_year_start,
        geographic_level, region_code, region_name, old_la_code, la_name,
        'not_known_pct' || kpi_suffix, not_known, cohort, not_known_pct, not_known_pct_missing_reason
    from neet

    union all

    select
        release, release_year, 'academic_year', academic_year_start,
        geographic_level, region_code, region_name, old_la_code, la_name,
        'neet_nk_pct' || kpi_suffix, neet_nk, cohort, neet_nk_pct, neet_nk_pct_missing_reason
    from neet

    union all

    -- Two measures never compared with each other: children missing education on the census
    -- day of each term, and at any time during the academic year (what the local extract
    -- counts). Published counts are rounded (authorities to 10, England to 100).
    select
        release, release_year, period_type, period_index,
        geographic_level, region_code, region_name, old_la_code, la_name,
        'cme_children_census', child_count, cast(null as double), child_count, child_count_missing_reason
    from missing_education_on_census_day

    union all

    select
        release, release_year, period_type, period_index,
        geographic_level, region_code, region_name, old_la_code, la_name,
        'cme_rate_per_100', child_count, cast(null as double), rate_per_100, rate_per_100_missing_reason
    from missing_education_on_census_day

    union all

    select
        release, release_year, 'academic_year', academic_year_start,
        geographic_level, region_code, region_name, old_la_code, la_name,
        'cme_children', child_count, cast(null as double), child_count, child_count_missing_reason
    from missing_education_during_the_year
),

with_geography as (
    select
        *,
        case geographic_level
            when 'National' then 'E92000001'
            when 'Regional' then region_code
            else old_la_code
        end as geography_code
    from kpi_rows
    -- Rows naming two authorities at once ("940 / 941") are not an authority's figure.
    where geographic_level in ('National', 'Regional')
       or (geographic_level = 'Local authority' and old_la_code not like '%/%')
),

ranked as (
    select
        *,
        row_number() over (
            partition by geographic_level, geography_code, kpi_id, period_type, period_index
            order by release_year desc, release desc
        ) as release_rank
    from with_geography
)

select
    release,
    period_type,
    period_index,
    geographic_level,
    geography_code,
    region_code,
    region_name,
    old_la_code,
    la_name,
    kpi_id,
    numerator,
    denominator,
    value,
    case when value is null then coalesce(value_missing_reason, 'not published') end as value_missing_reason
from ranked
where release_rank = 1
