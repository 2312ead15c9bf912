-- Headline rows of DfE's 20-week timeliness file, numbers typed, symbols kept as reasons.
-- The headline label changed between releases ("All EHC plans issued" -> "All EHC plans").
select
    {{ dfe_geography_columns() }},
    {{ dfe_number('plans_issued_den') }} as plans_issued,
    {{ dfe_number('plans_issued_within_20_weeks') }} as plans_issued_within_20_weeks,
    {{ dfe_number('pc_plans_issued_within_20_weeks') }} as pct_plans_issued_within_20_weeks,
    {{ dfe_missing_reason('pc_plans_issued_within_20_weeks') }} as pct_plans_issued_within_20_weeks_missing_reason,
    {{ dfe_number('plans_issued_den_ex') }} as plans_issued_excl_exceptions,
    {{ dfe_number('plans_issued_20_weeks_ex') }} as plans_issued_within_20_weeks_excl_exceptions,
    {{ dfe_number('pc_plans_issued_20_weeks_ex') }} as pct_plans_issued_within_20_weeks_excl_exceptions,
    {{ dfe_missing_reason('pc_plans_issued_20_weeks_ex') }} as pct_plans_issued_within_20_weeks_excl_exceptions_missing_reason
from {{ source('raw', 'dfe_ehcp_timeliness') }}
where lower(time_identifier) = 'calendar year'
  and breakdown_topic in ('All EHC plans issued', 'All EHC plans')
