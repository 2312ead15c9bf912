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
@media print {
  @page { size: A4; margin: 12mm; }
  body { margin: 0; max-width: none; }
  section.family { break-before: page; }
}
"""


def _e(value: object) -> str:
    return html.escape("" if value is None or (isinstance(value, float) and pd.isna(value)) else str(value))


def _cell(text: object) -> str:
    text = "" if text is None or (isinstance(text, float) and pd.isna(text)) else str(text)
    if text == "c":
        return '<td class="small" title="suppressed: a small count">c</td>'
    return f"<td>{_e(text) or '-'}</td>"


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


def _headline_table(content: PackContent) -> str:
    lines = [
        '<table id="headline"><caption>Every KPI: its latest figure</caption>',
        "<thead><tr><th>KPI</th><th>Period</th><th>Value</th><th>Change</th><th>Band</th><th>England</th>"
        "<th>Region</th><th>Neighbours</th><th>Rank</th><th>Is the difference from England real?</th>"
        "</tr></thead><tbody>",
    ]
    for row in content.headline.to_dict("records"):
        rank = (
            f"{row['national_rank']} of {row['national_count']}"
            if row["national_rank"] not in ("", "c")
            else (row["national_rank"] or "-")
        )
        lines.append(
            f'<tr data-kpi="{_e(row["kpi_id"])}" data-source="{_e(row["value_source"])}">'
            f"<td>{_e(row['kpi_name'])}</td><td>{_e(row['period'])}</td>"
            f"{_cell(row['value'])}<td>{_trend_arrow(row['change'])}</td>{_band(row['quartile_band'])}"
            f"{_cell(row['england_value'])}{_cell(row['region_value'])}{_cell(row['sn_mean'])}<td>{_e(rank)}</td>"
            f"<td>{_e(row['significance_vs_england']) or '-'}</td></tr>"
        )
    lines.append("</tbody></table>")
    return "\n".join(lines)


def _chart(kpi_name: str, series: pd.DataFrame) -> str:
    """A line chart (inline SVG) of the yearly series: us, England, region, neighbours."""
    width, height, left, bottom = 520, 200, 40, 30
    values = [v for column, *_ in SERIES for v in series[column].dropna()]
    if len(series) < 2 or not values:
        return '<p class="note">Too few published years for a chart: see the table.</p>'
    top = max(values) * 1.1 or 1
    step = (width - left - 10) / (len(series) - 1)

    def point(index: int, value: float) -> str:
        return f"{left + index * step:.1f},{height - bottom - (value / top) * (height - bottom - 10):.1f}"

    parts = [
        f'<svg role="img" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        f'aria-label="{_e(kpi_name)}: the table beside this chart holds every value">',
        f"<title>{_e(kpi_name)}</title>",
        f'<line x1="{left}" y1="{height - bottom}" x2="{width - 5}" y2="{height - bottom}" stroke="#0b0c0c"/>',
        f'<text x="2" y="14">{top:.0f}</text><text x="2" y="{height - bottom}">0</text>',
    ]
    for index, period in enumerate(series["period"]):
        parts.append(f'<text x="{left + index * step - 14:.1f}" y="{height - 10}">{_e(period)}</text>')
    for position, (column, label, colour, dash) in enumerate(SERIES):
        points = [point(i, v) for i, v in enumerate(series[column]) if pd.notna(v)]
        if points:
            parts.append(
                f'<polyline fill="none" stroke="{colour}" stroke-width="2" stroke-dasharray="{dash}" '
                f'points="{" ".join(points)}"/>'
            )
        parts.append(f'<text x="{left + 8 + position * 110}" y="12" fill="{colour}">&#9472; {label}</text>')
    parts.append("</svg>")
    return "\n".join(parts)


def _kpi_section(kpi_rows: pd.DataFrame) -> str:
    first = kpi_rows.iloc[0]
    yearly = kpi_rows[kpi_rows["is_yearly"]]
    # Per year our own figure where we computed one, else DfE's figure for us.
    ours = (
        yearly.assign(local=yearly["value_source"] == "local")
        .sort_values(["period_start", "local"])
        .groupby("period", sort=False)
        .tail(1)
    )
    series = ours.assign(ours=ours["value_number"]).reset_index(drop=True)
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
    return (
        f'<div class="kpi" data-kpi="{_e(first["kpi_id"])}"><div><h3>{_e(first["kpi_name"])}</h3>'
        f'{_chart(first["kpi_name"], series)}<p class="note">Polarity: {_e(first["polarity"])}. '
        f"Sources: {_e(', '.join(sources) or 'our extracts only')}.</p></div>"
        f"<div>{''.join(table)}</div></div>"
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
    parts.append("</section>")
    return "\n".join(parts)


def render_scorecard(content: PackContent, written_at: datetime) -> str:
    sections = []
    for family, _ in FAMILIES:
        rows = content.rows[content.rows["family"] == family]
        if len(rows):
            body = "".join(_kpi_section(kpi_rows) for _, kpi_rows in rows.groupby("kpi_id", sort=False))
            sections.append(f'<section class="family"><h2>{_e(family)}</h2>{body}</section>')
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>SEND scorecard: {_e(content.authority)}</title>
<style>{STYLE}</style></head>
<body>
<header><h1>SEND scorecard: {_e(content.authority)}</h1>
<p class="note">Run {_e(content.run_id)}, written {written_at:%Y-%m-%d %H:%M} UTC. Figures as published
(small counts shown as <strong>c</strong>, never coloured). Bands A (best quarter of authorities) to D, with the
letter beside every colour. "Is the difference real?": England's figure outside our 95% interval
(docs/statistics.md).</p></header>
<section id="headline-page"><h2>Headline</h2>{_headline_table(content)}</section>
{"".join(sections)}
{_dsg_section(content)}
</body></html>
"""
