-- Every period of every calendar once: its label, index, first and last day.
select distinct period_type, period, period_index, period_start, period_end
from {{ ref('int_calendar') }}
