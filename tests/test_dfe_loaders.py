"""DfE published files: recognised by their header wherever they sit, loaded as published text.

The real files are read in place from ../shared/data/dfe (the `shared_dfe` fixture skips when
they are absent); only tmp_path receives copies. Hand-made files cover the edge cases.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest

from pipelines.ingest.dfe import load_published_folder, recognise

REGION_HEADER = "region_code,region_name,old_la_code,la_name,new_la_code"
REGION_ROWS = [
    "E12000001,North East,840,County Durham,E06000047",
    "E12000007,London,202,Camden,E09000007",
]


@pytest.fixture
def connection(tmp_path: Path) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    yield con
    con.close()


def _tables_by_file(files) -> dict[str, str | None]:
    return {f.path.name: (f.layout.table if f.layout else None) for f in files}


# --- the real folder -------------------------------------------------------------------------


@pytest.mark.real_data
def test_real_folder_known_layouts_recognised_and_loaded(shared_dfe, connection):
    files = load_published_folder(connection, shared_dfe)

    tables = _tables_by_file(files)
    assert tables["timeliness_20_week.csv"] == "dfe_ehcp_timeliness"
    assert tables["requests.csv"] == "dfe_ehcp_requests"
    assert tables["sn_model_2025_wide.csv"] == "dfe_sn_model_wide"
    assert tables["las.csv"] == "dfe_las"
    assert tables["region_la_hierarchy.csv"] == "dfe_region_la_hierarchy"
    loaded = {
        Path(row[0]).name: row[1:]
        for row in connection.execute(
            "select file_path, canonical_table, release from raw.dfe_files where layout is not null"
        ).fetchall()
    }
    assert loaded == {
        "timeliness_20_week.csv": ("dfe_ehcp_timeliness", "dfe_ehcp_2025"),
        "requests.csv": ("dfe_ehcp_requests", "dfe_ehcp_2025"),
        "sn_model_2025_wide.csv": ("dfe_sn_model_wide", "sn_model_2025"),
        "las.csv": ("dfe_las", "reference"),
        "region_la_hierarchy.csv": ("dfe_region_la_hierarchy", "reference"),
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
        ("reference/sn_model_2025_wide.csv", "dfe_sn_model_wide"),
        ("reference/las.csv", "dfe_las"),
        ("reference/region_la_hierarchy.csv", "dfe_region_la_hierarchy"),
    ]:
        expected = data_lines(relative)
        assert connection.execute(f"select count(*) from raw.{table}").fetchone()[0] == expected, relative
        assert connection.execute(
            "select rows_loaded from raw.dfe_files where file_path = ?", [str(shared_dfe / relative)]
        ).fetchone()[0] == expected


@pytest.mark.real_data
def test_real_folder_unknown_layouts_reported_with_their_columns_not_loaded(shared_dfe, connection):
    files = load_published_folder(connection, shared_dfe)

    unknown = {f.path.name: f.message for f in files if f.layout is None}
    # the older SEN2 MI file (CamelCase columns), and releases the loaders do not know yet
    assert {"sen2_mi.csv", "assessments.csv", "annual_reviews.csv"} <= set(unknown)
    assert "layout not recognised" in unknown["sen2_mi.csv"]
    assert "columns not in any known DfE layout: newallehc, newallehc_pc," in unknown["sen2_mi.csv"]
    assert "assess_in_year" in unknown["assessments.csv"]
    assert "number_decsion_4weeks" in unknown["annual_reviews.csv"]
    for name, message in unknown.items():
        assert message.startswith(str(next(f.path for f in files if f.path.name == name)))
    rows = connection.execute(
        "select file_path, layout, canonical_table, release, rows_loaded, message from raw.dfe_files "
        "where layout is null order by file_path"
    ).fetchall()
    assert {Path(r[0]).name for r in rows} == set(unknown)
    assert all(r[1:5] == (None, None, None, 0) for r in rows)
    assert {Path(r[0]).name: r[5] for r in rows} == unknown
    # nothing of theirs reached a canonical table
    for table in ("dfe_ehcp_timeliness", "dfe_ehcp_requests", "dfe_sn_model_wide", "dfe_las", "dfe_region_la_hierarchy"):
        sources = {Path(r[0]).name for r in connection.execute(f"select distinct source_file from raw.{table}").fetchall()}
        assert not sources & set(unknown), table


@pytest.mark.real_data
def test_england_2023_rate_excluding_exceptions_is_50_3(shared_dfe, connection):
    load_published_folder(connection, shared_dfe)

    rows = connection.execute(
        "select release, pc_plans_issued_20_weeks_ex, pc_plans_issued_within_20_weeks, plans_issued_den_ex "
        "from raw.dfe_ehcp_timeliness where geographic_level = 'National' and time_period = '2023' "
        "and breakdown = 'All EHC plans issued'"
    ).fetchall()

    # From the published file: 38471 of 76506 plans within 20 weeks excluding exceptions = 50.3%.
    assert rows == [("dfe_ehcp_2025", "50.3", "49.1", "76506")]
    assert round(100 * 38471 / 76506, 1) == 50.3


@pytest.mark.real_data
def test_real_file_recognised_by_header_under_any_name_and_folder(shared_dfe, tmp_path, connection):
    folder = tmp_path / "benchmarks"
    copy = folder / "downloads" / "2025" / "ehcp table 3 (final).csv"
    copy.parent.mkdir(parents=True)
    shutil.copyfile(shared_dfe / "ehcp_2025" / "timeliness_20_week.csv", copy)

    files = load_published_folder(connection, folder)

    assert _tables_by_file(files) == {"ehcp table 3 (final).csv": "dfe_ehcp_timeliness"}
    assert connection.execute(
        "select distinct release, source_file from raw.dfe_ehcp_timeliness"
    ).fetchall() == [("dfe_ehcp_2025", str(copy))]
    assert connection.execute(
        "select pc_plans_issued_20_weeks_ex from raw.dfe_ehcp_timeliness where geographic_level = 'National' "
        "and time_period = '2023' and breakdown = 'All EHC plans issued'"
    ).fetchall() == [("50.3",)]


@pytest.mark.real_data
def test_loading_a_folder_again_replaces_rather_than_appends(shared_dfe, tmp_path, connection):
    folder = tmp_path / "benchmarks"
    folder.mkdir()
    shutil.copyfile(shared_dfe / "reference" / "region_la_hierarchy.csv", folder / "regions.csv")

    load_published_folder(connection, folder)
    first = connection.execute("select count(*) from raw.dfe_region_la_hierarchy").fetchone()[0]
    load_published_folder(connection, folder)

    assert connection.execute("select count(*) from raw.dfe_region_la_hierarchy").fetchone()[0] == first
    assert connection.execute("select count(*) from raw.dfe_files").fetchone()[0] == 1


# --- hand-made files -------------------------------------------------------------------------


def test_unknown_header_is_reported_with_its_column_names(tmp_path, connection):
    folder = tmp_path / "benchmarks"
    folder.mkdir()
    path = folder / "mystery.csv"
    path.write_text("la_name,widgets_made,Widget Colour\nCamden,3,blue\n", encoding="utf-8")

    files = load_published_folder(connection, folder)

    [published] = files
    assert published.layout is None
    assert published.header == ["la_name", "widgets_made", "widget colour"]
    # la_name belongs to known layouts; the message names the columns no layout knows
    assert published.message == (
        f"{path}: layout not recognised; columns not in any known DfE layout: widgets_made, widget colour"
    )
    assert connection.execute("select file_path, layout, rows_loaded, message from raw.dfe_files").fetchall() == [
        (str(path), None, 0, published.message)
    ]


def test_file_with_only_known_column_names_but_no_layout_is_still_reported(tmp_path, connection):
    folder = tmp_path / "benchmarks"
    folder.mkdir()
    path = folder / "partial.csv"
    path.write_text("region_code,region_name,la_name\nE12000001,North East,Durham\n", encoding="utf-8")

    [published] = load_published_folder(connection, folder)

    assert published.layout is None
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

    assert published.layout is not None and published.layout.table == "dfe_region_la_hierarchy"
    assert published.header[0] == "region_code"
    assert connection.execute(
        "select release, region_code, region_name, old_la_code, la_name, new_la_code "
        "from raw.dfe_region_la_hierarchy order by old_la_code"
    ).fetchall() == [
        ("reference", "E12000007", "London", "202", "Camden", "E09000007"),
        ("reference", "E12000001", "North East", "840", "County Durham", "E06000047"),
    ]


def test_mixed_case_published_columns_are_matched(tmp_path, connection):
    folder = tmp_path / "benchmarks"
    folder.mkdir()
    path = folder / "Regions.CSV.csv"
    path.write_text("Region_Code,REGION_NAME,old_la_code,La_Name,new_la_code\n" + REGION_ROWS[0] + "\n", encoding="utf-8")

    assert recognise(path).layout.table == "dfe_region_la_hierarchy"
    load_published_folder(connection, folder)

    assert connection.execute("select region_code, la_name from raw.dfe_region_la_hierarchy").fetchall() == [
        ("E12000001", "County Durham")
    ]
