-- Pupils on roll (data/raw/school_census/), one row per academic year, school phase and SEN status.
select
    academic_year,
    cast(substr(academic_year, 1, 4) as integer) as academic_year_start,
    school_phase,
    sen_status,
    cast(headcount as integer) as headcount,
    load_id,
    source_file,
    source_row_number
from {{ source('raw', 'school_census') }}
