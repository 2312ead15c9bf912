"""Load DfE published files, unchanged, recognised by their header wherever they sit.

Each known layout maps the file's columns (matched case-insensitively, byte-order mark
ignored) to one canonical table in the build warehouse, every value kept as published text:
turning suppression symbols (c, x, z, u, low, :) into NULL-with-a-reason is one rule in the
dbt staging models (macros/dfe_values.sql), not repeated per loader.
A CSV whose header matches no known layout is reported, naming its columns.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import duckdb

from pipelines.ingest.dfe_workbooks import read_workbook_rows
from pipelines.ingest.files import file_sha256

# Columns every EHC plan release file starts with (explore education statistics conventions).
_GEOGRAPHY = [
    "time_period",
    "time_identifier",
    "geographic_level",
    "country_code",
    "country_name",
    "region_code",
    "region_name",
    "old_la_code",
    "new_la_code",
    "la_name",
]


@dataclass(frozen=True)
class Layout:
    """A published file layout: the canonical table it feeds and its column mapping."""

    name: str
    table: str
    # canonical column -> the published column, lower case
    columns: dict[str, str]
    # canonical columns this layout does not publish, with the value to store instead
    # (DfE's own symbols, so staging reads them as it reads any published file)
    constants: dict[str, str] = field(default_factory=dict)
    # canonical column -> published column that some files of the layout carry and others
    # lack: read when the file has it, else the constant above (the canonical column must be
    # in `constants`); never needed for the layout to match
    optional: dict[str, str] = field(default_factory=dict)
    # how the release is named: "<prefix>_<year after the latest time_period>" or a fixed name
    release_prefix: str | None = None
    fixed_release: str | None = None
    # NEET: a "Calendar year" time_period names the year its December-February window ends
    # (2025 = December 2024 to February 2025, academic year 2024/25), published that July.
    calendar_year_is_window_end: bool = False
    # The release is "<this>_<the four-digit year in the file's name>" (DfE's workbooks).
    release_from_file_name: str | None = None
    # Reference files are recognised only by their exact header: their few columns also
    # appear in every statistics release.
    exact_header: tuple[str, ...] = ()

    def matches(self, header: set[str]) -> bool:
        if self.exact_header:
            return header == set(self.exact_header)
        return set(self.columns.values()) <= header

    @property
    def canonical_columns(self) -> list[str]:
        return [*self.columns, *self.constants]

    @property
    def published_columns(self) -> set[str]:
        """Every published column (lower case) the layout knows, optional ones included."""
        return set(self.columns.values()) | set(self.optional.values())


def _same(names: list[str]) -> dict[str, str]:
    return {name: name for name in names}


def _neighbour_columns(code: str, neighbour: str, closeness: str) -> dict[str, str]:
    """A statistical neighbour model's columns: the authority, then its ten neighbours and
    their closeness bands (`neighbour` and `closeness` are DfE's names with {rank} in them)."""
    return (
        {"old_la_code": code, "la_name": "la_name"}
        | {f"sn_{rank}": neighbour.format(rank=rank) for rank in range(1, 11)}
        | {f"sn_{rank}p": closeness.format(rank=rank) for rank in range(1, 11)}
    )


# Columns not published in a release are stored as DfE's "x" (not available).
_NOT_IN_RELEASE = "x"

# The LA scorecard data's headline columns (all young people aged 16-17) by canonical name.
_NEET_SCORECARD_HEADLINE = {
    "avg_cohort_count": "cohort_djfavg",
    "neet_nk_percent": "neet_not_known_percent",
    "neet_percent": "neet_percent",
    "nk_percent": "notknown_percent",
    "annual_change_neet_nk_percent": "annual_change_ppts_neet_not_known",
}

# Exclusions by geography (academic year). Releases up to 2020/21 name the phase column
# school_type, later ones education_phase (same labels); canonical name: education_phase.
EXCLUSIONS_MEASURES = [
    "num_schools",
    "headcount",
    "perm_excl",
    "perm_excl_rate",
    "suspension",
    "susp_rate",
    "one_plus_susp",
    "one_plus_susp_rate",
]
# NEET and not known 16-17 by characteristics: the 2026 release's names are canonical; the
# 2025 release's (avgcohort, avgNEETNK, ...) are matched case-insensitively like any column.
_NEET_FILTERS = ["age", "characteristic_grouping", "characteristic"]
_NEET_2026_MEASURES = [
    "avg_cohort_count",
    "avg_neet_nk_count",
    "avg_neet_count",
    "avg_nk_count",
    "neet_nk_percent",
    "neet_percent",
    "nk_percent",
    "annual_change_neet_nk_percent",
]
_NEET_2025_NAMES = {
    "avg_cohort_count": "avgcohort",
    "avg_neet_nk_count": "avgneetnk",
    "avg_neet_count": "avgneet",
    "avg_nk_count": "avgnk",
    "neet_nk_percent": "neetnkprop",
    "neet_percent": "neetprop",
    "nk_percent": "notknownprop",
}

# SEN2 management information: headline rows only, the same measures under the 2022
# release's CamelCase names and the 2023 release's snake_case ones (canonical -> published).
SEN2_CAMEL_CASE = {
    "plans_issued_den": "totincexcehc",
    "plans_issued_den_ex": "totnoexcehc",
    "plans_issued_within_20_weeks": "incexc20weekehc",
    "plans_issued_20_weeks_ex": "noexc20weekehc",
    "pc_plans_issued_within_20_weeks": "incexc20weekrate",
    "pc_plans_issued_20_weeks_ex": "noexc20weekrate",
    "requests_received_in_year": "inreqehc",
    "requests_decided_not_to_assess": "assrefusedehc",
    "request_not_assess_pc": "assrefusedehc_pc",
}
SEN2_SNAKE_CASE = {
    "plans_issued_den": "tot_inc_exc_ehc",
    "plans_issued_den_ex": "tot_no_exc_ehc",
    "plans_issued_within_20_weeks": "inc_exc_20week_ehc",
    "plans_issued_20_weeks_ex": "no_exc_20week_ehc",
    "pc_plans_issued_within_20_weeks": "inc_exc_20week_rate",
    "pc_plans_issued_20_weeks_ex": "no_exc_20week_rate",
    "requests_received_in_year": "inreq_ehc",
    "requests_decided_not_to_assess": "ass_refused_ehc",
    "request_not_assess_pc": "ass_refused_ehc_pc",
}
_SEN2_TIMELINESS = [
    "plans_issued_den",
    "plans_issued_den_ex",
    "plans_issued_within_20_weeks",
    "plans_issued_20_weeks_ex",
    "pc_plans_issued_within_20_weeks",
    "pc_plans_issued_20_weeks_ex",
]
_SEN2_REQUESTS = ["requests_received_in_year", "requests_decided_not_to_assess", "request_not_assess_pc"]


def _sen2_layouts(release: str, names: dict[str, str]) -> tuple[Layout, Layout]:
    """The two canonical tables one SEN2 management-information file feeds."""
    return (
        Layout(
            name=f"SEN2 management information ({release}): 20-week timeliness",
            table="dfe_ehcp_timeliness",
            columns=_same(_GEOGRAPHY) | {canonical: names[canonical] for canonical in _SEN2_TIMELINESS},
            constants={"breakdown_topic": "All EHC plans issued", "breakdown": "All EHC plans issued"},
            release_prefix="dfe_sen2",
        ),
        Layout(
            name=f"SEN2 management information ({release}): requests for EHC needs assessment",
            table="dfe_ehcp_requests",
            columns=_same(_GEOGRAPHY) | {canonical: names[canonical] for canonical in _SEN2_REQUESTS},
            constants={
                "breakdown_topic": "All requests for EHC needs assessments",
                "breakdown": "All requests for EHC needs assessments",
                **dict.fromkeys(
                    [
                        "requests_decided_to_assess",
                        "request_outcome_six_weeks",
                        "request_outcome_over_6_weeks",
                        "request_outcome_six_weeks_pc",
                    ],
                    _NOT_IN_RELEASE,
                ),
            },
            release_prefix="dfe_sen2",
        ),
    )


LAYOUTS: tuple[Layout, ...] = (
    Layout(
        name="EHC plans release: 20-week timeliness",
        table="dfe_ehcp_timeliness",
        columns=_same(_GEOGRAPHY + ["breakdown_topic", "breakdown"] + _SEN2_TIMELINESS),
        release_prefix="dfe_ehcp",
    ),
    Layout(
        name="EHC plans release: requests for EHC needs assessment",
        table="dfe_ehcp_requests",
        columns=_same(
            _GEOGRAPHY
            + [
                "breakdown_topic",
                "breakdown",
                "requests_received_in_year",
                "requests_decided_to_assess",
                "requests_decided_not_to_assess",
                "request_not_assess_pc",
                "request_outcome_six_weeks",
                "request_outcome_over_6_weeks",
                "request_outcome_six_weeks_pc",
            ]
        ),
        release_prefix="dfe_ehcp",
    ),
    Layout(
        name="EHC plans release: EHC needs assessments",
        table="dfe_ehcp_assessments",
        columns=_same(
            _GEOGRAPHY
            + [
                "breakdown_topic",
                "breakdown",
                "assess_issued",
                "assess_not_issued",
                "outcome_decision_within_time",
                "outcome_decision_over_time",
                "outcome_decision_within_time_pc",
            ]
        ),
        release_prefix="dfe_ehcp",
    ),
    Layout(
        name="EHC plans release: annual reviews",
        table="dfe_ehcp_annual_reviews",
        # DfE's own spelling ("decsion") in the published file; canonical names are spelt right.
        columns=_same(_GEOGRAPHY + ["breakdown_topic", "breakdown", "review_expected", "total_review_meeting"])
        | {
            "number_decision_4weeks": "number_decsion_4weeks",
            "number_decision_gt_4weeks": "number_decision_gt_4weeks",
            "pc_decision_4weeks": "pc_decsion_4weeks",
        },
        release_prefix="dfe_ehcp",
    ),
    *_sen2_layouts("2022 release, CamelCase: 2014-2021", SEN2_CAMEL_CASE),
    *_sen2_layouts("2023 release, snake_case: 2014-2022", SEN2_SNAKE_CASE),
    Layout(
        name="Exclusions by geography (education_phase, releases from 2021/22)",
        table="dfe_exclusions",
        columns=_same(_GEOGRAPHY + ["education_phase", *EXCLUSIONS_MEASURES]),
        release_prefix="dfe_exclusions",
    ),
    Layout(
        name="Exclusions by geography (school_type, releases up to 2020/21)",
        table="dfe_exclusions",
        columns=_same(_GEOGRAPHY + EXCLUSIONS_MEASURES) | {"education_phase": "school_type"},
        release_prefix="dfe_exclusions",
    ),
    Layout(
        name="Exclusions by geography (fixed_excl names, releases up to 2018/19)",
        table="dfe_exclusions",
        # Suspensions were "fixed period exclusions" until the 2019/20 release.
        columns=_same([c for c in _GEOGRAPHY + EXCLUSIONS_MEASURES if "susp" not in c])
        | {
            "education_phase": "school_type",
            "suspension": "fixed_excl",
            "susp_rate": "fixed_excl_rate",
            "one_plus_susp": "one_plus_fixed",
            "one_plus_susp_rate": "one_plus_fixed_rate",
        },
        release_prefix="dfe_exclusions",
    ),
    Layout(
        name="NEET and not known 16-17 by characteristics (2026 release names)",
        table="dfe_neet",
        columns=_same(_GEOGRAPHY + _NEET_FILTERS + _NEET_2026_MEASURES),
        release_prefix="dfe_neet",
        calendar_year_is_window_end=True,
    ),
    Layout(
        name="NEET and not known 16-17 by characteristics (2025 release names: avgcohort, NEETNKprop, ...)",
        table="dfe_neet",
        columns=_same(_GEOGRAPHY + _NEET_FILTERS) | _NEET_2025_NAMES,
        # Some files of this release carry annual_change_NEETNK, others do not.
        constants={"annual_change_neet_nk_percent": _NOT_IN_RELEASE},
        optional={"annual_change_neet_nk_percent": "annual_change_neetnk"},
        release_prefix="dfe_neet",
        calendar_year_is_window_end=True,
    ),
    Layout(
        name="NEET and participation LA scorecard data (UD_NEETNK_LA_dashboard): all young people",
        table="dfe_neet",
        columns=_same(_GEOGRAPHY + ["age"]) | _NEET_SCORECARD_HEADLINE,
        constants={
            "characteristic_grouping": "Total",
            "characteristic": "Total",
            "avg_neet_nk_count": _NOT_IN_RELEASE,
            "avg_neet_count": _NOT_IN_RELEASE,
            "avg_nk_count": _NOT_IN_RELEASE,
        },
        release_prefix="dfe_neet_scorecard",
        calendar_year_is_window_end=True,
    ),
    Layout(
        name="NEET and participation LA scorecard data (UD_NEETNK_LA_dashboard): with an EHC plan",
        table="dfe_neet",
        # The scorecard publishes only the NEET-or-not-known share for young people with an
        # EHC plan (and their share of the cohort, not a count): the rest is not published.
        columns=_same(_GEOGRAPHY + ["age"]) | {"neet_nk_percent": "neet_nk_ehcp_percent"},
        constants={
            "characteristic_grouping": "SEN provision",
            "characteristic": "EHC plan",
            "avg_cohort_count": _NOT_IN_RELEASE,
            "avg_neet_nk_count": _NOT_IN_RELEASE,
            "avg_neet_count": _NOT_IN_RELEASE,
            "avg_nk_count": _NOT_IN_RELEASE,
            "neet_percent": _NOT_IN_RELEASE,
            "nk_percent": _NOT_IN_RELEASE,
            "annual_change_neet_nk_percent": _NOT_IN_RELEASE,
        },
        release_prefix="dfe_neet_scorecard",
        calendar_year_is_window_end=True,
    ),
    Layout(
        name="Children missing education at census date (2025/26 release: breakdown_topic, child_count, rate_per_100)",
        table="dfe_cme",
        columns=_same(_GEOGRAPHY + ["breakdown_topic", "breakdown", "child_count", "child_percent", "rate_per_100"]),
        release_prefix="dfe_cme",
    ),
    Layout(
        name="Children missing education at census date (2024/25 release: filter_group, filter, number, pc, rate)",
        table="dfe_cme",
        columns=_same(_GEOGRAPHY)
        | {
            "breakdown_topic": "filter_group",
            "breakdown": "filter",
            "child_count": "number",
            "child_percent": "pc",
            "rate_per_100": "rate",
        },
        release_prefix="dfe_cme",
    ),
    Layout(
        name="Children missing education at any time during the academic year (cme_full_year)",
        table="dfe_cme_full_year",
        # A different measure from the census-day count (never compared with it): children
        # missing education at some time in the year, as the local extract counts them.
        columns=_same(_GEOGRAPHY + ["cme_full_year"]),
        constants={"breakdown_topic": "Total", "breakdown": "Total"},
        optional={"breakdown_topic": "breakdown_topic", "breakdown": "breakdown"},
        release_prefix="dfe_cme_full_year",
    ),
    Layout(
        name="Statistical neighbours 2025 model (wide CSV: SN_1..SN_10 with closeness)",
        table="dfe_sn_model_wide",
        columns=_neighbour_columns("old_la_code", "sn_{rank}", "sn_{rank}p"),
        # The wide CSV with closeness bands is how DfE ships the 2025 model; the 2021 model
        # came as a workbook (pipelines/ingest/dfe_workbooks.py).
        fixed_release="sn_model_2025",
    ),
    Layout(
        name="Statistical neighbours model (DfE workbook: SN1..SN10 with closeness)",
        table="dfe_sn_model_wide",
        columns=_neighbour_columns("la_num", "sn{rank}", "sn{rank}_snp"),
        # The 2021 and 2025 workbooks share one layout and carry no model year in their cells
        # or document properties: DfE names it in the file name (sn_april_2021.xlsx,
        # sn_may_2025.xlsx), so the release is "sn_model_<year in the file name>".
        release_from_file_name="sn_model",
    ),
    Layout(
        name="Local authority codes with dates of operation",
        table="dfe_las",
        columns=_same(
            [
                "new_la_code",
                "la_name",
                "date_of_operation",
                "date_of_termination",
                "parent_geography_code",
                "status",
                "old_la_code",
            ]
        ),
        fixed_release="reference",
        exact_header=(
            "new_la_code",
            "la_name",
            "date_of_operation",
            "date_of_termination",
            "parent_geography_code",
            "entity_code",
            "entity_description",
            "status",
            "old_la_code",
        ),
    ),
    Layout(
        name="Region to local authority hierarchy",
        table="dfe_region_la_hierarchy",
        columns=_same(["region_code", "region_name", "old_la_code", "la_name", "new_la_code"]),
        fixed_release="reference",
        exact_header=("region_code", "region_name", "old_la_code", "la_name", "new_la_code"),
    ),
)

# Every canonical table and its columns (layouts feeding one table share its columns).
CANONICAL_TABLES: dict[str, list[str]] = {}
for _layout in LAYOUTS:
    CANONICAL_TABLES.setdefault(_layout.table, _layout.canonical_columns)
    assert set(CANONICAL_TABLES[_layout.table]) == set(_layout.canonical_columns), _layout.name
    assert set(_layout.optional) <= set(_layout.constants), _layout.name

# Provenance on every canonical row: the release, the year it was published (releases are
# ordered by it: "dfe_sen2_2022" must not outrank "dfe_ehcp_2025" by name), the file.
PROVENANCE = ["release", "release_year", "source_file"]


class SetAside(Exception):
    """A recognised file that cannot be used: the message says why (the run goes on)."""


@dataclass(frozen=True)
class PublishedFile:
    """A file found under the benchmarks folder and the layouts it matched (a SEN2 MI file
    feeds two canonical tables); none matched: `message` names the columns not recognised."""

    path: Path
    layouts: tuple[Layout, ...]
    header: list[str]
    message: str = ""

    @property
    def recognised(self) -> bool:
        return bool(self.layouts)


def read_header(path: Path) -> list[str]:
    """The first row of a CSV, lower-cased, byte-order mark removed; [] if unreadable."""
    try:
        with path.open(encoding="utf-8-sig", errors="replace", newline="") as handle:
            return [column.strip().lower() for column in next(csv.reader(handle), [])]
    except OSError:
        return []


def _matching(header: set[str]) -> tuple[Layout, ...]:
    return tuple(layout for layout in LAYOUTS if layout.matches(header))


def recognise_workbook(path: Path) -> PublishedFile:
    """A workbook is recognised by a header row somewhere in its first rows."""
    try:
        rows = read_workbook_rows(path, lambda header: bool(_matching(header)))
    except Exception as error:  # openpyxl raises many types for a damaged workbook
        return PublishedFile(path, (), [], f"{path}: not a readable workbook ({error})")
    if rows is None:
        return PublishedFile(path, (), [], f"{path}: no header row of a known DfE layout in its first rows")
    return PublishedFile(path, _matching(set(rows.columns)), list(rows.columns))


def recognise(path: Path) -> PublishedFile:
    header = read_header(path)
    found = set(header)
    matched = _matching(found)
    if matched:
        return PublishedFile(path, matched, header)
    known = set().union(*(layout.published_columns for layout in LAYOUTS))
    unknown = [column for column in header if column not in known]
    return PublishedFile(
        path,
        (),
        header,
        f"{path}: layout not recognised; columns not in any known DfE layout: {', '.join(unknown[:20]) or '(none)'}",
    )


def discover(folder: Path) -> list[PublishedFile]:
    """Every CSV and workbook under the folder, any depth, any name, with its layouts or a reason."""
    if not folder.is_dir():
        return []
    found = []
    for path in sorted(folder.rglob("*")):
        if path.name.startswith((".", "~$")) or not path.is_file():
            continue
        if path.suffix.lower() == ".csv":
            found.append(recognise(path))
        elif path.suffix.lower() == ".xlsx":
            found.append(recognise_workbook(path))
    return found


def _real_header(connection: duckdb.DuckDBPyConnection, path: Path) -> list[str]:
    return [
        row[0]
        for row in connection.execute(
            "select column_name from (describe select * from read_csv(?, all_varchar = true, header = true))",
            [str(path)],
        ).fetchall()
    ]


def _select_list(layout: Layout, header: list[str]) -> str:
    # read_csv keeps the published spelling (PC_ vs pc_); address each column by its real name.
    real_names = {column.lower(): column for column in header}
    published = [f'"{real_names[source]}" as {canonical}' for canonical, source in layout.columns.items()]
    constants = [
        f'"{real_names[layout.optional[canonical]]}" as {canonical}'
        if layout.optional.get(canonical) in real_names
        else f"'{value}' as {canonical}"
        for canonical, value in layout.constants.items()
    ]
    return ", ".join(published + constants)


def _release(
    connection: duckdb.DuckDBPyConnection, layout: Layout, relation_sql: str, params: list, path: Path
) -> tuple[str, int | None]:
    """(release name, year published), from the latest period in the file.

    The year is the first four digits of the latest time_period plus one: DfE publishes a
    calendar year's statistics (EHC plans) the following June, so data to 2024 is the 2025
    release, and an academic year 202324 gives 2024. NEET's "Calendar year" 2025 is the
    window ending February 2025 (2024/25), published in July 2025: 2025, the same release
    year as the academic-year form 202425 of that period."""
    if layout.fixed_release:
        year = layout.fixed_release.rsplit("_", 1)[-1]
        return layout.fixed_release, int(year) if year.isdigit() else None
    if layout.release_from_file_name:
        years = re.findall(r"(?<!\d)(20\d\d)(?!\d)", path.stem)
        if len(years) != 1:
            raise SetAside(
                f"its file name must give the model year once (as DfE names it: sn_may_2025.xlsx); "
                f"found {years or 'none'} in {path.name}"
            )
        return f"{layout.release_from_file_name}_{years[0]}", int(years[0])
    window_end = "lower(trim(time_identifier)) = 'calendar year'" if layout.calendar_year_is_window_end else "false"
    latest = connection.execute(
        f"select max(try_cast(left(time_period, 4) as integer) + case when {window_end} then 0 else 1 end) "
        f"from {relation_sql}",
        params,
    ).fetchall()[0][0]
    return f"{layout.release_prefix}_{latest}", latest


def recreate_tables(connection: duckdb.DuckDBPyConnection) -> None:
    """The canonical tables hold what the benchmarks folder holds now, so they are made anew
    on every load: a warehouse built by an earlier version gets the current columns."""
    connection.execute("create schema if not exists raw")
    connection.execute(
        "create or replace table raw.dfe_files (file_path varchar, file_name varchar, file_sha256 varchar, "
        "layout varchar, canonical_table varchar, release varchar, status varchar, rows_loaded integer, "
        "message varchar, loaded_at timestamp)"
    )
    for table, columns in CANONICAL_TABLES.items():
        definitions = ", ".join(
            f"{name} {'integer' if name == 'release_year' else 'varchar'}" for name in [*PROVENANCE, *columns]
        )
        connection.execute(f"create or replace table raw.{table} ({definitions})")


def load_published_folder(connection: duckdb.DuckDBPyConnection, folder: Path) -> list[PublishedFile]:
    """Replace the canonical tables with what the folder holds now. Each file is first read and
    checked on its own (outside any transaction, so that one unreadable file fails alone); a
    file that cannot be read or whose rows break a rule is set aside (raw.dfe_files says why)
    and the others load, all in one transaction: one odd download never stops every family."""
    files = discover(folder)
    staged: list[Staged] = []
    for published in files:
        staged += _stage_file(connection, published, folder, len(staged))
    connection.execute("begin transaction")
    try:
        recreate_tables(connection)
        for outcome in staged:
            if outcome.table_name:
                connection.execute(f"insert into raw.{outcome.layout.table} by name select * from {outcome.table_name}")
            _record(connection, outcome, folder)
        set_aside_conflicting_neighbour_models(connection)
        connection.execute("commit")
    except BaseException:
        connection.execute("rollback")
        raise
    finally:
        for outcome in staged:
            if outcome.table_name:
                connection.execute(f"drop table if exists {outcome.table_name}")
    return files


@dataclass(frozen=True)
class Staged:
    """What became of one file for one layout, before anything is written: loaded (its mapped
    rows wait in a temporary table), set aside or unrecognised, and why."""

    published: PublishedFile
    sha256: str
    layout: Layout | None
    release: str | None
    status: str
    rows: int
    message: str
    table_name: str | None = None


# Rules every mapped row must meet before it reaches the warehouse, per canonical table:
# (column, SQL condition on the mapped rows, the rule in words). Rows at School level are
# not benchmarks: they are dropped with a note, never counted as breaking a rule.
GEOGRAPHIC_LEVELS = ("National", "Regional", "Local authority")
NEET_AGE_LABELS = ("16", "17", "16-17", "16 to 17", "total")
ROW_RULES: dict[str, list[tuple[str, str, str]]] = {
    table: [("geographic_level", f"geographic_level in {GEOGRAPHIC_LEVELS}", f"one of {', '.join(GEOGRAPHIC_LEVELS)}")]
    for table in (
        "dfe_ehcp_timeliness",
        "dfe_ehcp_requests",
        "dfe_ehcp_assessments",
        "dfe_ehcp_annual_reviews",
        "dfe_exclusions",
        "dfe_neet",
        "dfe_cme",
    )
}
# DfE's CME census counts are termly; an academic-year row is kept as the year's figure.
CME_PERIODS = ("Academic year", "Autumn term", "Spring term", "Summer term")
ROW_RULES["dfe_cme"].append(
    ("time_identifier", f"time_identifier in {CME_PERIODS}", f"one of {', '.join(CME_PERIODS)}")
)
ROW_RULES["dfe_cme_full_year"] = [
    ("geographic_level", f"geographic_level in {GEOGRAPHIC_LEVELS}", f"one of {', '.join(GEOGRAPHIC_LEVELS)}"),
    ("time_identifier", "time_identifier = 'Academic year'", "Academic year"),
]
ROW_RULES["dfe_neet"].append(
    ("age", f"lower(trim(age)) in {NEET_AGE_LABELS}", f"an age label DfE uses ({', '.join(NEET_AGE_LABELS)})")
)


def _record(connection, outcome: Staged, folder: Path) -> None:
    connection.execute(
        "insert into raw.dfe_files values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            str(outcome.published.path),
            _name_in(outcome.published.path, folder),
            outcome.sha256,
            outcome.layout.name if outcome.layout else None,
            outcome.layout.table if outcome.layout else None,
            outcome.release,
            outcome.status,
            outcome.rows,
            outcome.message.replace(f"{folder}/", ""),
            datetime.now(),
        ],
    )


def _name_in(path: Path, folder: Path) -> str:
    """The file's name relative to the benchmarks folder: what reports and marts show."""
    try:
        return str(path.relative_to(folder))
    except ValueError:
        return path.name


def _broken_rules(connection: duckdb.DuckDBPyConnection, table: str, candidate: str) -> list[str]:
    """What the mapped rows in the temporary table `candidate` break, one sentence per rule."""
    broken = []
    for column, condition, rule in ROW_RULES.get(table, []):
        count, examples = connection.execute(
            f"select count(*), string_agg(distinct coalesce({column}, 'NULL'), ', ') "
            f"from {candidate} where not coalesce({condition}, false)"
        ).fetchall()[0]
        if count:
            broken.append(f"column {column}: {count} rows are not {rule} (found: {examples[:200]})")
    return broken


def _stage_file(
    connection: duckdb.DuckDBPyConnection, published: PublishedFile, folder: Path, number: int
) -> list[Staged]:
    path = published.path
    sha256 = file_sha256(path)
    if not published.recognised:
        return [Staged(published, sha256, None, None, "unrecognised", 0, published.message)]
    staged: list[Staged] = []
    try:
        if path.suffix.lower() == ".xlsx":
            rows = read_workbook_rows(path, lambda found: set(published.header) == found)
            connection.register("workbook_rows", rows)
            relation_sql, params, header = "workbook_rows", [], published.header
        else:
            relation_sql, params = "read_csv(?, all_varchar = true, header = true)", [str(path)]
            header = _real_header(connection, path)
        for layout in published.layouts:
            candidate = f"dfe_staged_{number + len(staged)}"
            staged.append(_stage_layout(connection, published, sha256, layout, relation_sql, params, header, candidate))
    except duckdb.Error as error:
        # Unreadable (truncated, ragged, wrong encoding): set aside, naming DuckDB's reason
        # (it gives the line and column), and let every other file load.
        for outcome in staged:
            if outcome.table_name:
                connection.execute(f"drop table if exists {outcome.table_name}")
        reason = str(error).splitlines()[0][:400]
        layout = published.layouts[0]
        message = f"set aside: the file cannot be read as {layout.name}: {reason}"
        return [Staged(published, sha256, layout, None, "set_aside", 0, message)]
    finally:
        if path.suffix.lower() == ".xlsx":
            connection.unregister("workbook_rows")
    return staged


def _stage_layout(
    connection,
    published: PublishedFile,
    sha256: str,
    layout: Layout,
    relation_sql: str,
    params: list,
    header: list[str],
    candidate: str,
) -> Staged:
    path = published.path
    try:
        release, release_year = _release(connection, layout, relation_sql, params, path)
    except SetAside as reason:
        return Staged(published, sha256, layout, None, "set_aside", 0, f"set aside: {reason}")
    connection.execute(
        f"create or replace temp table {candidate} as "
        f"select ? as release, ? as release_year, ? as source_file, {_select_list(layout, header)} from {relation_sql}",
        [release, release_year, str(path), *params],
    )
    school_rows = (
        connection.execute(f"delete from {candidate} where geographic_level = 'School' returning 1").fetchall()
        if "geographic_level" in layout.columns
        else []
    )
    notes = [f"{len(school_rows)} school-level rows ignored (not benchmarks)"] if school_rows else []
    # fetchall, not fetchone: a half-read result blocks registering the next workbook
    rows = connection.execute(f"select count(*) from {candidate}").fetchall()[0][0]
    broken = _broken_rules(connection, layout.table, candidate)
    if rows == 0:
        broken.append("no England, region or authority rows")
    if broken:
        connection.execute(f"drop table {candidate}")
        return Staged(published, sha256, layout, release, "set_aside", 0, "set aside: " + "; ".join(broken + notes))
    message = "; ".join([f"loaded {rows} rows", *notes])
    return Staged(published, sha256, layout, release, "loaded", rows, message, candidate)


def set_aside_conflicting_neighbour_models(connection: duckdb.DuckDBPyConnection) -> None:
    """Two files giving one neighbour model with different lists: neither can be trusted, so
    both are set aside, each naming the other; files agreeing on a model are kept once."""
    conflicts = connection.execute("""
        with lists as (
            select release, source_file, old_la_code,
                   list_transform(list_value(sn_1, sn_2, sn_3, sn_4, sn_5, sn_6, sn_7, sn_8, sn_9, sn_10), lambda code: nullif(trim(code), '')) as neighbours
            from raw.dfe_sn_model_wide
        )
        select distinct first.release, first.source_file, second.source_file
        from lists as first
        inner join lists as second
            on second.release = first.release and second.old_la_code = first.old_la_code
           and second.source_file <> first.source_file
        where first.neighbours is distinct from second.neighbours
    """).fetchall()
    for release, source_file, other in conflicts:
        differing = connection.execute(
            """
            select count(distinct first.old_la_code) from raw.dfe_sn_model_wide as first
            inner join raw.dfe_sn_model_wide as second
                on second.old_la_code = first.old_la_code and second.release = first.release
            where first.source_file = ? and second.source_file = ?
              and list_transform(list_value(first.sn_1, first.sn_2, first.sn_3, first.sn_4, first.sn_5,
                                            first.sn_6, first.sn_7, first.sn_8, first.sn_9, first.sn_10),
                                 lambda code: nullif(trim(code), ''))
               is distinct from list_transform(list_value(second.sn_1, second.sn_2, second.sn_3, second.sn_4, second.sn_5,
                                            second.sn_6, second.sn_7, second.sn_8, second.sn_9, second.sn_10),
                                 lambda code: nullif(trim(code), ''))
        """,
            [source_file, other],
        ).fetchone()[0]
        connection.execute(
            "update raw.dfe_files set status = 'set_aside', rows_loaded = 0, message = ? where file_path = ?",
            [
                f"set aside: it gives the {release} neighbour model, as {Path(other).name} does, with different "
                f"neighbours for {differing} authorities: keep the right one in the benchmarks folder",
                source_file,
            ],
        )
    for source_file in {row[1] for row in conflicts}:
        connection.execute("delete from raw.dfe_sn_model_wide where source_file = ?", [source_file])
