-- DSG budget monitoring, one row per financial year, budget period and block (GBP thousands).
select
    financial_year,
    cast(substr(financial_year, 1, 4) as integer) as financial_year_start,
    period,
    cast(substr(period, 2) as integer) as period_number,
    block,
    cast(budget_gbp_k as double) as budget,
    cast(forecast_outturn_gbp_k as double) as forecast_outturn,
    source_file,
    source_row_number
from {{ source('raw', 'dsg_monitoring') }}
