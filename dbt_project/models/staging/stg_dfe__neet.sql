-- DfE's NEET and not known 16-17, one row per geography, year, age and characteristic, from
-- the by-characteristics releases and the LA scorecard data: numbers typed, a suppression
-- symbol kept as its reason (never 0). DfE's headline is the average of December, January
-- and February; time_period 2025 ("Calendar year") is the window ending February 2025, i.e.
-- academic year 2024/25 (macro dfe_academic_year_start). Ages 16 and 17 together are
-- labelled "16-17", "16 to 17" or "Total" depending on the release: all are 'total' here.
select
    {{ dfe_geography_columns('academic_year_start') }},
    case
        when lower(trim(age)) in ('16-17', '16 to 17', 'total') then 'total'
        else lower(trim(age))
    end as age,
    lower(nullif(trim(characteristic_grouping), '')) as characteristic_group,
    case lower(trim(characteristic))
        when 'total' then 'total'
        when 'ehc plan' then 'ehc_plan'
        when 'education, health and care plan' then 'ehc_plan'
        when 'sen ehc/statement' then 'ehc_plan'
        when 'sen support' then 'sen_support'
        when 'no identified sen' then 'no_sen'
        when 'no sen' then 'no_sen'
        else lower(nullif(trim(characteristic), ''))
    end as characteristic,
    {{ dfe_number('avg_cohort_count') }} as cohort,
    {{ dfe_number('avg_neet_nk_count') }} as neet_nk,
    {{ dfe_number('avg_neet_count') }} as neet,
    {{ dfe_number('avg_nk_count') }} as not_known,
    {{ dfe_number('neet_nk_percent') }} as neet_nk_pct,
    {{ dfe_missing_reason('neet_nk_percent') }} as neet_nk_pct_missing_reason,
    {{ dfe_number('neet_percent') }} as neet_pct,
    {{ dfe_missing_reason('neet_percent') }} as neet_pct_missing_reason,
    {{ dfe_number('nk_percent') }} as not_known_pct,
    {{ dfe_missing_reason('nk_percent') }} as not_known_pct_missing_reason
from {{ source('raw', 'dfe_neet') }}
where lower(trim(time_identifier)) in ('academic year', 'calendar year')
