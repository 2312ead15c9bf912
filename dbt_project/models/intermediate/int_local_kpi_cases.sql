-- Every local KPI rule's cases in one relation: one row per case and KPI with the day that
-- places it in a period (counted_on), whether it counts in the numerator and, for a KPI
-- measured in days, the days measured. The rules live in one model per family.
-- A view: a union with no logic of its own, read once by int_local_kpi_values; as a table it
-- wrote every case row again (8.8 s of a 52.5 s dbt build at 100x, docs/performance.md).
{{ config(materialized='view') }}
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
