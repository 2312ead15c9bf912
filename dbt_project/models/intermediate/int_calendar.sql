-- The three calendars in one place (and school terms): every day from 2000 to 2040 with the financial quarter,
-- financial year, academic year, calendar year and month it belongs to, one row per day and
-- period type. KPI models place a case in a period by joining its date here. period_index
-- numbers the periods of one type consecutively, so "the previous period" is index - 1.
with days as (
    select cast(generate_series as date) as calendar_date
    from generate_series(cast('2000-01-01' as timestamp), cast('2040-12-31' as timestamp), interval 1 day)
),

parts as (
    select
        calendar_date,
        cast(extract(year from calendar_date) as integer) as year_number,
        cast(extract(month from calendar_date) as integer) as month_number,
        -- Financial year starts 1 April, academic year 1 September.
        cast(extract(year from calendar_date) as integer)
            - case when extract(month from calendar_date) < 4 then 1 else 0 end as financial_year_start,
        cast(extract(year from calendar_date) as integer)
            - case when extract(month from calendar_date) < 9 then 1 else 0 end as academic_year_start,
        -- April-June = 1, July-September = 2, October-December = 3, January-March = 4.
        cast(floor(((cast(extract(month from calendar_date) as integer) + 8) % 12) / 3) as integer) + 1
            as financial_quarter_number,
        -- School terms as DfE's termly census statistics name them: autumn September-December,
        -- spring January-March, summer April-August (each census day falls in its term).
        case
            when extract(month from calendar_date) >= 9 then 1
            when extract(month from calendar_date) <= 3 then 2
            else 3
        end as term_number
    from days
)

select
    calendar_date,
    'financial_quarter' as period_type,
    cast(financial_year_start as varchar) || '-'
        || lpad(cast((financial_year_start + 1) % 100 as varchar), 2, '0')
        || ' Q' || cast(financial_quarter_number as varchar) as period,
    financial_year_start * 4 + financial_quarter_number - 1 as period_index,
    cast({{ dbt.dateadd('month', '3 * (financial_quarter_number - 1)', 'make_date(financial_year_start, 4, 1)') }} as date)
        as period_start,
    cast({{ dbt.dateadd('day', -1, dbt.dateadd('month', '3 * financial_quarter_number', 'make_date(financial_year_start, 4, 1)')) }} as date)
        as period_end
from parts

union all

select
    calendar_date,
    'financial_year',
    cast(financial_year_start as varchar) || '-' || lpad(cast((financial_year_start + 1) % 100 as varchar), 2, '0'),
    financial_year_start,
    make_date(financial_year_start, 4, 1),
    make_date(financial_year_start + 1, 3, 31)
from parts

union all

select
    calendar_date,
    'academic_year',
    cast(academic_year_start as varchar) || '/' || lpad(cast((academic_year_start + 1) % 100 as varchar), 2, '0'),
    academic_year_start,
    make_date(academic_year_start, 9, 1),
    make_date(academic_year_start + 1, 8, 31)
from parts

union all

select
    calendar_date,
    'calendar_year',
    cast(year_number as varchar),
    year_number,
    make_date(year_number, 1, 1),
    make_date(year_number, 12, 31)
from parts

union all

select
    calendar_date,
    'month',
    cast(year_number as varchar) || '-' || lpad(cast(month_number as varchar), 2, '0'),
    year_number * 12 + month_number - 1,
    make_date(year_number, month_number, 1),
    cast({{ dbt.dateadd('day', -1, dbt.dateadd('month', 1, 'make_date(year_number, month_number, 1)')) }} as date)
from parts

union all

select
    calendar_date,
    'term',
    cast(academic_year_start as varchar) || '/' || lpad(cast((academic_year_start + 1) % 100 as varchar), 2, '0')
        || ' ' || case term_number when 1 then 'Autumn' when 2 then 'Spring' else 'Summer' end || ' term',
    academic_year_start * 3 + term_number - 1,
    case term_number
        when 1 then make_date(academic_year_start, 9, 1)
        when 2 then make_date(academic_year_start + 1, 1, 1)
        else make_date(academic_year_start + 1, 4, 1)
    end,
    case term_number
        when 1 then make_date(academic_year_start, 12, 31)
        when 2 then make_date(academic_year_start + 1, 3, 31)
        else make_date(academic_year_start + 1, 8, 31)
    end
from parts
