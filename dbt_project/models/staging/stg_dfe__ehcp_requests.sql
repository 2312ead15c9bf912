-- Headline rows of DfE's requests-for-assessment file, numbers typed, symbols kept as reasons.
select
    {{ dfe_geography_columns() }},
    {{ dfe_number('requests_received_in_year') }} as requests_received,
    {{ dfe_number('requests_decided_to_assess') }} as requests_decided_to_assess,
    {{ dfe_number('requests_decided_not_to_assess') }} as requests_decided_not_to_assess,
    {{ dfe_number('request_not_assess_pc') }} as pct_requests_not_assessed,
    {{ dfe_missing_reason('request_not_assess_pc') }} as pct_requests_not_assessed_missing_reason,
    {{ dfe_number('request_outcome_six_weeks') }} as decisions_within_6_weeks,
    {{ dfe_number('request_outcome_over_6_weeks') }} as decisions_over_6_weeks,
    {{ dfe_number('request_outcome_six_weeks_pc') }} as pct_decisions_within_6_weeks,
    {{ dfe_missing_reason('request_outcome_six_weeks_pc') }} as pct_decisions_within_6_weeks_missing_reason
from {{ source('raw', 'dfe_ehcp_requests') }}
where lower(time_identifier) = 'calendar year'
  and breakdown_topic = 'All requests for EHC needs assessments'
