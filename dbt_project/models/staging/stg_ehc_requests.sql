-- Rows of the current load of each quarter's EHC request extract; identifiers are keyed
-- hashes already, renamed here so that no column pretends to be the real id.
select
    requests.load_id,
    requests.source_period,
    requests.period_start,
    requests.period_end,
    requests.request_id as request_pseudonym,
    requests.child_id as child_pseudonym,
    requests.request_received_date,
    requests.decision_date,
    requests.decision,
    requests.assessment_outcome,
    requests.assessment_outcome_date,
    case when requests.assessment_outcome = 'plan_issued'
        then requests.assessment_outcome_date end as final_plan_issued_date,
    requests.exception_reason,
    requests.age_at_request,
    requests.primary_need
{{ from_current_load('ehc_requests', 'requests') }}
