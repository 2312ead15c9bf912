-- Each children-missing-education case as it stood in the latest quarterly file that holds
-- it (a case open for months appears in several files; the latest knows most), with the
-- end of that file's quarter: a case with no closure date was open at least until then.
with ranked as (
    {{ latest_state(ref('stg_children_missing_education'), 'case_pseudonym') }}
)

select
    case_pseudonym,
    child_pseudonym,
    source_period,
    referral_date,
    referral_reason,
    closure_date,
    outcome,
    period_end as known_until
from ranked
where recency = 1
