{#-
    The cumulative DSG deficit, projected per scenario from the latest monitored financial
    year to the later of the statutory override's end and dsg_projection_years after it
    (docs/dsg.md). GBP thousands; positive = deficit. Every row's `basis` names what each
    figure came from. Closed forms rather than a recursive CTE: for year n after the latest
    monitored one (n = 0),
      high-needs allocation  = HN budget x (1 + allocation growth)^n
      high-needs spend       = HN forecast x (1 + demand growth)^n - savings x sum_{k<n} (1 + demand growth)^k
    which is exactly "last year's figure grown, less this year's savings", and the closing
    deficit is the opening balance plus the running sum of the yearly movements.
-#}
{%- set scenarios = var('dsg_scenarios', []) -%}
{%- set override_end = var('dsg_statutory_override_end') -%}
{%- set override_end_start_year = (override_end[:4] | int) - 1 -%}
{%- set projection_years = var('dsg_projection_years') | int -%}

with digits as (
    select digit.d
    from (values (0), (1), (2), (3), (4), (5), (6), (7), (8), (9)) as digit (d)
),

year_offsets as (
    select tens.d * 10 + units.d as n
    from digits as tens
    cross join digits as units
),

latest as (
    select
        financial_year,
        financial_year_start,
        max(period) as period,
        sum(case when block = 'high_needs' then budget end) as hn_budget,
        sum(case when block = 'high_needs' then forecast_outturn end) as hn_forecast,
        coalesce(sum(case when block <> 'high_needs' then forecast_outturn - budget end), 0) as other_blocks
    from {{ ref('int_dsg_latest_monitoring') }}
    where financial_year_start = (select max(financial_year_start) from {{ ref('int_dsg_latest_monitoring') }})
    group by financial_year, financial_year_start
),

scenarios as (
    select
        'current_forecast' as scenario,
        cast(0 as double) as allocation_growth,
        cast(0 as double) as demand_growth,
        cast(0 as double) as savings,
        true as rolls_forward,
        cast('current forecast rolled forward' as varchar) as label
    {%- for scenario in scenarios %}
    union all
    select
        '{{ scenario.name }}',
        {{ scenario.high_needs_allocation_growth_pct }} / 100.0,
        {{ scenario.high_needs_demand_growth_pct }} / 100.0,
        {{ scenario.savings_gbp_k }},
        false,
        'scenario {{ scenario.name }}: allocation {{ "%+.1f" % scenario.high_needs_allocation_growth_pct }}%, demand {{ "%+.1f" % scenario.high_needs_demand_growth_pct }}%, savings {{ "%g" % scenario.savings_gbp_k }}'
    {%- endfor %}
),

stated as (
    select
        cast(null as varchar) as scenario,
        cast(null as varchar) as financial_year,
        cast(null as double) as high_needs_shortfall,
        cast(null as double) as other_blocks
    from digits
    where 1 = 0
    {%- for scenario in scenarios %}{% for year in scenario.stated %}
    union all
    select
        '{{ scenario.name }}',
        '{{ year.financial_year }}',
        {{ 'null' if year.high_needs_shortfall_gbp_k is none else year.high_needs_shortfall_gbp_k }},
        {{ 'null' if year.other_blocks_gbp_k is none else year.other_blocks_gbp_k }}
    {%- endfor %}{% endfor %}
),

years as (
    select
        scenarios.scenario,
        scenarios.allocation_growth,
        scenarios.demand_growth,
        scenarios.savings,
        scenarios.rolls_forward,
        scenarios.label,
        latest.financial_year as monitored_year,
        latest.period as monitored_period,
        latest.hn_budget,
        latest.hn_forecast,
        latest.other_blocks as monitored_other_blocks,
        year_offsets.n,
        latest.financial_year_start + year_offsets.n as financial_year_start,
        cast(latest.financial_year_start + year_offsets.n as varchar) || '-'
            || substr(cast(latest.financial_year_start + year_offsets.n + 1 as varchar), 3, 2) as financial_year
    from latest
    cross join scenarios
    inner join year_offsets
        on year_offsets.n <= {{ projection_years }}
        or latest.financial_year_start + year_offsets.n <= {{ override_end_start_year }}
),

rules as (
    select
        years.*,
        years.hn_budget * power(1 + years.allocation_growth, years.n) as high_needs_allocation,
        years.hn_forecast * power(1 + years.demand_growth, years.n)
            - years.savings * case
                when years.demand_growth = 0 then years.n
                else (power(1 + years.demand_growth, years.n) - 1) / years.demand_growth
            end as high_needs_spend
    from years
),

movements as (
    select
        rules.*,
        stated.financial_year is not null as is_stated,
        coalesce(stated.high_needs_shortfall, rules.high_needs_spend - rules.high_needs_allocation) as high_needs_shortfall,
        coalesce(
            stated.other_blocks,
            case when rules.n = 0 or rules.rolls_forward then rules.monitored_other_blocks else 0 end
        ) as other_blocks_movement
    from rules
    left join stated
        on stated.scenario = rules.scenario
        and stated.financial_year = rules.financial_year
),

known_allocations as (
    select financial_year, financial_year_start, total_dsg_allocation
    from {{ ref('stg_dsg_balances') }}
    where total_dsg_allocation is not null
),

last_known_allocation as (
    select movements.scenario, movements.n, max(known_allocations.financial_year_start) as known_start
    from movements
    inner join known_allocations
        on known_allocations.financial_year_start <= movements.financial_year_start
    group by movements.scenario, movements.n
),

rolled as (
    select
        movements.*,
        opening_balance.cumulative_deficit_at_1_april
            + sum(movements.high_needs_shortfall + movements.other_blocks_movement) over (
                partition by movements.scenario order by movements.n rows between unbounded preceding and current row
            ) as closing_deficit,
        known_allocations.total_dsg_allocation
            * power(1 + movements.allocation_growth, movements.financial_year_start - known_allocations.financial_year_start)
            as dsg_allocation,
        known_allocations.financial_year as allocation_year
    from movements
    left join {{ ref('stg_dsg_balances') }} as opening_balance
        on opening_balance.financial_year = movements.monitored_year
    left join last_known_allocation
        on last_known_allocation.scenario = movements.scenario
        and last_known_allocation.n = movements.n
    left join known_allocations
        on known_allocations.financial_year_start = last_known_allocation.known_start
)

select
    scenario,
    financial_year,
    cast(cast(financial_year_start + 1 as varchar) || '-03-31' as date) as year_end,
    n as years_after_monitored,
    closing_deficit - high_needs_shortfall - other_blocks_movement as opening_deficit,
    high_needs_allocation,
    high_needs_spend,
    high_needs_shortfall,
    other_blocks_movement,
    closing_deficit,
    dsg_allocation,
    round(closing_deficit / nullif(dsg_allocation, 0) * 100, 2) as closing_deficit_pct_of_allocation,
    cast(cast(financial_year_start + 1 as varchar) || '-03-31' as date)
        = cast('{{ override_end }}' as date) as is_override_end_year,
    case when n = 0 then 'opening: DSG balance at 1 April ' || financial_year else 'opening: previous closing' end
    || '; movement: '
    || case
        when is_stated then 'stated in scenario ' || scenario || ' for ' || financial_year
        when n = 0 then 'monitoring ' || monitored_year || ' ' || monitored_period
        when rolls_forward then 'monitoring ' || monitored_year || ' ' || monitored_period || ' rolled forward'
        else label
    end
    || '; allocation: '
    || case
        when allocation_year is null then 'not known'
        when allocation_year = financial_year then 'DSG balances ' || allocation_year
        when rolls_forward then 'DSG balances ' || allocation_year || ' held flat'
        else 'DSG balances ' || allocation_year || ' grown by the allocation growth'
    end as basis
from rolled
