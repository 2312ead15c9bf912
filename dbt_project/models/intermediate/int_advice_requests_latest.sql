-- Each advice request as it stood in the latest quarterly file that holds it.
with ranked as (
    select
        advice.*,
        row_number() over (
            partition by advice_request_pseudonym order by period_end desc
        ) as recency,
        max(period_end) over () as as_at_date
    from {{ ref('stg_advice_requests') }} as advice
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
