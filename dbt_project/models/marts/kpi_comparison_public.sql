-- kpi_comparison for the public, with DfE's small-number suppression (docs/statistics.md,
-- "Publishing for the public"); the publish step writes it as
-- published/kpi_comparison_public.csv. Rows computed from our extracts (value_source
-- 'local') are suppressed; rows of DfE's releases are DfE's published, already suppressed,
-- figures and are kept as published.
--
-- Primary: a count from 1 to small_count_threshold - 1 is `c`, and a row with such a count is
-- suppressed: its value, change, national rank and quartile band are `c`.
-- Secondary: no suppressed count can be worked out from the others in the file. A row is
-- withheld too when it is linked to a suppressed row: a longer period of the same KPI holding
-- it, a total whose breakdown it is (kpi_id = total + '_<group>'), and the 20-week KPI
-- excluding exceptions when the one including them is suppressed or the exceptions (their
-- difference) are a small count. Links are followed until nothing new is withheld (a
-- recursive query). A withheld row shows `c` for its value and its non-zero counts.
-- previous_value is `c` when the preceding period's row is suppressed or cannot be found.
{%- set threshold = var('small_count_threshold') %}

with recursive comparison as (
    select
        *,
        row_number() over (order by la_code, kpi_id, period_type, period, value_source) as cell_id,
        cast(period_start as date) as first_day,
        cast(period_end as date) as last_day,
        coalesce(value_source = 'local' and numerator >= 1 and numerator < {{ threshold }}, false)
            as numerator_is_small,
        coalesce(value_source = 'local' and denominator >= 1 and denominator < {{ threshold }}, false)
            as denominator_is_small
    from {{ ref('kpi_comparison') }}
),

local_cells as (
    select * from comparison
    where value_source = 'local'
),

twenty_week_pairs as (
    select
        including.cell_id as including_cell,
        excluding.cell_id as excluding_cell,
        including.denominator - excluding.denominator as exceptions_issued,
        including.numerator - excluding.numerator as exceptions_within_20_weeks
    from local_cells as including
    inner join local_cells as excluding
        on including.la_code is not distinct from excluding.la_code
        and including.period_type = excluding.period_type
        and including.period = excluding.period
    where including.kpi_id = 'ehcp_20wk_incl_exc' and excluding.kpi_id = 'ehcp_20wk_excl_exc'
),

-- A suppressed from_cell makes to_cell disclose it (to_cell minus the other published parts).
disclosure_links as (
    select part.cell_id as from_cell, whole.cell_id as to_cell
    from local_cells as part
    inner join local_cells as whole
        on part.kpi_id = whole.kpi_id
        and part.la_code is not distinct from whole.la_code
        and part.first_day >= whole.first_day
        and part.last_day <= whole.last_day
        and date_diff('day', part.first_day, part.last_day) < date_diff('day', whole.first_day, whole.last_day)

    union all

    select breakdown.cell_id, total.cell_id
    from local_cells as breakdown
    inner join local_cells as total
        on starts_with(breakdown.kpi_id, total.kpi_id || '_')
        and breakdown.la_code is not distinct from total.la_code
        and breakdown.period_type = total.period_type
        and breakdown.period = total.period

    union all

    select including_cell, excluding_cell from twenty_week_pairs
),

withheld (cell_id) as (
    select cell_id from comparison
    where numerator_is_small or denominator_is_small

    union

    select excluding_cell from twenty_week_pairs
    where exceptions_issued between 1 and {{ threshold }} - 1
        or exceptions_within_20_weeks between 1 and {{ threshold }} - 1

    union

    select disclosure_links.to_cell
    from withheld
    inner join disclosure_links on withheld.cell_id = disclosure_links.from_cell
),

withheld_cells as (
    select distinct cell_id from withheld
),

flagged as (
    select
        comparison.*,
        withheld.cell_id is not null as row_suppressed,
        -- A row withheld only to protect another shows none of its non-zero counts.
        case
            when comparison.numerator_is_small or comparison.denominator_is_small then comparison.numerator_is_small
            else withheld.cell_id is not null and coalesce(comparison.numerator <> 0, false)
        end as numerator_suppressed,
        case
            when comparison.numerator_is_small or comparison.denominator_is_small then comparison.denominator_is_small
            else withheld.cell_id is not null and coalesce(comparison.denominator <> 0, false)
        end as denominator_suppressed
    from comparison
    left join withheld_cells as withheld on comparison.cell_id = withheld.cell_id
),

with_previous as (
    select
        current_row.*,
        -- The preceding period's row is suppressed, or missing although the mart carries a
        -- previous value for it (withheld rather than guessed).
        current_row.value_source = 'local'
        and current_row.previous_value is not null
        and coalesce(previous_row.row_suppressed, true) as previous_suppressed
    from flagged as current_row
    left join flagged as previous_row
        on current_row.la_code is not distinct from previous_row.la_code
        and current_row.kpi_id = previous_row.kpi_id
        and current_row.period_type = previous_row.period_type
        and current_row.value_source = previous_row.value_source
        and previous_row.last_day + 1 = current_row.first_day
)

select
    {{ spreadsheet_safe('la_code') }} as la_code,
    {{ spreadsheet_safe('la_new_code') }} as la_new_code,
    {{ spreadsheet_safe('la_name') }} as la_name,
    {{ spreadsheet_safe('region_code') }} as region_code,
    {{ spreadsheet_safe('region_name') }} as region_name,
    {{ spreadsheet_safe('kpi_id') }} as kpi_id,
    {{ spreadsheet_safe('kpi_name') }} as kpi_name,
    polarity,
    unit,
    period_type,
    period,
    first_day as period_start,
    last_day as period_end,
    {{ spreadsheet_safe('value_source') }} as value_source,
    {{ public_count('numerator', 'numerator_suppressed') }} as numerator,
    {{ public_count('denominator', 'denominator_suppressed') }} as denominator,
    case when row_suppressed then 'c' else {{ public_rounded('value') }} end as value,
    {{ spreadsheet_safe('value_missing_reason') }} as value_missing_reason,
    {{ public_rounded('england_value') }} as england_value,
    {{ public_rounded('region_value') }} as region_value,
    {{ spreadsheet_safe('sn_model') }} as sn_model,
    {{ public_rounded('sn_mean') }} as sn_mean,
    sn_count,
    {{ spreadsheet_safe('sn_included') }} as sn_included,
    case
        when row_suppressed and national_rank is not null then 'c'
        else cast(national_rank as varchar)
    end as national_rank,
    national_count,
    case when row_suppressed and quartile_band is not null then 'c' else quartile_band end as quartile_band,
    case when previous_suppressed then 'c' else {{ public_rounded('previous_value') }} end as previous_value,
    case
        when change is not null and (row_suppressed or previous_suppressed) then 'c'
        else {{ public_rounded('change') }}
    end as change,
    {{ spreadsheet_safe('benchmark_release') }} as benchmark_release
from with_previous
