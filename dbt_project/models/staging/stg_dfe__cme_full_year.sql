-- DfE's children missing education at any time during the academic year, one row per
-- geography, academic year and breakdown (Total where the file has no breakdown), typed.
select
    {{ dfe_geography_columns('academic_year_start') }},
    case
        when lower(trim(breakdown_topic)) = 'total' and lower(trim(breakdown)) = 'total' then 'total'
        else lower(nullif(trim(breakdown), ''))
    end as breakdown,
    {{ dfe_number('cme_full_year') }} as child_count,
    {{ dfe_missing_reason('cme_full_year') }} as child_count_missing_reason
from {{ source('raw', 'dfe_cme_full_year') }}
where lower(trim(time_identifier)) = 'academic year'
