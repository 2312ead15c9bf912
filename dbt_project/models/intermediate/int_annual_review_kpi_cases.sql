-- The annual review KPI rules, one row per plan (or review held) and KPI: the day that places
-- it in a period (counted_on) and whether it counts in the numerator.
with overdue_kpis as (
    select 'annual_reviews_overdue' as kpi_id
    union all
    select 'annual_reviews_overdue_pct'
)

select
    kpi_id,
    plan_pseudonym as case_pseudonym,
    period_end as counted_on,
    review_held_date is null and next_review_due_date < period_end as counts_in_numerator
from {{ ref('stg_annual_reviews') }}
cross join overdue_kpis

union all

-- Reviews held count in the quarter they were held; on time = on or before the due date.
select
    'annual_reviews_on_time_pct',
    plan_pseudonym,
    review_held_date,
    review_held_date <= next_review_due_date
from {{ ref('stg_annual_reviews') }}
where review_held_date is not null
