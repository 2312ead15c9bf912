-- DfE's children missing education at census date, one row per geography, period and
-- breakdown: a count on the census day of each term (time_identifier "Autumn term", ...,
-- time_period 202526), or of an academic year where a release gives one; numbers typed, a
-- suppression symbol kept as its reason (never 0). The 2024/25 release's filter_group /
-- filter / number / pc / rate arrive under the 2025/26 names at load. Never the same
-- measure as the full-year count (stg_dfe__cme_full_year).
with typed as (
    select
        {{ dfe_geography_columns('academic_year_start') }},
        lower(trim(time_identifier)) as time_identifier,
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
    where lower(trim(time_identifier)) in ('academic year', 'autumn term', 'spring term', 'summer term')
)

select
    *,
    case when time_identifier = 'academic year' then 'academic_year' else 'term' end as period_type,
    -- int_calendar numbers terms on from the academic year: autumn, spring, summer.
    case time_identifier
        when 'academic year' then academic_year_start
        when 'autumn term' then academic_year_start * 3
        when 'spring term' then academic_year_start * 3 + 1
        else academic_year_start * 3 + 2
    end as period_index
from typed
