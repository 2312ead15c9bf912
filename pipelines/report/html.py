"""scorecard.html: one self-contained page (styles and charts inside, nothing fetched), for
screen, print (A4, a page per family) and screen readers (every chart has its table)."""

from __future__ import annotations

import html
from datetime import datetime

import pandas as pd

from pipelines.report.content import FAMILIES, PackContent

# Band colours with their letters always beside them: readable without colour.
BAND_CLASS = {"A": "band-a", "B": "band-b", "C": "band-c", "D": "band-d"}
SERIES = (
    ("ours", "Us", "#1d70b8", ""),
    ("england_value_number", "England", "#505a5f", "6 3"),
    ("region_value_number", "Region", "#f47738", "2 3"),
    ("sn_mean_number", "Neighbours", "#00703c", "8 3 2 3"),
)

STYLE = """
body { font-family: Arial, Helvetica, sans-serif; color: #0b0c0c; margin: 1.5rem; max-width: 1100px; }
h1 { font-size: 1.6rem; } h2 { font-size: 1.3rem; border-bottom: 2px solid #0b0c0c; margin-top: 2rem; }
h3 { font-size: 1.05rem; margin-bottom: 0.3rem; }
table { border-collapse: collapse; margin: 0.4rem 0 1rem; font-size: 0.85rem; }
th, td { border: 1px solid #b1b4b6; padding: 0.2rem 0.45rem; text-align: right; }
th:first-child, td:first-child { text-align: left; }
caption { text-align: left; font-weight: bold; padding: 0.2rem 0; }
.band { font-weight: bold; padding: 0 0.35rem; border-radius: 2px; }
.band-a { background: #cce2d8; } .band-b { background: #e6f0d8; } .band-c { background: #fff2cc; }
.band-d { background: #f6d7d2; } .small { font-style: italic; }
.kpi { display: grid; grid-template-columns: minmax(0, 5fr) minmax(0, 6fr); gap: 1rem; align-items: start;
  break-inside: avoid; }
.kpi svg { width: 100%; height: auto; }
.note { font-size: 0.8rem; color: #505a5f; }
svg text { font-size: 10px; fill: #0b0c0c; }
.choice { border: 1px solid #b1b4b6; padding: 0.3rem 0.6rem; margin: 0.5rem 0; }
.choice label { margin-right: 1rem; }
.bars rect.home { fill: #1d70b8; } .bars rect.neighbour { fill: #00703c; } .bars rect.group { fill: #f47738; }
.bars rect.other { fill: #b1b4b6; }
details { margin: 0.3rem 0 1rem; font-size: 0.85rem; }
@media print {
  @page { size: A4; margin: 12mm; }
  body { margin: 0; max-width: none; }
  section.family { break-before: page; }
}
"""


def _e(value: object) -> str:
    return html.escape("" if value is None or (isinstance(value, float) and pd.isna(value)) else str(value))


def _cell(text: object, css_class: str = "") -> str:
    text = "" if text is None or (isinstance(text, float) and pd.isna(text)) else str(text)
    if text == "c":
        return f'<td class="{" ".join(["small", css_class]).strip()}" title="suppressed: a small count">c</td>'
    return f'<td class="{css_class}">{_e(text) or "-"}</td>' if css_class else f"<td>{_e(text) or '-'}</td>"


def _band(letter: object) -> str:
    if not isinstance(letter, str) or letter not in BAND_CLASS:
        return f"<td>{_e(letter) or '-'}</td>"
    return f'<td><span class="band {BAND_CLASS[letter]}">{letter}</span></td>'


def _trend_arrow(change: object) -> str:
    try:
        number = float(change)
    except (TypeError, ValueError):
        return _e(change) or "-"
    arrow = "&#9650;" if number > 0 else "&#9660;" if number < 0 else "&#9654;"
    return f"{arrow} {_e(change)}"


def _headline_table(content: PackContent, trends: dict[str, dict]) -> str:
    groups = content.group_names
    group_headers = "".join(
        f'<th class="cmp cmp-{_e(g)}">{_e(g.replace("_", " "))} mean</th>'
        f'<th class="cmp cmp-{_e(g)}">Rank in {_e(g.replace("_", " "))}</th>'
        for g in groups
    )
    lines = [
        '<table id="headline"><caption>Every KPI: its latest figure</caption>',
        "<thead><tr><th>KPI</th><th>Period</th><th>Value</th><th>Change</th><th>Band</th><th>England</th>"
        '<th>Region</th><th class="cmp cmp-sn">Neighbours</th><th>Rank</th>'
        "<th>Is the difference from England real?</th><th>Trend (quarterly)</th><th>Reaches England</th>"
        f"{group_headers}</tr></thead><tbody>",
    ]
    for row in content.headline.to_dict("records"):
        rank = (
            f"{row['national_rank']} of {row['national_count']}"
            if row["national_rank"] not in ("", "c")
            else (row["national_rank"] or "-")
        )
        trend = trends.get(row["kpi_id"])
        group_cells = ""
        for group in groups:
            figures = content.comparator_groups[
                (content.comparator_groups["group_name"] == group)
                & (content.comparator_groups["kpi_id"] == row["kpi_id"])
                & (content.comparator_groups["period_type"] == row["period_type"])
                & (content.comparator_groups["period"] == row["period"])
                & (content.comparator_groups["value_source"] == row["value_source"])
            ]
            mean = figures["group_mean"].iloc[0] if len(figures) else None
            group_rank = figures["group_rank"].iloc[0] if len(figures) else None
            mean_text = "-" if mean is None or pd.isna(mean) else f"{mean:.2f}"
            rank_text = (
                "-"
                if group_rank is None or pd.isna(group_rank)
                else f"{group_rank} of {figures['group_rank_count'].iloc[0]}"
            )
            group_cells += (
                f'<td class="cmp cmp-{_e(group)}">{mean_text}</td><td class="cmp cmp-{_e(group)}">{rank_text}</td>'
            )
        lines.append(
            f'<tr data-kpi="{_e(row["kpi_id"])}" data-source="{_e(row["value_source"])}">'
            f"<td>{_e(row['kpi_name'])}</td><td>{_e(row['period'])}</td>"
            f"{_cell(row['value'])}<td>{_trend_arrow(row['change'])}</td>{_band(row['quartile_band'])}"
            f"{_cell(row['england_value'])}{_cell(row['region_value'])}"
            f"{_cell(row['sn_mean'], 'cmp cmp-sn')}<td>{_e(rank)}</td>"
            f"<td>{_e(row['significance_vs_england']) or '-'}</td><td>{_headline_trend(trend)}</td>"
            f"<td>{_e(_reaches_england(trend))}</td>{group_cells}</tr>"
        )
    lines.append("</tbody></table>")
    return "\n".join(lines)


def _comparator_choice(groups: list[str]) -> tuple[str, str]:
    """Radio buttons choosing which comparator's columns show (no script: CSS :has), and the
    style rules that hide the others. In print, the chosen one prints."""
    if not groups:
        return "", ""
    choices = [("sn", "DfE statistical neighbours"), *[(g, g.replace("_", " ")) for g in groups]]
    controls = "".join(
        f'<input type="radio" name="comparator" id="choose-{_e(key)}"{" checked" if key == "sn" else ""}>'
        f'<label for="choose-{_e(key)}">{_e(label)}</label>'
        for key, label in choices
    )
    rules = "".join(f"body:not(:has(#choose-{key}:checked)) .cmp-{key} {{ display: none; }}\n" for key, _ in choices)
    return f'<fieldset class="choice"><legend>Compare with</legend>{controls}</fieldset>', rules


def _line_chart(title: str, labels: list[str], lines: list[tuple[str, str, str, list[float | None]]]) -> str:
    """A line chart (inline SVG): one polyline per (label, colour, dash pattern, values), gaps
    where a value is missing; the table or text beside it holds every value."""
    width, left, bottom = 520, 48, 30
    legend = 12 * len(lines)  # one legend row per line, above the plot
    height = 190 + legend
    values = [value for *_, series in lines for value in series if value is not None]
    if len(labels) < 2 or not values:
        return '<p class="note">Too few periods for a chart: see the table.</p>'
    top = max(values) * 1.1 or 1
    step = (width - left - 10) / (len(labels) - 1)
    plot_height = height - bottom - legend - 6

    def point(index: int, value: float) -> str:
        return f"{left + index * step:.1f},{height - bottom - (value / top) * plot_height:.1f}"

    parts = [
        f'<svg role="img" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        f'aria-label="{_e(title)}: the table beside this chart holds every value">',
        f"<title>{_e(title)}</title>",
        f'<line x1="{left}" y1="{height - bottom}" x2="{width - 5}" y2="{height - bottom}" stroke="#0b0c0c"/>',
        f'<text x="2" y="{legend + 12}">{top:,.0f}</text><text x="2" y="{height - bottom}">0</text>',
    ]
    every = -(-len(labels) // 6)  # at most six axis labels, so they never overlap
    for index, label in enumerate(labels):
        if (len(labels) - 1 - index) % every == 0:
            anchor = "start" if index == 0 else "end" if index == len(labels) - 1 else "middle"
            parts.append(
                f'<text x="{left + index * step:.1f}" y="{height - 10}" text-anchor="{anchor}">{_e(label)}</text>'
            )
    for position, (label, colour, dash, series) in enumerate(lines):
        run: list[str] = []
        for index, value in enumerate([*series, None]):
            if value is not None:
                run.append(point(index, value))
                continue
            if len(run) > 1:
                parts.append(
                    f'<polyline fill="none" stroke="{colour}" stroke-width="2" stroke-dasharray="{dash}" '
                    f'points="{" ".join(run)}"/>'
                )
            elif run:
                x, y = run[0].split(",")
                parts.append(f'<circle cx="{x}" cy="{y}" r="2.5" fill="{colour}"/>')
            run = []
        legend_y = 6 + 12 * position
        parts.append(
            f'<line x1="{left}" y1="{legend_y}" x2="{left + 24}" y2="{legend_y}" stroke="{colour}" stroke-width="2" '
            f'stroke-dasharray="{dash}"/><text x="{left + 30}" y="{legend_y + 4}">{_e(label)}</text>'
        )
    parts.append("</svg>")
    return "\n".join(parts)


def _yearly_chart(kpi_name: str, series: pd.DataFrame) -> str:
    """The published yearly series: us, England, region, neighbours."""
    lines = [
        (label, colour, dash, [None if pd.isna(v) else float(v) for v in series[column]])
        for column, label, colour, dash in SERIES
    ]
    return _line_chart(f"{kpi_name}, by year", list(series["period"]), lines)


def _quarterly_chart(kpi_name: str, quarters: pd.DataFrame, trend: dict | None) -> str:
    """Our quarterly series (suppressed quarters as gaps), the trend line through its window
    and England's latest value as a level line."""
    if quarters.empty:
        return ""
    labels = list(quarters["period"])
    lines = [("Us, by quarter", "#1d70b8", "", [None if pd.isna(v) else float(v) for v in quarters["value_number"]])]
    if trend is not None:
        first = labels.index(trend["first_period"])
        latest = labels.index(trend["latest_period"])
        index_of_latest = latest
        fitted = [
            trend["fitted_latest_value"] + trend["slope_per_quarter"] * (i - index_of_latest)
            if first <= i <= latest
            else None
            for i in range(len(labels))
        ]
        lines.append((f"Trend, last {trend['quarters_used']} quarters", "#912b88", "4 2", fitted))
        if pd.notna(trend["england_value"]):
            lines.append(
                (f"England {trend['england_period']}", "#505a5f", "6 3", [float(trend["england_value"])] * len(labels))
            )
    return _line_chart(f"{kpi_name}, by quarter", labels, lines)


def _trend_text(trend: dict | None) -> str:
    """The trend in words: slope with its interval, and where it leads against England."""
    if trend is None:
        return "No trend shown (fewer than three published quarters, or a suppressed quarter in the window)."
    if trend["quarters_used"] < 3 or pd.isna(trend["slope_ci_lower"]):
        return f"Too few quarters ({trend['quarters_used']}) for a trend."
    words = (
        f"Trend over {trend['first_period']} to {trend['latest_period']}: {trend['slope_per_quarter']:+.2f} per quarter "
        f"(95% interval {trend['slope_ci_lower']:+.2f} to {trend['slope_ci_upper']:+.2f}"
        + ("" if trend["is_trend_distinguishable_from_flat"] else "; not distinguishable from flat")
        + "). "
    )
    status = trend["england_status"]
    if status == "reaches_england":
        words += (
            f"At this trend it would reach England's {trend['england_period']} figure "
            f"({trend['england_value']:g}) in {trend['reaches_england_in']}."
        )
    elif status == "at_or_better_than_england":
        words += f"Already at or better than England's {trend['england_period']} figure ({trend['england_value']:g})."
    elif status == "not_at_current_trend":
        words += f"Not at the current trend: it is not moving towards England's figure ({trend['england_value']:g})."
    elif status == "not_within_horizon":
        words += (
            f"It would not reach England's figure ({trend['england_value']:g}) within "
            f"{trend['trend_horizon_quarters']} quarters at this trend."
        )
    return words + " A projection at the current trend, not a forecast."


def _headline_trend(trend: dict | None) -> str:
    if trend is None or pd.isna(trend["slope_ci_lower"]):
        return "-"
    arrow = "&#9650;" if trend["slope_per_quarter"] > 0 else "&#9660;" if trend["slope_per_quarter"] < 0 else "&#9654;"
    flat = "" if trend["is_trend_distinguishable_from_flat"] else " (could be flat)"
    return f"{arrow} {trend['slope_per_quarter']:+.2f}/qtr{flat}"


def _reaches_england(trend: dict | None) -> str:
    if trend is None:
        return "-"
    return {
        "reaches_england": f"{trend['reaches_england_in']}",
        "at_or_better_than_england": "already at or better",
        "not_at_current_trend": "not at the current trend",
        "not_within_horizon": f"not within {trend['trend_horizon_quarters']} quarters",
        "too_few_quarters": "too few quarters",
    }.get(trend["england_status"], "-")


def _ranked_bars(kpi_name: str, period: str, authorities: pd.DataFrame) -> str:
    """Every authority's published value as a bar, best first: us, our statistical neighbours
    and the members of each comparator group picked out; the list beside it in words and in a
    table a reader can open."""
    if authorities.empty:
        return '<p class="note">DfE publishes no authority-level figures for this KPI and period.</p>'
    ordered = authorities.sort_values(
        ["national_rank", "value", "la_code"], ascending=[True, False, True], na_position="last"
    ).reset_index(drop=True)
    width, height, top_margin = 520, 150, 14
    step = (width - 10) / len(ordered)
    top = ordered["value"].max() * 1.05 or 1
    parts = [
        f'<svg class="bars" role="img" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        f'aria-label="{_e(kpi_name)} {_e(period)}: every authority, best first; the text below lists ours and '
        'our neighbours">',
        f"<title>{_e(kpi_name)} {_e(period)}: every authority</title>",
    ]
    for index, row in enumerate(ordered.to_dict("records")):
        kind = (
            "home"
            if row["is_home"]
            else "neighbour"
            if row["is_statistical_neighbour"]
            else "group"
            if isinstance(row["comparator_groups"], str) and row["comparator_groups"]
            else "other"
        )
        bar = (row["value"] / top) * (height - top_margin - 4)
        parts.append(
            f'<rect class="{kind}" x="{5 + index * step:.2f}" y="{height - bar:.1f}" '
            f'width="{max(step - 0.6, 0.6):.2f}" height="{bar:.1f}"><title>{_e(row["la_name"])}: '
            f"{row['value']:g}</title></rect>"
        )
    parts.append(
        '<text x="5" y="10" fill="#1d70b8">&#9632; us</text><text x="45" y="10" fill="#00703c">&#9632; '
        'statistical neighbours</text><text x="190" y="10" fill="#f47738">&#9632; comparator groups</text></svg>'
    )
    home = ordered[ordered["is_home"]]
    neighbours = ordered[ordered["is_statistical_neighbour"]]
    summary = (
        f"Us: {home['value'].iloc[0]:g}, rank {int(home['national_rank'].iloc[0])} of {len(ordered)}. "
        if len(home) and pd.notna(home["national_rank"].iloc[0])
        else f"Us: {home['value'].iloc[0]:g} (a count: not ranked). "
        if len(home)
        else "DfE published no figure for us this period. "
    )
    summary += (
        "Neighbours: "
        + (", ".join(f"{n} {v:g}" for n, v in zip(neighbours["la_name"], neighbours["value"], strict=True)) or "none")
        + "."
    )
    table = "".join(
        f"<tr><td>{_e(r['la_name'])}</td><td>{r['value']:g}</td>"
        f"<td>{'-' if pd.isna(r['national_rank']) else int(r['national_rank'])}</td></tr>"
        for r in ordered.to_dict("records")
    )
    return (
        f'<div class="ranked" data-kpi-period="{_e(period)}">{"".join(parts)}<p class="note">{_e(summary)}</p>'
        f"<details><summary>Every authority, {_e(period)}</summary><table><thead><tr><th>Authority</th>"
        f"<th>Value</th><th>Rank</th></tr></thead><tbody>{table}</tbody></table></details></div>"
    )


def _group_table(groups: pd.DataFrame) -> str:
    """Our latest benchmarked figure against each comparator group."""
    groups = groups[groups["group_mean"].notna()]
    if groups.empty:
        return ""
    latest = groups.sort_values("period").groupby("group_name").tail(1)
    lines = [
        "<table><caption>Against your comparator groups</caption><thead><tr><th>Group</th><th>Period</th>"
        "<th>Group mean</th><th>Members with a value</th><th>Our rank in the group</th></tr></thead><tbody>"
    ]
    for row in latest.to_dict("records"):
        rank = f"{row['group_rank']} of {row['group_rank_count']}" if pd.notna(row["group_rank"]) else "-"
        mean = f"{row['group_mean']:.2f}" if pd.notna(row["group_mean"]) else "-"
        lines.append(
            f"<tr><td>{_e(row['group_name'])}</td><td>{_e(row['period'])}</td>"
            f"<td>{mean}</td><td>{row['members_with_value']} of {row['group_members']}</td><td>{rank}</td></tr>"
        )
    lines.append("</tbody></table>")
    return "".join(lines)


def _kpi_section(kpi_rows: pd.DataFrame, content: PackContent, trends: dict[str, dict]) -> str:
    first = kpi_rows.iloc[0]
    kpi_id = first["kpi_id"]
    yearly = kpi_rows[kpi_rows["is_yearly"]]
    # Per year our own figure where we computed one and it is published, else DfE's figure for us.
    ours = (
        yearly.assign(preferred=(yearly["value_source"] == "local") & yearly["value_number"].notna())
        .sort_values(["period_start", "preferred"])
        .groupby("period", sort=False)
        .tail(1)
    )
    series = ours.assign(ours=ours["value_number"]).reset_index(drop=True)
    quarters = kpi_rows[(kpi_rows["period_type"] == "financial_quarter") & (kpi_rows["value_source"] == "local")]
    trend = trends.get(kpi_id)
    table = [
        "<table><caption>Values by period</caption><thead><tr><th>Period</th><th>Source</th><th>Value</th>"
        "<th>95% interval</th><th>England</th><th>Region</th><th>Neighbours</th><th>Band</th></tr></thead><tbody>"
    ]
    for row in kpi_rows.to_dict("records"):
        interval = (
            f"{row['value_ci_lower']:.1f} to {row['value_ci_upper']:.1f}" if pd.notna(row["value_ci_lower"]) else "-"
        )
        table.append(
            f"<tr><td>{_e(row['period'])}</td><td>{_e(row['value_source'])}</td>{_cell(row['value'])}"
            f"<td>{interval}</td>{_cell(row['england_value'])}{_cell(row['region_value'])}"
            f"{_cell(row['sn_mean'])}{_band(row['quartile_band'])}</tr>"
        )
    table.append("</tbody></table>")
    sources = sorted({s for s in kpi_rows["benchmark_release"] if s})
    local_rows = kpi_rows[kpi_rows["value_source"] == "local"].dropna(subset=["extract_version"])
    if len(local_rows):
        sources.append(f"our extracts, version {local_rows['extract_version'].iloc[-1]}")
    headline = content.headline[content.headline["kpi_id"] == kpi_id].iloc[0]
    authorities = content.authority_values[
        (content.authority_values["kpi_id"] == kpi_id)
        & (content.authority_values["period_type"] == headline["period_type"])
        & (content.authority_values["period"] == headline["period"])
    ]
    groups = content.comparator_groups[content.comparator_groups["kpi_id"] == kpi_id]
    return (
        f'<div class="kpi" data-kpi="{_e(kpi_id)}"><div><h3>{_e(first["kpi_name"])}</h3>'
        f"{_quarterly_chart(first['kpi_name'], quarters, trend)}"
        f'<p class="note trend">{_e(_trend_text(trend)) if len(quarters) else ""}</p>'
        f"{_yearly_chart(first['kpi_name'], series)}"
        f"{_ranked_bars(first['kpi_name'], headline['period'], authorities) if headline['is_yearly'] else ''}"
        f'<p class="note">Polarity: {_e(first["polarity"])}. '
        f"Sources: {_e(', '.join(sources) or '-')}; run {_e(content.run_id)}.</p></div>"
        f"<div>{_group_table(groups)}{''.join(table)}</div></div>"
    )


def _dsg_section(content: PackContent) -> str:
    parts = ['<section class="family" id="dsg"><h2>Dedicated Schools Grant</h2>']
    monitoring = content.dsg_monitoring
    if len(monitoring):
        parts.append(
            "<table><caption>Budget against forecast outturn by period and block (GBP thousands)</caption>"
            "<thead><tr><th>Year</th><th>Period</th><th>Block</th><th>Budget</th><th>Forecast</th>"
            "<th>Variance</th><th>Variance %</th></tr></thead><tbody>"
        )
        for row in monitoring.to_dict("records"):
            parts.append(
                f"<tr><td>{_e(row['financial_year'])}</td><td>{_e(row['period'])}</td>"
                f"<td>{_e(row['block'])}</td><td>{row['budget']:,.0f}</td><td>{row['forecast_outturn']:,.0f}</td>"
                f"<td>{row['variance']:,.0f}</td><td>{row['variance_pct']:.2f}</td></tr>"
            )
        parts.append("</tbody></table>")
    projection = content.dsg_projection
    if len(projection):
        parts.append(
            "<table><caption>Projected cumulative DSG deficit per scenario, to the statutory override end "
            "(a projection from stated assumptions, not a forecast of fact)</caption><thead><tr>"
            "<th>Scenario</th><th>Year</th><th>Closing deficit (GBP k)</th><th>% of DSG allocation</th>"
            "<th>Override end year</th></tr></thead><tbody>"
        )
        for row in projection.to_dict("records"):
            parts.append(
                f"<tr><td>{_e(row['scenario'])}</td><td>{_e(row['financial_year'])}</td>"
                f"<td>{row['closing_deficit']:,.0f}</td><td>{row['closing_deficit_pct_of_allocation']:.2f}</td>"
                f"<td>{'yes' if row['is_override_end_year'] else ''}</td></tr>"
            )
        parts.append("</tbody></table>")
        parts.append(_projection_chart(projection))
    if len(content.dsg_thresholds):
        parts.append(
            "<table><caption>When the projected deficit reaches the thresholds you set (sendkpi.toml [dsg])"
            "</caption><thead><tr><th>Scenario</th><th>Threshold</th><th>First year reached</th>"
            "<th>Closing deficit that year (GBP k)</th><th>% of allocation that year</th></tr></thead><tbody>"
        )
        for row in content.dsg_thresholds.to_dict("records"):
            threshold = (
                f"{row['threshold']:,.0f} {row['threshold_unit']}"
                if row["measure"] == "closing_deficit"
                else f"{row['threshold']:g}% of the DSG allocation"
            )
            reached = row["first_financial_year_reached"] or row["status"]
            deficit = f"{row['closing_deficit_that_year']:,.0f}" if pd.notna(row["closing_deficit_that_year"]) else "-"
            share = (
                f"{row['closing_deficit_pct_that_year']:.2f}" if pd.notna(row["closing_deficit_pct_that_year"]) else "-"
            )
            parts.append(
                f'<tr data-scenario="{_e(row["scenario"])}"><td>{_e(row["scenario"])}</td><td>{_e(threshold)}</td>'
                f"<td>{_e(reached)}</td><td>{deficit}</td><td>{share}</td></tr>"
            )
        parts.append("</tbody></table>")
    parts.append("</section>")
    return "\n".join(parts)


SCENARIO_COLOURS = ("#1d70b8", "#d4351c", "#00703c", "#f47738", "#912b88", "#505a5f")


def _projection_chart(projection: pd.DataFrame) -> str:
    """The closing deficit per scenario by year (the table above holds every figure)."""
    years = sorted(projection["financial_year"].unique())
    lines = []
    for index, (scenario, rows) in enumerate(projection.groupby("scenario", sort=False)):
        by_year = dict(zip(rows["financial_year"], rows["closing_deficit"], strict=True))
        lines.append(
            (
                scenario.replace("_", " "),
                SCENARIO_COLOURS[index % len(SCENARIO_COLOURS)],
                "",
                [None if pd.isna(by_year.get(y)) else float(by_year[y]) for y in years],
            )
        )
    return _line_chart("Projected cumulative DSG deficit (GBP k), per scenario", years, lines)


def render_scorecard(content: PackContent, written_at: datetime) -> str:
    trends = {row["kpi_id"]: row for row in content.trends.to_dict("records")}
    choice, choice_rules = _comparator_choice(content.group_names)
    sections = []
    for family, _ in FAMILIES:
        rows = content.rows[content.rows["family"] == family]
        if len(rows):
            body = "".join(
                _kpi_section(kpi_rows, content, trends) for _, kpi_rows in rows.groupby("kpi_id", sort=False)
            )
            sections.append(f'<section class="family"><h2>{_e(family)}</h2>{body}</section>')
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>SEND scorecard: {_e(content.authority)}</title>
<style>{STYLE}{choice_rules}</style></head>
<body>
<header><h1>SEND scorecard: {_e(content.authority)}</h1>
<p class="note">Run {_e(content.run_id)}, written {written_at:%Y-%m-%d %H:%M} UTC. Figures as published
(small counts shown as <strong>c</strong>, never coloured). Bands A (best quarter of authorities) to D, with the
letter beside every colour. "Is the difference real?": England's figure outside our 95% interval
(docs/statistics.md). Trends are straight lines through the last quarters with a 95% interval: projections at the
current trend, not forecasts.</p></header>
<section id="headline-page"><h2>Headline</h2>{choice}{_headline_table(content, trends)}</section>
{"".join(sections)}
{_dsg_section(content)}
</body></html>
"""
