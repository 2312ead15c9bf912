-- DfE's published KPI values for England, regions and every authority, one row per
-- geography, KPI and period (EHC plans by calendar year; exclusions, NEET and children
-- missing education during the year by academic year, period_index being its start year;
-- children missing education on the census day by term). Where releases
-- overlap the newer one wins; the release each value came from is kept. A suppressed value
-- is NULL with its reason, never 0.

{#- Where each KPI's published figures are: the source (a CTE below) and its columns for the
    numerator, the denominator and the value; the value's missing reason is the value's
    column with _missing_reason. One line per KPI: a new published KPI is one line here and
    one row in the kpi_definitions seed with its dfe_source (the dbt test
    published_kpis_are_catalogued_as_dfe_published holds the two together). #}
{%- set published_kpis = [
    {'kpi_id': 'ehcp_20wk_excl_exc', 'source': 'timeliness', 'numerator': 'plans_issued_within_20_weeks_excl_exceptions', 'denominator': 'plans_issued_excl_exceptions', 'value': 'pct_plans_issued_within_20_weeks_excl_exceptions'},
    {'kpi_id': 'ehcp_20wk_incl_exc', 'source': 'timeliness', 'numerator': 'plans_issued_within_20_weeks', 'denominator': 'plans_issued', 'value': 'pct_plans_issued_within_20_weeks'},
    {'kpi_id': 'ehc_decision_6wk', 'source': 'requests', 'numerator': 'decisions_within_6_weeks', 'denominator': 'decisions_within_6_weeks + decisions_over_6_weeks', 'value': 'pct_decisions_within_6_weeks'},
    {'kpi_id': 'refusal_to_assess_rate', 'source': 'requests', 'numerator': 'requests_decided_not_to_assess', 'denominator': 'requests_received', 'value': 'refusal_to_assess_rate'},
    {'kpi_id': 'ehc_no_plan_decision_16wk', 'source': 'assessments', 'numerator': 'decisions_not_to_issue_within_16_weeks', 'denominator': 'decisions_not_to_issue_within_16_weeks + decisions_not_to_issue_over_16_weeks', 'value': 'pct_decisions_not_to_issue_within_16_weeks'},
    {'kpi_id': 'annual_review_decision_4wk', 'source': 'annual_reviews', 'numerator': 'review_decisions_within_4_weeks', 'denominator': 'review_decisions_within_4_weeks + review_decisions_over_4_weeks', 'value': 'pct_review_decisions_within_4_weeks'},
    {'kpi_id': 'perm_excl_rate', 'source': 'exclusions', 'numerator': 'perm_excl', 'denominator': 'headcount', 'value': 'perm_excl_rate'},
    {'kpi_id': 'susp_rate', 'source': 'exclusions', 'numerator': 'suspension', 'denominator': 'headcount', 'value': 'susp_rate'},
    {'kpi_id': 'one_plus_susp_rate', 'source': 'exclusions', 'numerator': 'one_plus_susp', 'denominator': 'headcount', 'value': 'one_plus_susp_rate'},
    {'kpi_id': 'neet_pct', 'source': 'neet', 'numerator': 'neet', 'denominator': 'cohort', 'value': 'neet_pct'},
    {'kpi_id': 'not_known_pct', 'source': 'neet', 'numerator': 'not_known', 'denominator': 'cohort', 'value': 'not_known_pct'},
    {'kpi_id': 'neet_nk_pct', 'source': 'neet', 'numerator': 'neet_nk', 'denominator': 'cohort', 'value': 'neet_nk_pct'},
    {'kpi_id': 'cme_children_census', 'source': 'missing_education_on_census_day', 'numerator': 'child_count', 'denominator': 'cast(null as double)', 'value': 'child_count'},
    {'kpi_id': 'cme_rate_per_100', 'source': 'missing_education_on_census_day', 'numerator': 'child_count', 'denominator': 'cast(null as double)', 'value': 'rate_per_100'},
    {'kpi_id': 'cme_children', 'source': 'missing_education_during_the_year', 'numerator': 'child_count', 'denominator': 'cast(null as double)', 'value': 'child_count'},
] -%}

{#- Each source's period, and what follows the KPI id (NEET's EHC plan rows are KPIs of their own). #}
{%- set calendar_year = {'period_type': "'calendar_year'", 'period_index': 'calendar_year', 'kpi_suffix': "''"} -%}
{%- set academic_year = {'period_type': "'academic_year'", 'period_index': 'academic_year_start', 'kpi_suffix': "''"} -%}
{%- set sources = {
    'timeliness': calendar_year,
    'requests': calendar_year,
    'assessments': calendar_year,
    'annual_reviews': calendar_year,
    'exclusions': academic_year,
    'neet': {'period_type': "'academic_year'", 'period_index': 'academic_year_start', 'kpi_suffix': 'kpi_suffix'},
    'missing_education_on_census_day': {'period_type': 'period_type', 'period_index': 'period_index', 'kpi_suffix': "''"},
    'missing_education_during_the_year': academic_year,
} %}

with timeliness as (
    select * from {{ ref('stg_dfe__ehcp_timeliness') }}
),

requests as (
    -- DfE left request_not_assess_pc unpublished ('x') before 2023 but published both
    -- counts: the rate is then computed from them, as DfE defines it, to one decimal place.
    select
        *,
        coalesce(
            pct_requests_not_assessed,
            round(100.0 * requests_decided_not_to_assess / nullif(requests_received, 0), 1)
        ) as refusal_to_assess_rate,
        case
            when pct_requests_not_assessed is not null then null
            when requests_decided_not_to_assess is not null and nullif(requests_received, 0) is not null then null
            else pct_requests_not_assessed_missing_reason
        end as refusal_to_assess_rate_missing_reason
    from {{ ref('stg_dfe__ehcp_requests') }}
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
    -- Ages 16 and 17 together; all young people, and those with an EHC plan. DfE's headline:
    -- averages of December, January and February (numerator and cohort).
    select
        *,
        case when characteristic = 'ehc_plan' then '_ehc_plan' else '' end as kpi_suffix
    from {{ ref('stg_dfe__neet') }}
    where age = 'total'
      and (characteristic = 'ehc_plan' or (characteristic = 'total' and characteristic_group = 'total'))
),

-- Two measures never compared with each other: children missing education on the census
-- day of each term, and at any time during the academic year (what the local extract
-- counts). Published counts are rounded (authorities to 10, England to 100).
missing_education_on_census_day as (
    select * from {{ ref('stg_dfe__cme') }}
    where breakdown = 'total'
),

missing_education_during_the_year as (
    select * from {{ ref('stg_dfe__cme_full_year') }}
    where breakdown = 'total'
),

kpi_rows as (
    {%- for kpi in published_kpis %}
    {%- set source = sources[kpi.source] %}
    select
        release,
        release_year,
        {{ source.period_type }} as period_type,
        {{ source.period_index }} as period_index,
        geographic_level,
        region_code,
        region_name,
        old_la_code,
        la_name,
        '{{ kpi.kpi_id }}' || {{ source.kpi_suffix }} as kpi_id,
        {{ kpi.numerator }} as numerator,
        {{ kpi.denominator }} as denominator,
        {{ kpi.value }} as value,
        {{ kpi.value }}_missing_reason as value_missing_reason
    from {{ kpi.source }}
    {% if not loop.last %}union all{% endif %}
    {%- endfor %}
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
