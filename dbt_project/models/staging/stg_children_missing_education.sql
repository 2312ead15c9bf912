-- Rows of the current load of each quarter's children missing education extract: cases open
-- at some time in the quarter, as at the quarter end.
select
    cases.load_id,
    cases.source_period,
    cases.period_start,
    cases.period_end,
    cases.case_id as case_pseudonym,
    cases.child_id as child_pseudonym,
    cases.referral_date,
    cases.referral_reason,
    cases.closure_date,
    cases.outcome
{{ from_current_load('children_missing_education', 'cases') }}
