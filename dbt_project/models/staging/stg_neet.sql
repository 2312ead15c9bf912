-- NEET 16-17 monthly counts (data/raw/neet/), one row per month, age and SEND status.
select
    month,
    cast(substr(month, 1, 4) as integer) * 12 + cast(substr(month, 6, 2) as integer) - 1 as month_index,
    age,
    send_status,
    cast(cohort as integer) as cohort,
    cast(neet as integer) as neet,
    cast(not_known as integer) as not_known,
    load_id,
    source_file,
    source_row_number
from {{ source('raw', 'neet') }}
