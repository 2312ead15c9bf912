-- Rows of the current load of each quarter's exclusions extract: exclusions that started in
-- the quarter. The school's URN is not personal data and stays as it is.
select
    exclusions.load_id,
    exclusions.source_period,
    exclusions.period_start,
    exclusions.period_end,
    exclusions.exclusion_id as exclusion_pseudonym,
    exclusions.pupil_id as pupil_pseudonym,
    exclusions.school_id,
    exclusions.school_phase,
    exclusions.sen_status,
    exclusions.exclusion_type,
    exclusions.start_date,
    exclusions.reason
{{ from_current_load('exclusions', 'exclusions') }}
