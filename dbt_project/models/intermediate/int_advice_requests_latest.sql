-- Each advice request as it stood in the latest quarterly file that holds it.
with ranked as (
    {{ latest_state(ref('stg_advice_requests'), 'advice_request_pseudonym') }}
)

select
    advice_request_pseudonym,
    request_pseudonym,
    source_period,
    advice_type,
    advice_requested_date,
    advice_received_date,
    as_at_date
from ranked
where recency = 1
