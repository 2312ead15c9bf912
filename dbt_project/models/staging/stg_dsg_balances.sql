-- DSG balances: cumulative deficit at 1 April (positive = deficit) and the year's total DSG
-- allocation, GBP thousands.
select
    financial_year,
    cast(substr(financial_year, 1, 4) as integer) as financial_year_start,
    cast(cumulative_deficit_at_1_april_gbp_k as double) as cumulative_deficit_at_1_april,
    cast(total_dsg_allocation_gbp_k as double) as total_dsg_allocation,
    source_file,
    source_row_number
from {{ source('raw', 'dsg_balances') }}
