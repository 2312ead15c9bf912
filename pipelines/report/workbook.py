"""send_kpis.xlsx: the workbook a finance officer takes into a budget meeting and an analyst
filters: numbers as numbers with formats, frozen headers, filters, a projection chart."""

from __future__ import annotations

from datetime import datetime

import pandas as pd
from openpyxl import Workbook
from openpyxl.chart import LineChart, Reference
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter

from pipelines.report.content import PackContent
from pipelines.settings import Settings

BAND_FILL = {
    band: PatternFill("solid", fgColor=colour)
    for band, colour in {"A": "CCE2D8", "B": "E6F0D8", "C": "FFF2CC", "D": "F6D7D2"}.items()
}
KPI_COLUMNS = [
    ("KPI", "kpi_id", None),
    ("Name", "kpi_name", None),
    ("Period type", "period_type", None),
    ("Period", "period", None),
    ("Source", "value_source", None),
    ("Numerator", "numerator", "#,##0"),
    ("Denominator", "denominator", "#,##0"),
    ("Value", "value", "0.0##"),
    ("95% lower", "value_ci_lower", "0.00"),
    ("95% upper", "value_ci_upper", "0.00"),
    ("England", "england_value", "0.0##"),
    ("Region", "region_value", "0.0##"),
    ("Neighbours", "sn_mean", "0.0##"),
    ("Rank", "national_rank", "0"),
    ("Of", "national_count", "0"),
    ("Band", "quartile_band", None),
    ("vs England", "significance_vs_england", None),
    ("vs neighbours", "significance_vs_neighbours", None),
    ("Release", "benchmark_release", None),
]


def _numeric(value: object) -> object:
    """A published cell as a number where it is one; `c` and text stay text; blanks empty."""
    if value is None or (isinstance(value, float) and pd.isna(value)) or value == "":
        return None
    if isinstance(value, (int, float)):
        return value
    try:
        return float(value)
    except ValueError:
        return value


def _sheet(workbook: Workbook, title: str, headers: list[str], rows: list[list], formats: list[str | None]):
    sheet = workbook.create_sheet(title)
    sheet.append(headers)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append(row)
    for index, number_format in enumerate(formats, start=1):
        letter = get_column_letter(index)
        sheet.column_dimensions[letter].width = max(12, len(headers[index - 1]) + 2)
        if number_format:
            for (cell,) in sheet.iter_rows(min_row=2, min_col=index, max_col=index):
                if isinstance(cell.value, (int, float)):
                    cell.number_format = number_format
    sheet.freeze_panes = "A2"
    if rows:
        sheet.auto_filter.ref = sheet.dimensions
    return sheet


def build_workbook(content: PackContent, settings: Settings, written_at: datetime) -> Workbook:
    workbook = Workbook()
    workbook.remove(workbook.active)
    kpi_rows = [
        [_numeric(row[column]) if fmt else row[column] or None for _, column, fmt in KPI_COLUMNS]
        for row in content.rows.to_dict("records")
    ]
    kpis = _sheet(workbook, "KPIs", [h for h, _, _ in KPI_COLUMNS], kpi_rows, [f for _, _, f in KPI_COLUMNS])
    band_column = [h for h, _, _ in KPI_COLUMNS].index("Band") + 1
    for (cell,) in kpis.iter_rows(min_row=2, min_col=band_column, max_col=band_column):
        if cell.value in BAND_FILL:
            cell.fill = BAND_FILL[cell.value]

    monitoring = content.dsg_monitoring
    _sheet(
        workbook,
        "DSG monitoring",
        [
            "Financial year",
            "Period",
            "Block",
            "Budget (GBP k)",
            "Forecast outturn (GBP k)",
            "Variance (GBP k)",
            "Variance %",
        ],
        [
            [
                r["financial_year"],
                r["period"],
                r["block"],
                r["budget"],
                r["forecast_outturn"],
                r["variance"],
                r["variance_pct"],
            ]
            for r in monitoring.to_dict("records")
        ],
        [None, None, None, "#,##0", "#,##0", "#,##0", "0.00"],
    )

    projection = content.dsg_projection
    sheet = _sheet(
        workbook,
        "Deficit projection",
        [
            "Scenario",
            "Financial year",
            "Opening deficit (GBP k)",
            "High needs shortfall (GBP k)",
            "Other blocks (GBP k)",
            "Closing deficit (GBP k)",
            "DSG allocation (GBP k)",
            "% of allocation",
            "Override end year",
            "Basis",
        ],
        [
            [
                r["scenario"],
                r["financial_year"],
                r["opening_deficit"],
                r["high_needs_shortfall"],
                r["other_blocks_movement"],
                r["closing_deficit"],
                r["dsg_allocation"],
                r["closing_deficit_pct_of_allocation"],
                bool(r["is_override_end_year"]),
                r["basis"],
            ]
            for r in projection.to_dict("records")
        ],
        [None, None, "#,##0", "#,##0", "#,##0", "#,##0", "#,##0", "0.00", None, None],
    )
    if len(projection):
        _projection_chart(workbook, projection)
    del sheet
    _threshold_sheet(workbook, content.dsg_thresholds)
    _trend_sheet(workbook, content.trends)
    _group_sheet(workbook, content.comparator_groups)

    dsg = settings.dsg
    assumptions = [
        ["Statutory override end", dsg.statutory_override_end.isoformat(), ""],
        ["Years projected after the latest monitored one", dsg.projection_years, ""],
    ]
    for scenario in dsg.scenarios:
        assumptions += [
            [f"{scenario.name}: high needs allocation growth %", scenario.high_needs_allocation_growth_pct, ""],
            [f"{scenario.name}: high needs demand growth %", scenario.high_needs_demand_growth_pct, ""],
            [f"{scenario.name}: savings (GBP k)", scenario.savings_gbp_k, ""],
        ]
        for year, amounts in sorted(scenario.stated.items()):
            for key, value in amounts.items():
                assumptions.append([f"{scenario.name}: stated {key} for {year}", value, "replaces the growth rule"])
    if dsg.deficit_threshold_gbp_k is not None:
        assumptions.append(["Deficit threshold (GBP k)", dsg.deficit_threshold_gbp_k, "chosen locally"])
    if dsg.deficit_threshold_pct_of_allocation is not None:
        assumptions.append(
            ["Deficit threshold (% of DSG allocation)", dsg.deficit_threshold_pct_of_allocation, "chosen locally"]
        )
    assumptions += [
        ["Trend: quarters fitted", settings.trend_quarters, "least squares, 95% interval on the slope (Student's t)"],
        ["Trend: horizon (quarters)", settings.trend_horizon_quarters, "furthest a trend is projected"],
    ]
    assumptions += [
        [f"Comparator group {group.name}", ", ".join(group.members), "LA codes as set in sendkpi.toml"]
        for group in settings.comparator_groups
    ]
    _sheet(workbook, "Assumptions", ["Setting", "Value", "Note"], assumptions, [None, None, None])

    releases = sorted({r for r in content.rows["benchmark_release"] if r})
    about = [
        ["Authority", content.authority],
        ["Run", content.run_id],
        ["Written (UTC)", written_at.strftime("%Y-%m-%d %H:%M")],
        ["DfE releases", ", ".join(releases)],
        ["Small counts", f"shown as c (fewer than {settings.small_count_threshold}), as in the open data"],
    ]
    about += [
        [f"DfE file: {r['file_name']}", f"{r['status']}: {r['message']}"] for r in content.dfe_files.to_dict("records")
    ]
    _sheet(workbook, "About", ["Item", "Value"], about, [None, None])
    return workbook


def _projection_chart(workbook: Workbook, projection: pd.DataFrame) -> None:
    """Closing deficit per scenario by year, on its own sheet beside the projection."""
    years = list(dict.fromkeys(projection["financial_year"]))
    scenarios = list(dict.fromkeys(projection["scenario"]))
    data = workbook.create_sheet("Projection chart")
    data.append(["Financial year", *scenarios])
    pivot = projection.pivot_table(index="financial_year", columns="scenario", values="closing_deficit")
    for year in years:
        data.append([year, *[_numeric(pivot.at[year, s]) if s in pivot.columns else None for s in scenarios]])
    chart = LineChart()
    chart.title = "Projected cumulative DSG deficit (GBP k), per scenario"
    chart.y_axis.title = "GBP thousands"
    chart.x_axis.title = "Financial year"
    chart.add_data(
        Reference(data, min_col=2, max_col=1 + len(scenarios), min_row=1, max_row=1 + len(years)), titles_from_data=True
    )
    chart.set_categories(Reference(data, min_col=1, min_row=2, max_row=1 + len(years)))
    chart.width, chart.height = 22, 11
    data.add_chart(chart, f"{get_column_letter(len(scenarios) + 3)}2")


def _threshold_sheet(workbook: Workbook, thresholds: pd.DataFrame) -> None:
    """The first year each scenario's projected deficit reaches each threshold set."""
    _sheet(
        workbook,
        "Deficit thresholds",
        ["Scenario", "Threshold", "Unit", "First year reached", "Closing deficit that year (GBP k)", "% of allocation"],
        [
            [
                r["scenario"],
                r["threshold"],
                r["threshold_unit"],
                r["first_financial_year_reached"] or r["status"],
                _numeric(r["closing_deficit_that_year"]),
                _numeric(r["closing_deficit_pct_that_year"]),
            ]
            for r in thresholds.to_dict("records")
        ],
        [None, "#,##0.##", None, None, "#,##0", "0.00"],
    )


def _trend_sheet(workbook: Workbook, trends: pd.DataFrame) -> None:
    """Each published trend: slope and interval, and where it leads against England."""
    _sheet(
        workbook,
        "Trends",
        [
            "KPI",
            "Name",
            "From",
            "To",
            "Quarters",
            "Slope per quarter",
            "95% lower",
            "95% upper",
            "Could be flat",
            "England",
            "England period",
            "Against England",
            "Reaches England in",
        ],
        [
            [
                r["kpi_id"],
                r["kpi_name"],
                r["first_period"],
                r["latest_period"],
                r["quarters_used"],
                _numeric(r["slope_per_quarter"]),
                _numeric(r["slope_ci_lower"]),
                _numeric(r["slope_ci_upper"]),
                "no" if r["is_trend_distinguishable_from_flat"] else "yes",
                _numeric(r["england_value"]),
                r["england_period"],
                r["england_status"].replace("_", " "),
                r["reaches_england_in"],
            ]
            for r in trends.to_dict("records")
        ],
        [None, None, None, None, "0", "0.00", "0.00", "0.00", None, "0.0##", None, None, None],
    )


def _group_sheet(workbook: Workbook, groups: pd.DataFrame) -> None:
    """Our published figures beside each comparator group's mean and our rank in it."""
    _sheet(
        workbook,
        "Comparator groups",
        [
            "Group",
            "KPI",
            "Name",
            "Period type",
            "Period",
            "Source",
            "Value",
            "Group mean",
            "With a value",
            "Members",
            "Rank in group",
            "Of",
        ],
        [
            [
                r["group_name"],
                r["kpi_id"],
                r["kpi_name"],
                r["period_type"],
                r["period"],
                r["value_source"],
                _numeric(r["public_value"]),
                _numeric(r["group_mean"]),
                r["members_with_value"],
                r["group_members"],
                _numeric(r["group_rank"]),
                _numeric(r["group_rank_count"]),
            ]
            for r in groups.to_dict("records")
        ],
        [None, None, None, None, None, None, "0.0##", "0.0##", "0", "0", "0", "0"],
    )
