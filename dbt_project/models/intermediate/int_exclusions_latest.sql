-- Each exclusion once: a file holds the exclusions that started in its quarter, so an
-- exclusion appears in one file; should a later file repeat it, the later one wins.
with ranked as (
    {{ latest_state(ref('stg_exclusions'), 'exclusion_pseudonym') }}
)

select
    exclusion_pseudonym,
    pupil_pseudonym,
    source_period,
    school_id,
    school_phase,
    sen_status,
    exclusion_type,
    start_date,
    reason
from ranked
where recency = 1
