-- Headline rows of DfE's EHC needs assessments file: decisions not to issue a plan and
-- whether they were made within 16 weeks.
select
    {{ dfe_geography_columns() }},
    {{ dfe_number('assess_issued') }} as plans_issued_after_assessment,
    {{ dfe_number('assess_not_issued') }} as decisions_not_to_issue,
    {{ dfe_number('outcome_decision_within_time') }} as decisions_not_to_issue_within_16_weeks,
    {{ dfe_number('outcome_decision_over_time') }} as decisions_not_to_issue_over_16_weeks,
    {{ dfe_number('outcome_decision_within_time_pc') }} as pct_decisions_not_to_issue_within_16_weeks,
    {{ dfe_missing_reason('outcome_decision_within_time_pc') }} as pct_decisions_not_to_issue_within_16_weeks_missing_reason
from {{ source('raw', 'dfe_ehcp_assessments') }}
where lower(time_identifier) = 'calendar year'
  and breakdown_topic = 'All EHC needs assessments'
