-- The current load of each extract and quarter: what the KPIs are computed from.
select
    load_id,
    extract,
    source_period,
    file_name,
    file_sha256,
    rows_in_file,
    rows_loaded,
    rows_quarantined,
    loaded_at
from {{ source('raw', 'load_log') }}
where status = 'current'
