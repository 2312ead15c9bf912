-- DfE's exclusions by geography, academic-year rows, one row per geography, year and school
-- phase: numbers typed, a suppression symbol kept as its reason (never 0). The phase label
-- (education_phase, school_type up to 2020/21) becomes a canonical school_phase through the
-- dfe_school_phases seed; a label the seed does not know leaves school_phase NULL, which the
-- not_null test turns into a failed build rather than a row that silently disappears.
with published as (
    select * from {{ source('raw', 'dfe_exclusions') }}
    where lower(trim(time_identifier)) = 'academic year'
),

phases as (
    select lower(trim(dfe_label)) as dfe_label, school_phase
    from {{ ref('dfe_school_phases') }}
)

select
    {{ dfe_geography_columns('academic_year_start') }},
    phases.school_phase,
    nullif(trim(published.education_phase), '') as school_phase_label,
    {{ dfe_number('headcount') }} as headcount,
    {{ dfe_number('perm_excl') }} as perm_excl,
    {{ dfe_number('perm_excl_rate') }} as perm_excl_rate,
    {{ dfe_missing_reason('perm_excl_rate') }} as perm_excl_rate_missing_reason,
    {{ dfe_number('suspension') }} as suspension,
    {{ dfe_number('susp_rate') }} as susp_rate,
    {{ dfe_missing_reason('susp_rate') }} as susp_rate_missing_reason,
    {{ dfe_number('one_plus_susp') }} as one_plus_susp,
    {{ dfe_number('one_plus_susp_rate') }} as one_plus_susp_rate,
    {{ dfe_missing_reason('one_plus_susp_rate') }} as one_plus_susp_rate_missing_reason
from published
left join phases
    on lower(trim(published.education_phase)) = phases.dfe_label
