"""The scrutiny pack written by the demo run: scorecard.html and send_kpis.xlsx, read back and
checked against the published files they come from."""

from __future__ import annotations

import re
import shutil
import subprocess
from html.parser import HTMLParser

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
