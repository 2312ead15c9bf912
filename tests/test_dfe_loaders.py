"""DfE published files: recognised by their header wherever they sit, loaded as published text.

The real files are read in place from ../shared/data/dfe (the `shared_dfe` fixture skips when
they are absent); only tmp_path receives copies. Hand-made files cover the edge cases.
A file may match several layouts (SEN2 MI feeds two canonical tables), so a recognised file
has a tuple of layouts and an unrecognised one an empty tuple and a message.
"""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import duckdb
import pytest

from pipelines.ingest.dfe import CANONICAL_TABLES, load_published_folder, recognise

REGION_HEADER = "region_code,region_name,old_la_code,la_name,new_la_code"
REGION_ROWS = [
    "E12000001,North East,840,County Durham,E06000047",
    "E12000007,London,202,Camden,E09000007",
]

# What the real folder holds, file by file: the canonical tables each feeds (none: not recognised).
REAL_FILE_TABLES = {
    "timeliness_20_week.csv": ("dfe_ehcp_timeliness",),
    "requests.csv": ("dfe_ehcp_requests",),
    "assessments.csv": ("dfe_ehcp_assessments",),
    "annual_reviews.csv": ("dfe_ehcp_annual_reviews",),
    # the older SEN2 management-information file: CamelCase columns, two tables
    "sen2_mi.csv": ("dfe_ehcp_timeliness", "dfe_ehcp_requests"),
    "sn_model_2025_wide.csv": ("dfe_sn_model_wide",),
    "sn_april_2021.xlsx": ("dfe_sn_model_wide",),
    "las.csv": ("dfe_las",),
    "region_la_hierarchy.csv": ("dfe_region_la_hierarchy",),
    # presentation tables: title rows above the header, no layout known
    "send_tribunal_appeal_rate_2014_2024.csv": (),
    "dsg_allocation_by_year.xlsx": (),
    "dsg_deficit_pct_of_allocation.xlsx": (),
}
UNRECOGNISED = {name for name, tables in REAL_FILE_TABLES.items() if not tables}


@pytest.fixture
def connection(tmp_path: Path) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    yield con
    con.close()


def _tables_by_file(files) -> dict[str, tuple[str, ...]]:
    return {f.path.name: tuple(layout.table for layout in f.layouts) for f in files}


def _published_rows(path: Path) -> list[dict[str, str]]:
    """A published CSV read with the standard library (independently of the loader)."""
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


# --- the real folder -------------------------------------------------------------------------


@pytest.mark.real_data
def test_real_folder_known_layouts_recognised_and_loaded(shared_dfe, connection):
    files = load_published_folder(connection, shared_dfe)

    assert _tables_by_file(files) == REAL_FILE_TABLES
    assert {f.path.name for f in files if f.recognised} == set(REAL_FILE_TABLES) - UNRECOGNISED
    loaded = {
        (Path(row[0]).name, row[1], row[2])
        for row in connection.execute(
            "select file_path, canonical_table, release from raw.dfe_files where layout is not null"
        ).fetchall()
    }
    assert loaded == {
        ("timeliness_20_week.csv", "dfe_ehcp_timeliness", "dfe_ehcp_2025"),
        ("requests.csv", "dfe_ehcp_requests", "dfe_ehcp_2025"),
        ("assessments.csv", "dfe_ehcp_assessments", "dfe_ehcp_2025"),
        ("annual_reviews.csv", "dfe_ehcp_annual_reviews", "dfe_ehcp_2025"),
        # SEN2 MI holds calendar years 2014-2021: published in 2022
        ("sen2_mi.csv", "dfe_ehcp_timeliness", "dfe_sen2_2022"),
        ("sen2_mi.csv", "dfe_ehcp_requests", "dfe_sen2_2022"),
        ("sn_model_2025_wide.csv", "dfe_sn_model_wide", "sn_model_2025"),
        ("sn_april_2021.xlsx", "dfe_sn_model_wide", "sn_model_2021"),
        ("las.csv", "dfe_las", "reference"),
        ("region_la_hierarchy.csv", "dfe_region_la_hierarchy", "reference"),
    }


@pytest.mark.real_data
def test_real_folder_row_counts_match_the_files(shared_dfe, connection):
    load_published_folder(connection, shared_dfe)

    def data_lines(relative: str) -> int:
        with (shared_dfe / relative).open(encoding="utf-8-sig", newline="") as handle:
            return sum(1 for line in handle if line.strip()) - 1

    for relative, table in [
        ("ehcp_2025/timeliness_20_week.csv", "dfe_ehcp_timeliness"),
        ("ehcp_2025/requests.csv", "dfe_ehcp_requests"),
        ("ehcp_2025/assessments.csv", "dfe_ehcp_assessments"),
        ("ehcp_2025/annual_reviews.csv", "dfe_ehcp_annual_reviews"),
        ("ehcp_2022/sen2_mi.csv", "dfe_ehcp_timeliness"),
        ("ehcp_2022/sen2_mi.csv", "dfe_ehcp_requests"),
        ("reference/sn_model_2025_wide.csv", "dfe_sn_model_wide"),
        ("reference/las.csv", "dfe_las"),
        ("reference/region_la_hierarchy.csv", "dfe_region_la_hierarchy"),
    ]:
        expected = data_lines(relative)
        path = str(shared_dfe / relative)
        assert (
            connection.execute(f"select count(*) from raw.{table} where source_file = ?", [path]).fetchone()[0]
            == expected
        ), (relative, table)
        assert (
            connection.execute(
                "select rows_loaded from raw.dfe_files where file_path = ? and canonical_table = ?", [path, table]
            ).fetchone()[0]
            == expected
        ), (relative, table)
    # every row of a table comes from one of the files that feed it
    assert connection.execute("select count(*) from raw.dfe_ehcp_timeliness").fetchone()[0] == (
        data_lines("ehcp_2025/timeliness_20_week.csv") + data_lines("ehcp_2022/sen2_mi.csv")
    )
    assert connection.execute("select count(*) from raw.dfe_ehcp_requests").fetchone()[0] == (
        data_lines("ehcp_2025/requests.csv") + data_lines("ehcp_2022/sen2_mi.csv")
    )


@pytest.mark.real_data
def test_real_folder_unknown_layouts_reported_with_their_columns_not_loaded(shared_dfe, connection):
    files = load_published_folder(connection, shared_dfe)

    unknown = {f.path.name: f.message for f in files if not f.recognised}
    assert set(unknown) == UNRECOGNISED
    for f in files:
        assert (f.layouts == ()) == (f.path.name in UNRECOGNISED)
    # the CSV's header is its title row: the message names the columns no layout knows
    tribunal = unknown["send_tribunal_appeal_rate_2014_2024.csv"]
    assert "layout not recognised" in tribunal
    assert "columns not in any known DfE layout: send appeal rate table 1: special educational needs" in tribunal
    # workbooks: no row among the first rows is the header of a known layout
    for name in ("dsg_allocation_by_year.xlsx", "dsg_deficit_pct_of_allocation.xlsx"):
        assert "no header row of a known DfE layout" in unknown[name]
    for name, message in unknown.items():
        assert message.startswith(str(next(f.path for f in files if f.path.name == name)))
    rows = connection.execute(
        "select file_path, layout, canonical_table, release, rows_loaded, message, status, file_name "
        "from raw.dfe_files where layout is null order by file_path"
    ).fetchall()
    assert {Path(r[0]).name for r in rows} == set(unknown)
    assert all(r[1:5] == (None, None, None, 0) and r[6] == "unrecognised" for r in rows)
    # the warehouse records the message with the file named relative to the benchmarks folder
    # (no server path reaches a mart)
    assert {Path(r[0]).name: r[5] for r in rows} == {
        name: message.replace(f"{shared_dfe}/", "") for name, message in unknown.items()
    }
    assert all(not r[5].startswith("/") and r[5].startswith(r[7]) for r in rows)
    # nothing of theirs reached a canonical table
    for table in CANONICAL_TABLES:
        sources = {
            Path(r[0]).name for r in connection.execute(f"select distinct source_file from raw.{table}").fetchall()
        }
        assert not sources & set(unknown), table


@pytest.mark.real_data
def test_every_canonical_table_carries_release_year_as_an_integer(shared_dfe, connection):
    load_published_folder(connection, shared_dfe)

    for table in CANONICAL_TABLES:
        columns = dict(
            connection.execute(
                "select column_name, data_type from information_schema.columns where table_schema = 'raw' "
                "and table_name = ?",
                [table],
            ).fetchall()
        )
        assert columns["release"] == "VARCHAR", table
        assert columns["release_year"] == "INTEGER", table
        assert columns["source_file"] == "VARCHAR", table
    years = set()
    for table in CANONICAL_TABLES:
        years |= set(connection.execute(f"select distinct release, release_year from raw.{table}").fetchall())
    assert years == {
        ("dfe_ehcp_2025", 2025),
        ("dfe_sen2_2022", 2022),
        ("sn_model_2025", 2025),
        ("sn_model_2021", 2021),
        # reference lists are not a dated release
        ("reference", None),
    }


@pytest.mark.real_data
def test_england_2023_rate_excluding_exceptions_is_50_3(shared_dfe, connection):
    load_published_folder(connection, shared_dfe)

    rows = connection.execute(
        "select release, release_year, pc_plans_issued_20_weeks_ex, pc_plans_issued_within_20_weeks, "
        "plans_issued_den_ex from raw.dfe_ehcp_timeliness where geographic_level = 'National' "
        "and time_period = '2023' and breakdown = 'All EHC plans issued'"
    ).fetchall()

    # From the published file: 38471 of 76506 plans within 20 weeks excluding exceptions = 50.3%.
    assert rows == [("dfe_ehcp_2025", 2025, "50.3", "49.1", "76506")]
    assert round(100 * 38471 / 76506, 1) == 50.3


@pytest.mark.real_data
def test_sen2_camel_case_columns_map_to_the_canonical_timeliness_columns(shared_dfe, connection):
    load_published_folder(connection, shared_dfe)
    sen2 = shared_dfe / "ehcp_2022" / "sen2_mi.csv"
    national = {row["time_period"]: row for row in _published_rows(sen2) if row["geographic_level"] == "National"}

    rows = connection.execute(
        "select time_period, release, release_year, source_file, breakdown_topic, breakdown, "
        "pc_plans_issued_20_weeks_ex, plans_issued_20_weeks_ex, plans_issued_den_ex, "
        "pc_plans_issued_within_20_weeks, plans_issued_within_20_weeks, plans_issued_den "
        "from raw.dfe_ehcp_timeliness where geographic_level = 'National' and release = 'dfe_sen2_2022' "
        "and time_period between '2014' and '2018' order by time_period"
    ).fetchall()

    assert [r[0] for r in rows] == ["2014", "2015", "2016", "2017", "2018"]
    for year, release, release_year, source_file, topic, breakdown, *values in rows:
        published = national[year]
        assert (release, release_year, source_file) == ("dfe_sen2_2022", 2022, str(sen2))
        # SEN2 MI has headline rows only: the loader names them as the 2025 release does
        assert topic == breakdown == "All EHC plans issued"
        assert values == [
            published["NoExc20weekRate"],
            published["NoExc20weekEHC"],
            published["TotNoExcEHC"],
            published["IncExc20weekRate"],
            published["IncExc20weekEHC"],
            published["TotIncExcEHC"],
        ], year
    # England, excluding exceptions, 2014-2018, as printed in the SEN2 file (kept as published text)
    assert [float(r[6]) for r in rows] == [64.3, 59.2, 58.6, 64.9, 60.1]


@pytest.mark.real_data
def test_sen2_requests_columns_mapped_and_missing_ones_stored_as_not_available(shared_dfe, connection):
    load_published_folder(connection, shared_dfe)
    sen2 = shared_dfe / "ehcp_2022" / "sen2_mi.csv"
    worcestershire = {row["time_period"]: row for row in _published_rows(sen2) if row["old_la_code"] == "885"}

    rows = connection.execute(
        "select time_period, breakdown_topic, breakdown, requests_received_in_year, "
        "requests_decided_not_to_assess, request_not_assess_pc, requests_decided_to_assess, "
        "request_outcome_six_weeks, request_outcome_over_6_weeks, request_outcome_six_weeks_pc "
        "from raw.dfe_ehcp_requests where release = 'dfe_sen2_2022' and old_la_code = '885' order by time_period"
    ).fetchall()

    assert [r[0] for r in rows] == sorted(worcestershire) == [str(year) for year in range(2014, 2022)]
    for year, topic, breakdown, received, refused, refused_pc, *not_published in rows:
        assert topic == breakdown == "All requests for EHC needs assessments"
        published = worcestershire[year]
        assert (received, refused, refused_pc) == (
            published["InreqEHC"],
            published["AssRefusedEHC"],
            published["AssRefusedEHC_pc"],
        )
        # columns SEN2 does not publish: DfE's "x" (not available), never 0
        assert not_published == ["x", "x", "x", "x"]


@pytest.mark.real_data
def test_annual_reviews_misspelt_columns_stored_under_correct_names(shared_dfe, connection):
    load_published_folder(connection, shared_dfe)
    published = _published_rows(shared_dfe / "ehcp_2025" / "annual_reviews.csv")
    england = next(
        row
        for row in published
        if row["geographic_level"] == "National" and row["breakdown_topic"] == "All annual reviews"
    )
    assert "number_decsion_4weeks" in england and "pc_decsion_4weeks" in england  # DfE's spelling

    columns = [
        r[0]
        for r in connection.execute(
            "select column_name from information_schema.columns where table_schema = 'raw' "
            "and table_name = 'dfe_ehcp_annual_reviews'"
        ).fetchall()
    ]
    assert {"number_decision_4weeks", "number_decision_gt_4weeks", "pc_decision_4weeks"} <= set(columns)
    assert not any("decsion" in column for column in columns)
    rows = connection.execute(
        "select release, release_year, time_period, review_expected, total_review_meeting, "
        "number_decision_4weeks, number_decision_gt_4weeks, pc_decision_4weeks "
        "from raw.dfe_ehcp_annual_reviews where geographic_level = 'National' "
        "and breakdown_topic = 'All annual reviews'"
    ).fetchall()
    assert rows == [
        (
            "dfe_ehcp_2025",
            2025,
            "2024",
            england["review_expected"],
            england["total_review_meeting"],
            england["number_decsion_4weeks"],
            england["number_decision_gt_4weeks"],
            england["pc_decsion_4weeks"],
        )
    ]
    assert rows[0][5:] == ("154924", "193835", "44.4")


@pytest.mark.real_data
def test_assessments_loaded_with_release_and_source(shared_dfe, connection):
    load_published_folder(connection, shared_dfe)
    path = shared_dfe / "ehcp_2025" / "assessments.csv"
    england_2019 = next(
        row
        for row in _published_rows(path)
        if row["geographic_level"] == "National"
        and row["time_period"] == "2019"
        and row["breakdown_topic"] == "All EHC needs assessments"
    )

    assert connection.execute(
        "select release, release_year, source_file, assess_issued, assess_not_issued, outcome_decision_within_time_pc "
        "from raw.dfe_ehcp_assessments where geographic_level = 'National' and time_period = '2019' "
        "and breakdown_topic = 'All EHC needs assessments'"
    ).fetchall() == [
        (
            "dfe_ehcp_2025",
            2025,
            str(path),
            england_2019["assess_issued"],
            england_2019["assess_not_issued"],
            england_2019["outcome_decision_within_time_pc"],
        )
    ]
    assert england_2019["assess_issued"] == "53899"


@pytest.mark.real_data
def test_2021_neighbour_workbook_read_below_its_title_rows(shared_dfe, connection):
    load_published_folder(connection, shared_dfe)
    path = str(shared_dfe / "reference" / "sn_april_2021.xlsx")

    # 159 rows under the header: 154 authorities of April 2021 (942 and 943 with "-" for
    # every neighbour), the "Old SNs:" section label, and 4 pre-reorganisation authorities
    # (835 Dorset, 836 Poole, 837 Bournemouth, 928 Northamptonshire). Loaded as published.
    assert connection.execute(
        "select count(*), count(old_la_code), count(distinct old_la_code) from raw.dfe_sn_model_wide "
        "where release = 'sn_model_2021'"
    ).fetchone() == (159, 158, 158)
    assert connection.execute("select rows_loaded from raw.dfe_files where file_path = ?", [path]).fetchone() == (159,)
    assert connection.execute(
        "select la_name, sn_1 from raw.dfe_sn_model_wide where release = 'sn_model_2021' and old_la_code is null"
    ).fetchall() == [("Old SNs:", None)]
    assert connection.execute(
        "select old_la_code from raw.dfe_sn_model_wide where release = 'sn_model_2021' "
        "and old_la_code in ('835', '836', '837', '928') order by old_la_code"
    ).fetchall() == [("835",), ("836",), ("837",), ("928",)]
    worcestershire = connection.execute(
        "select release_year, source_file, la_name, sn_1, sn_1p, sn_2, sn_10, sn_10p from raw.dfe_sn_model_wide "
        "where release = 'sn_model_2021' and old_la_code = '885'"
    ).fetchall()
    # Worcestershire's first 2021 neighbour is Warwickshire (937), then North Somerset (802).
    assert worcestershire == [(2021, path, "Worcestershire", "937", "Extremely Close", "802", "886", "Very Close")]
    # the 2025 model is a different list
    assert connection.execute(
        "select sn_1 from raw.dfe_sn_model_wide where release = 'sn_model_2025' and old_la_code = '885'"
    ).fetchall() == [("933",)]


@pytest.mark.real_data
def test_real_file_recognised_by_header_under_any_name_and_folder(shared_dfe, tmp_path, connection):
    folder = tmp_path / "benchmarks"
    copy = folder / "downloads" / "2025" / "ehcp table 3 (final).csv"
    copy.parent.mkdir(parents=True)
    shutil.copyfile(shared_dfe / "ehcp_2025" / "timeliness_20_week.csv", copy)

    files = load_published_folder(connection, folder)

    assert _tables_by_file(files) == {"ehcp table 3 (final).csv": ("dfe_ehcp_timeliness",)}
    assert connection.execute(
        "select distinct release, release_year, source_file from raw.dfe_ehcp_timeliness"
    ).fetchall() == [("dfe_ehcp_2025", 2025, str(copy))]
    assert connection.execute(
        "select pc_plans_issued_20_weeks_ex from raw.dfe_ehcp_timeliness where geographic_level = 'National' "
        "and time_period = '2023' and breakdown = 'All EHC plans issued'"
    ).fetchall() == [("50.3",)]


@pytest.mark.real_data
def test_workbook_recognised_by_header_under_any_name_and_its_model_year_read_from_the_name(
    shared_dfe, tmp_path, connection
):
    folder = tmp_path / "benchmarks"
    folder.mkdir()
    # The 2021 and 2025 workbooks share one layout: the model year is in DfE's file name only.
    copy = folder / "neighbours_2021.xlsx"
    shutil.copyfile(shared_dfe / "reference" / "sn_april_2021.xlsx", copy)
    unnamed = folder / "neighbours.xlsx"
    shutil.copyfile(shared_dfe / "reference" / "sn_april_2021.xlsx", unnamed)

    files = load_published_folder(connection, folder)

    assert all(published.recognised for published in files)
    assert {layout.table for published in files for layout in published.layouts} == {"dfe_sn_model_wide"}
    assert connection.execute(
        "select distinct release, release_year, source_file from raw.dfe_sn_model_wide"
    ).fetchall() == [("sn_model_2021", 2021, str(copy))]
    status, message = connection.execute(
        "select status, message from raw.dfe_files where file_name = 'neighbours.xlsx'"
    ).fetchone()
    assert status == "set_aside"
    assert "file name must give the model year" in message and "neighbours.xlsx" in message


@pytest.mark.real_data
def test_loading_a_folder_again_replaces_rather_than_appends(shared_dfe, tmp_path, connection):
    folder = tmp_path / "benchmarks"
    folder.mkdir()
    shutil.copyfile(shared_dfe / "reference" / "region_la_hierarchy.csv", folder / "regions.csv")
    shutil.copyfile(shared_dfe / "ehcp_2022" / "sen2_mi.csv", folder / "sen2.csv")

    load_published_folder(connection, folder)
    first = {
        table: connection.execute(f"select count(*) from raw.{table}").fetchone()[0]
        for table in ("dfe_region_la_hierarchy", "dfe_ehcp_timeliness", "dfe_ehcp_requests")
    }
    load_published_folder(connection, folder)

    for table, count in first.items():
        assert connection.execute(f"select count(*) from raw.{table}").fetchone()[0] == count, table
    # one row per file and table it fed: regions (1) and SEN2 MI (2)
    assert connection.execute("select count(*) from raw.dfe_files").fetchone()[0] == 3


# --- hand-made files -------------------------------------------------------------------------


def test_unknown_header_is_reported_with_its_column_names(tmp_path, connection):
    folder = tmp_path / "benchmarks"
    folder.mkdir()
    path = folder / "mystery.csv"
    path.write_text("la_name,widgets_made,Widget Colour\nCamden,3,blue\n", encoding="utf-8")

    files = load_published_folder(connection, folder)

    [published] = files
    assert not published.recognised
    assert published.layouts == ()
    assert published.header == ["la_name", "widgets_made", "widget colour"]
    # la_name belongs to known layouts; the message names the columns no layout knows
    assert published.message == (
        f"{path}: layout not recognised; columns not in any known DfE layout: widgets_made, widget colour"
    )
    assert connection.execute("select file_path, layout, rows_loaded, message from raw.dfe_files").fetchall() == [
        (str(path), None, 0, published.message.replace(f"{folder}/", ""))
    ]


def test_file_with_only_known_column_names_but_no_layout_is_still_reported(tmp_path, connection):
    folder = tmp_path / "benchmarks"
    folder.mkdir()
    path = folder / "partial.csv"
    path.write_text("region_code,region_name,la_name\nE12000001,North East,Durham\n", encoding="utf-8")

    [published] = load_published_folder(connection, folder)

    assert not published.recognised
    assert published.message == f"{path}: layout not recognised; columns not in any known DfE layout: (none)"
    assert connection.execute("select count(*) from raw.dfe_region_la_hierarchy").fetchone()[0] == 0


@pytest.mark.parametrize("bom", [False, True], ids=["no-bom", "bom"])
def test_byte_order_mark_does_not_hide_the_layout(tmp_path, connection, bom):
    folder = tmp_path / "benchmarks"
    folder.mkdir()
    path = folder / "regions.csv"
    text = "\n".join([REGION_HEADER, *REGION_ROWS]) + "\n"
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8"))

    [published] = load_published_folder(connection, folder)

    assert published.recognised
    assert [layout.table for layout in published.layouts] == ["dfe_region_la_hierarchy"]
    assert published.header[0] == "region_code"
    assert connection.execute(
        "select release, release_year, region_code, region_name, old_la_code, la_name, new_la_code "
        "from raw.dfe_region_la_hierarchy order by old_la_code"
    ).fetchall() == [
        ("reference", None, "E12000007", "London", "202", "Camden", "E09000007"),
        ("reference", None, "E12000001", "North East", "840", "County Durham", "E06000047"),
    ]


def test_mixed_case_published_columns_are_matched(tmp_path, connection):
    folder = tmp_path / "benchmarks"
    folder.mkdir()
    path = folder / "Regions.CSV.csv"
    path.write_text(
        "Region_Code,REGION_NAME,old_la_code,La_Name,new_la_code\n" + REGION_ROWS[0] + "\n", encoding="utf-8"
    )

    assert [layout.table for layout in recognise(path).layouts] == ["dfe_region_la_hierarchy"]
    load_published_folder(connection, folder)

    assert connection.execute("select region_code, la_name from raw.dfe_region_la_hierarchy").fetchall() == [
        ("E12000001", "County Durham")
    ]


def test_camel_case_sen2_header_feeds_two_tables(tmp_path, connection):
    folder = tmp_path / "benchmarks"
    folder.mkdir()
    path = folder / "sen2 extract.csv"
    geography = "time_period,time_identifier,geographic_level,country_code,country_name,region_code,region_name,old_la_code,new_la_code,la_name"
    header = (
        geography
        + ",InreqEHC,AssRefusedEHC,AssRefusedEHC_pc,TotIncExcEHC,IncExc20weekEHC,IncExc20weekRate,TotNoExcEHC,NoExc20weekEHC,NoExc20weekRate"
    )
    row = "2016,Calendar year,National,E92000001,England,,,,,,100,20,20.0,50,25,50.0,40,30,75.0"
    path.write_text(header + "\n" + row + "\n", encoding="utf-8")

    [published] = load_published_folder(connection, folder)

    assert [layout.table for layout in published.layouts] == ["dfe_ehcp_timeliness", "dfe_ehcp_requests"]
    assert connection.execute(
        "select release, release_year, breakdown, plans_issued_den_ex, plans_issued_20_weeks_ex, "
        "pc_plans_issued_20_weeks_ex, pc_plans_issued_within_20_weeks from raw.dfe_ehcp_timeliness"
    ).fetchall() == [("dfe_sen2_2017", 2017, "All EHC plans issued", "40", "30", "75.0", "50.0")]
    assert connection.execute(
        "select release, requests_received_in_year, requests_decided_not_to_assess, request_not_assess_pc, "
        "request_outcome_six_weeks_pc from raw.dfe_ehcp_requests"
    ).fetchall() == [("dfe_sen2_2017", "100", "20", "20.0", "x")]
