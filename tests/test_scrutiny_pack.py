"""The scrutiny pack written by the demo run: scorecard.html and send_kpis.xlsx, read back and
checked against the published files they come from."""

from __future__ import annotations

import re
import shutil
import subprocess
from html.parser import HTMLParser

import numpy as np
import openpyxl
import pandas as pd
import pytest

from tests.conftest import PipelineRun

pytestmark = pytest.mark.e2e


class _Page(HTMLParser):
    """The parts of the page the tests read: headline rows, resources, charts and tables."""

    def __init__(self) -> None:
        super().__init__()
        self.headline: dict[str, list[str]] = {}
        self.sources: dict[str, str] = {}
        self.resources: list[str] = []
        self.svgs = self.tables = 0
        self._row: str | None = None
        self._cell: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        for name in ("src", "href"):
            if name in attributes:
                self.resources.append(attributes[name])
        if tag in ("script", "link", "img", "iframe"):
            self.resources.append(tag)
        self.svgs += tag == "svg"
        self.tables += tag == "table"
        if tag == "tr" and "data-kpi" in attributes:
            self._row = attributes["data-kpi"]
            self.headline[self._row] = []
            self.sources[self._row] = attributes["data-source"]
        if tag == "td" and self._row:
            self._cell = []

    def handle_endtag(self, tag):
        if tag == "td" and self._row is not None and self._cell is not None:
            self.headline[self._row].append("".join(self._cell).strip())
            self._cell = None
        if tag == "tr":
            self._row = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


@pytest.fixture(scope="module")
def published(demo_run: PipelineRun):
    folder = demo_run.data_dir / "published"
    public = pd.read_csv(folder / "kpi_comparison_public.csv", dtype=str, keep_default_na=False)
    return folder, public


def test_the_scorecard_shows_every_kpi_with_its_published_figures_and_fetches_nothing(published):
    folder, public = published
    text = (folder / "scorecard.html").read_text(encoding="utf-8")
    page = _Page()
    page.feed(text)
    assert page.resources == [], "the page must open with no network (no scripts, links, images)"
    assert set(page.headline) == set(public["kpi_id"])
    for kpi_id, cells in page.headline.items():
        rows = public[public["kpi_id"] == kpi_id]
        # the cell order of the headline table: name, period, value, change, band, England, region, neighbours
        name, period, value, _, band, england, region, neighbours = cells[:8]
        [row] = rows[(rows["period"] == period) & (rows["value_source"] == page.sources[kpi_id])].to_dict("records")
        assert name == row["kpi_name"]
        assert value == (row["value"] or "-") and england == (row["england_value"] or "-")
        assert region == (row["region_value"] or "-") and neighbours == (row["sn_mean"] or "-")
        assert band == (row["quartile_band"] or "-")  # the letter is always there beside its colour
    # every family section's chart has its table; print: A4, a page per family
    assert page.tables >= page.svgs + 1 and page.svgs > 0
    assert "@media print" in text and "size: A4" in text and "break-before: page" in text
    assert re.search(r'<svg role="img"[^>]*aria-label=', text)


def test_small_counts_are_c_and_never_coloured(published):
    folder, public = published
    text = (folder / "scorecard.html").read_text(encoding="utf-8")
    assert (public["value"] == "c").any(), "the demo should carry suppressed figures"
    assert '<td class="small" title="suppressed: a small count">c</td>' in text
    assert not re.search(r'class="band [^"]*">c<', text)


def test_the_workbook_has_every_sheet_and_its_numbers_are_numbers(published, demo_run):
    folder, public = published
    book = openpyxl.load_workbook(folder / "send_kpis.xlsx")
    assert book.sheetnames == [
        "KPIs",
        "DSG monitoring",
        "Deficit projection",
        "Projection chart",
        "Deficit thresholds",
        "Trends",
        "Comparator groups",
        "Assumptions",
        "About",
    ]
    kpis = book["KPIs"]
    header = [cell.value for cell in kpis[1]]
    assert header[:8] == ["KPI", "Name", "Period type", "Period", "Source", "Numerator", "Denominator", "Value"]
    assert kpis.freeze_panes == "A2" and kpis.auto_filter.ref
    assert kpis.max_row - 1 == len(public)
    values = {(r[0], r[2], r[3], r[4]): r[7] for r in kpis.iter_rows(min_row=2, values_only=True)}
    for row in public.sample(n=min(200, len(public)), random_state=1).to_dict("records"):
        cell = values[(row["kpi_id"], row["period_type"], row["period"], row["value_source"])]
        if row["value"] in ("", "c"):
            assert cell in (None, "c")
        else:
            assert isinstance(cell, (int, float)) and cell == pytest.approx(float(row["value"]))
    monitoring = pd.read_parquet(demo_run.marts_dir / "dsg_monitoring.parquet")
    sheet = book["DSG monitoring"]
    assert sheet.max_row - 1 == len(monitoring)
    first = monitoring.iloc[0]
    assert [c.value for c in sheet[2]][:5] == [
        first["financial_year"],
        first["period"],
        first["block"],
        first["budget"],
        first["forecast_outturn"],
    ]
    assert isinstance(sheet["D2"].value, (int, float)) and sheet["D2"].number_format == "#,##0"
    assert len(book["Projection chart"]._charts) == 1
    assumptions = {row[0]: row[1] for row in book["Assumptions"].iter_rows(min_row=2, values_only=True)}
    assert assumptions["Statutory override end"] == "2028-03-31"


def _browser() -> str | None:
    return next(
        (found for name in ("chromium", "chromium-browser", "google-chrome") if (found := shutil.which(name))), None
    )


def test_the_scorecard_in_a_real_browser(published, tmp_path):
    """Headless Chromium (Debian's package; .ci/run installs it where it can): the DOM it builds
    holds every KPI of the public file, and screenshots of the headline and of a family section
    are kept under the test's folder for a person to look at."""
    browser = _browser()
    if browser is None:
        pytest.skip("no Chromium on this machine (apt-get install chromium): the page was checked as HTML only")
    folder, public = published
    page = (folder / "scorecard.html").resolve().as_uri()
    flags = [
        browser,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--disable-extensions",
        # no network: a page that needed one would show it in the screenshot and the DOM
        "--host-resolver-rules=MAP * ~NOTFOUND",
        "--proxy-server=127.0.0.1:9",
    ]
    dom = subprocess.run([*flags, "--dump-dom", page], capture_output=True, text=True, timeout=120).stdout
    parsed = _Page()
    parsed.feed(dom)
    assert set(parsed.headline) == set(public["kpi_id"])
    # The first family section: the same page with the headline hidden (a fragment does not
    # scroll a headless screenshot).
    family = tmp_path / "family_section.html"
    text = (folder / "scorecard.html").read_text(encoding="utf-8")
    family.write_text(text.replace("</style>", "#headline-page, header { display: none; }</style>"), encoding="utf-8")
    for name, url in (("headline.png", page), ("family_section.png", family.as_uri())):
        shot = tmp_path / name
        subprocess.run(
            [*flags, f"--screenshot={shot}", "--window-size=1200,1600", url], capture_output=True, timeout=120
        )
        assert shot.is_file() and shot.stat().st_size > 10_000, name


# --- Trends, comparator groups, ranked bars and DSG thresholds, recomputed independently -----

# Two-sided 95% Student's t for the default eight quarters (6 degrees of freedom), from a
# printed t table.
T_95_6_DF = 2.447


def _quarter_number(label: str) -> int:
    """'2023-24 Q2' -> a running quarter number (consecutive quarters differ by 1)."""
    match = re.fullmatch(r"(\d{4})-\d{2} Q([1-4])", label)
    assert match, label
    return int(match.group(1)) * 4 + int(match.group(2))


def test_each_trend_is_the_least_squares_line_through_the_last_eight_quarters(demo_run):
    trends = pd.read_parquet(demo_run.marts_dir / "kpi_trend.parquet").set_index("kpi_id")
    comparison = pd.read_parquet(demo_run.kpi_comparison)
    quarterly = comparison[(comparison["period_type"] == "financial_quarter") & (comparison["value_source"] == "local")]
    quarterly = quarterly.assign(x=quarterly["period"].map(_quarter_number)).dropna(subset=["value"])
    assert set(trends.index) == set(quarterly["kpi_id"])
    checked_reach = 0
    for kpi_id, series in quarterly.groupby("kpi_id"):
        window = series[series["x"] > series["x"].max() - 8].sort_values("x")
        trend = trends.loc[kpi_id]
        assert trend["quarters_used"] == len(window)
        assert (trend["first_period"], trend["latest_period"]) == (window["period"].iloc[0], window["period"].iloc[-1])
        if len(window) < 3:
            assert trend["england_status"] in ("too_few_quarters", "no_england_comparison")
            continue
        slope, intercept = np.polyfit(window["x"], window["value"], 1)
        residuals = window["value"] - (intercept + slope * window["x"])
        standard_error = np.sqrt(
            (residuals**2).sum() / (len(window) - 2) / ((window["x"] - window["x"].mean()) ** 2).sum()
        )
        assert trend["slope_per_quarter"] == pytest.approx(slope, abs=1e-4)
        if len(window) == 8:
            assert trend["slope_ci_upper"] - trend["slope_per_quarter"] == pytest.approx(
                T_95_6_DF * standard_error, abs=2e-4
            )
        fitted_latest = intercept + slope * window["x"].iloc[-1]
        england = trend["england_value"]
        if pd.isna(england):
            assert trend["england_status"] == "no_england_comparison"
            continue
        higher_is_better = trend["polarity"] == "higher_is_better"
        latest = window["value"].iloc[-1]
        if (latest >= england) if higher_is_better else (latest <= england):
            assert trend["england_status"] == "at_or_better_than_england"
        elif (slope > 0) != higher_is_better or slope == 0:
            assert trend["england_status"] == "not_at_current_trend"
        else:
            steps = max(1, int(np.ceil(round((england - fitted_latest) / slope, 6))))
            if steps > 20:
                assert trend["england_status"] == "not_within_horizon"
            else:
                assert trend["england_status"] == "reaches_england"
                assert _quarter_number(trend["reaches_england_in"]) == window["x"].iloc[-1] + steps
                checked_reach += 1
    print(f"trends checked; {checked_reach} reach England within the horizon")


def test_comparator_group_means_and_ranks_recomputed_from_every_authoritys_values(demo_run):
    groups = pd.read_parquet(demo_run.marts_dir / "kpi_comparator_groups.parquet")
    authorities = pd.read_parquet(demo_run.marts_dir / "kpi_authority_values.parquet")
    # SAMPLE_COMPARATOR_GROUPS: 970, 985, 991, 992 and E06009980 (the ONS code of 980).
    members = {"970", "985", "991", "992", "980"}
    assert set(groups["group_name"]) == {"sample_consortium"}
    assert set(authorities.loc[authorities["comparator_groups"].notna(), "la_code"]) == members
    compared = 0
    for row in groups.to_dict("records"):
        values = authorities[
            (authorities["kpi_id"] == row["kpi_id"])
            & (authorities["period_type"] == row["period_type"])
            & (authorities["period"] == row["period"])
            & authorities["la_code"].isin(members)
        ]["value"]
        assert row["members_with_value"] == len(values) and row["group_members"] == len(members)
        if values.empty:
            assert pd.isna(row["group_mean"])
            continue
        assert row["group_mean"] == pytest.approx(values.mean(), abs=1e-6)
        if row["polarity"] != "neutral" and pd.notna(row["value"]):
            better = (values > row["value"]) if row["polarity"] == "higher_is_better" else (values < row["value"])
            assert (row["group_rank"], row["group_rank_count"]) == (1 + better.sum(), 1 + len(values))
            compared += 1
    assert compared > 0


def test_the_ranked_bars_show_every_authority_with_ours_picked_out(published, demo_run):
    folder, public = published
    text = (folder / "scorecard.html").read_text(encoding="utf-8")
    authorities = pd.read_parquet(demo_run.marts_dir / "kpi_authority_values.parquet")
    sections = dict(re.findall(r'<div class="kpi" data-kpi="([^"]+)">(.*?)(?=<div class="kpi"|</section>)', text, re.S))
    charts = 0
    for kpi_id, section in sections.items():
        bars = re.search(r'<div class="ranked" data-kpi-period="([^"]+)">(.*?)</svg>', section, re.S)
        if bars is None:
            continue
        period = bars.group(1)
        population = authorities[(authorities["kpi_id"] == kpi_id) & (authorities["period"] == period)]
        assert bars.group(2).count("<rect ") == len(population) > 0
        assert bars.group(2).count('class="home"') == population["is_home"].sum()
        assert (
            bars.group(2).count('class="neighbour"')
            == (population["is_statistical_neighbour"] & ~population["is_home"]).sum()
        )
        charts += 1
    assert charts >= 5, "every KPI DfE publishes by authority has its ranked bars"


def test_trends_shown_only_where_every_quarter_in_them_is_published(published, demo_run):
    folder, public = published
    text = (folder / "scorecard.html").read_text(encoding="utf-8")
    page = _Page()
    page.feed(text)
    trends = pd.read_parquet(demo_run.marts_dir / "kpi_trend.parquet").set_index("kpi_id")
    shown = withheld = 0
    for kpi_id, cells in page.headline.items():
        trend_cell = cells[10]
        if kpi_id not in trends.index:
            assert trend_cell == "-"
            continue
        trend = trends.loc[kpi_id]
        quarters = public[
            (public["kpi_id"] == kpi_id)
            & (public["period_type"] == "financial_quarter")
            & (public["value_source"] == "local")
        ]
        window = quarters[
            quarters["period"]
            .map(_quarter_number)
            .between(_quarter_number(trend["first_period"]), _quarter_number(trend["latest_period"]))
        ]
        if (window["value"] == "c").any() or pd.isna(trend["slope_ci_lower"]):
            assert trend_cell == "-", kpi_id
            withheld += 1
        else:
            assert f"{trend['slope_per_quarter']:+.2f}/qtr" in trend_cell, kpi_id
            shown += 1
    assert shown > 0 and withheld > 0, (shown, withheld)


def test_each_scenario_reaches_the_deficit_thresholds_in_the_year_the_projection_says(published, demo_run):
    from pipelines.settings import load_settings

    dsg = load_settings().dsg  # the repository's sendkpi.toml, as the demo ran with
    projection = pd.read_parquet(demo_run.marts_dir / "dsg_deficit_projection.parquet")
    thresholds = pd.read_parquet(demo_run.marts_dir / "dsg_deficit_threshold.parquet")
    expected = {}
    for scenario, rows in projection.sort_values("years_after_monitored").groupby("scenario"):
        for measure, threshold in (
            ("closing_deficit", dsg.deficit_threshold_gbp_k),
            ("closing_deficit_pct_of_allocation", dsg.deficit_threshold_pct_of_allocation),
        ):
            reached = rows[rows[measure] >= threshold]
            expected[(scenario, measure)] = reached["financial_year"].iloc[0] if len(reached) else None
    actual = {
        (row["scenario"], row["measure"]): row["first_financial_year_reached"] for row in thresholds.to_dict("records")
    }
    assert actual == expected
    folder, _ = published
    text = (folder / "scorecard.html").read_text(encoding="utf-8")
    for (scenario, _), year in expected.items():
        assert f'<tr data-scenario="{scenario}">' in text
        assert year is None or year in text
