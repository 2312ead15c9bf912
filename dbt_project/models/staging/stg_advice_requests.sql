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
{{ from_current_load('advice_requests', 'advice') }}
