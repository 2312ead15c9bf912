-- The permanent exclusion count rules, one row per exclusion and KPI. The rates per 100
-- pupils need the school census headcount and live in int_local_exclusion_rates.
select
    'perm_excl_count' as kpi_id,
    exclusion_pseudonym as case_pseudonym,
    start_date as counted_on,
    true as counts_in_numerator
from {{ ref('int_exclusions_latest') }}
where exclusion_type = 'permanent'

union all

select 'perm_excl_count_' || school_phase, exclusion_pseudonym, start_date, true
from {{ ref('int_exclusions_latest') }}
where exclusion_type = 'permanent'

union all

select 'perm_excl_count_' || sen_status, exclusion_pseudonym, start_date, true
from {{ ref('int_exclusions_latest') }}
where exclusion_type = 'permanent'
