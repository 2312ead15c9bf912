-- Headline rows of DfE's annual reviews file: review decisions communicated within 4 weeks
-- of the review meeting.
select
    {{ dfe_geography_columns() }},
    {{ dfe_number('review_expected') }} as reviews_expected,
    {{ dfe_number('total_review_meeting') }} as review_meetings_held,
    {{ dfe_number('number_decision_4weeks') }} as review_decisions_within_4_weeks,
    {{ dfe_number('number_decision_gt_4weeks') }} as review_decisions_over_4_weeks,
    {{ dfe_number('pc_decision_4weeks') }} as pct_review_decisions_within_4_weeks,
    {{ dfe_missing_reason('pc_decision_4weeks') }} as pct_review_decisions_within_4_weeks_missing_reason
from {{ source('raw', 'dfe_ehcp_annual_reviews') }}
where lower(time_identifier) = 'calendar year'
  and breakdown_topic = 'All annual reviews'
