-- DfE's children missing education, one row per geography, academic year and breakdown:
-- numbers typed, a suppression symbol kept as its reason (never 0). The 2024/25 release's
-- filter_group / filter / number / pc / rate arrive under the 2025/26 names at load.
select
    {{ dfe_geography_columns('academic_year_start') }},
    lower(nullif(trim(breakdown_topic), '')) as breakdown_topic,
    case
        when lower(trim(breakdown_topic)) = 'total' and lower(trim(breakdown)) = 'total' then 'total'
        else lower(nullif(trim(breakdown), ''))
    end as breakdown,
    {{ dfe_number('child_count') }} as child_count,
    {{ dfe_missing_reason('child_count') }} as child_count_missing_reason,
    {{ dfe_number('child_percent') }} as child_percent,
    {{ dfe_number('rate_per_100') }} as rate_per_100,
    {{ dfe_missing_reason('rate_per_100') }} as rate_per_100_missing_reason
from {{ source('raw', 'dfe_cme') }}
where lower(trim(time_identifier)) = 'academic year'
