-- Rows of the current load of each quarter's statutory advice extract.
select
    advice.load_id,
    advice.source_period,
    advice.period_start,
    advice.period_end,
    advice.advice_request_id as advice_request_pseudonym,
    advice.request_id as request_pseudonym,
    advice.advice_type,
    advice.advice_requested_date,
    advice.advice_received_date
from {{ source('raw', 'advice_requests') }} as advice
inner join {{ source('raw', 'load_log') }} as loads
    on loads.load_id = advice.load_id
where loads.status = 'current'
