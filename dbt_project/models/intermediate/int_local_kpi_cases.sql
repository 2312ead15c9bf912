-- Every local KPI rule's cases in one table: one row per case and KPI with the day that
-- places it in a period (counted_on), whether it counts in the numerator and, for a KPI
-- measured in days, the days measured. The rules live in one model per family.
select kpi_id, case_pseudonym, counted_on, counts_in_numerator, days_measured
from {{ ref('int_ehc_kpi_cases') }}
union all
select kpi_id, case_pseudonym, counted_on, counts_in_numerator, cast(null as integer)
from {{ ref('int_annual_review_kpi_cases') }}
union all
select kpi_id, case_pseudonym, counted_on, counts_in_numerator, cast(null as integer)
from {{ ref('int_exclusion_kpi_cases') }}
union all
select kpi_id, case_pseudonym, counted_on, counts_in_numerator, days_measured
from {{ ref('int_cme_kpi_cases') }}
