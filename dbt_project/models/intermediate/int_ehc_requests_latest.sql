-- Each request as it stood in the latest quarterly file that holds it (a case spans
-- several quarters; the latest file knows most about it), with the date the data are as at.
with ranked as (
    {{ latest_state(ref('stg_ehc_requests'), 'request_pseudonym') }}
)

select
    request_pseudonym,
    child_pseudonym,
    source_period,
    request_received_date,
    decision_date,
    decision,
    assessment_outcome,
    assessment_outcome_date,
    final_plan_issued_date,
    exception_reason,
    age_at_request,
    primary_need,
    as_at_date
from ranked
where recency = 1
