-- Each exclusion once: a file holds the exclusions that started in its quarter, so an
-- exclusion appears in one file; should a later file repeat it, the later one wins.
with ranked as (
    select
        exclusions.*,
        row_number() over (partition by exclusion_pseudonym order by period_end desc) as recency
    from {{ ref('stg_exclusions') }} as exclusions
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
