-- The children missing education KPI rules, one row per case (per child for cme_children)
-- and KPI, with the days open for the median.
select
    'cme_referrals' as kpi_id,
    case_pseudonym,
    referral_date as counted_on,
    true as counts_in_numerator,
    cast(null as integer) as days_measured
from {{ ref('int_children_missing_education_latest') }}

union all

select 'cme_closures', case_pseudonym, closure_date, true, cast(null as integer)
from {{ ref('int_children_missing_education_latest') }}
where closure_date is not null

union all

select
    'cme_median_days_open', case_pseudonym, closure_date, true,
    {{ dbt.datediff('referral_date', 'closure_date', 'day') }}
from {{ ref('int_children_missing_education_latest') }}
where closure_date is not null

union all

-- Open at the quarter end: the quarter's own file is as at its end.
select 'cme_open_at_period_end', case_pseudonym, period_end, true, cast(null as integer)
from {{ ref('stg_children_missing_education') }}
where closure_date is null

union all

-- Children (not cases) open at some time in an academic year: counted once per year,
-- on the first day of the year they were open in.
select
    'cme_children',
    cases.child_pseudonym,
    case when cases.referral_date > years.period_start then cases.referral_date else years.period_start end,
    true,
    cast(null as integer)
from {{ ref('int_children_missing_education_latest') }} as cases
inner join {{ ref('int_periods') }} as years
    on years.period_type = 'academic_year'
    and years.period_start <= coalesce(cases.closure_date, cases.known_until)
    and years.period_end >= cases.referral_date
