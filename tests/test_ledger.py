"""The load ledger: files known by extract, quarter and content; which load is current; held
replacements and accepting them; undoing a wrong correction.

Every file is hand-made (tests/extract_helpers.py), loaded into a DuckDB file in tmp_path.
The quarter is 2023-24 Q2 (1 July - 30 September 2023) unless a test says otherwise.
"""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from pipelines.ingest.extracts import LoadPolicy, accept_held, load_extract_file, load_extract_folder
from schemas import EXTRACTS
from tests.extract_helpers import KEY, Q2, count, load_log, write_csv

HEADER = "advice_request_id,request_id,advice_type,advice_requested_date,advice_received_date"
# Open in 2023-24 Q2 and in Q3: valid in a file of either quarter.
OPEN_ACROSS = [f"ADV-{n:04d},REQ-{n:04d},health,2023-06-{n % 28 + 1:02d}," for n in range(1, 21)]
SPEC = EXTRACTS["advice_requests"]


def _write(folder: Path, name: str, rows: list[str]) -> Path:
    return write_csv(folder, name, [HEADER, *rows])


def _current(connection, period: str = Q2) -> list[tuple]:
    return connection.execute(
        "select file_name, file_sha256 from raw.load_log where extract = 'advice_requests' and source_period = ? "
        "and status = 'current'",
        [period],
    ).fetchall()


def _statuses(connection) -> dict[str, str]:
    return {entry["load_id"]: entry["status"] for entry in load_log(connection)}


DEFAULT_POLICY = LoadPolicy()


def _folder_run(connection, folder: Path, policy: LoadPolicy = DEFAULT_POLICY):
    return {o.path.name: o for o in load_extract_folder(connection, SPEC, folder, KEY, policy=policy)}


def test_byte_identical_files_for_two_quarters_load_both(tmp_path, warehouse):
    folder = tmp_path / "advice_requests"
    q2 = _write(folder, f"advice_{Q2}.csv", OPEN_ACROSS)
    q3 = folder / "advice_2023-24_Q3.csv"
    q3.write_bytes(q2.read_bytes())

    outcomes = _folder_run(warehouse, folder)

    assert {name: o.status for name, o in outcomes.items()} == {q2.name: "loaded", q3.name: "loaded"}
    assert warehouse.execute(
        "select source_period, count(*) from raw.advice_requests group by 1 order by 1"
    ).fetchall() == [(Q2, 20), ("2023-24_Q3", 20)]
    assert _current(warehouse, Q2)[0][0] == q2.name and _current(warehouse, "2023-24_Q3")[0][0] == q3.name


def test_a_then_a_wrong_b_then_a_again_leaves_a_current_with_b_in_history(tmp_path, warehouse):
    folder = tmp_path / "advice_requests"
    path = folder / f"advice_{Q2}.csv"
    a_rows, b_rows = OPEN_ACROSS, OPEN_ACROSS[:19] + ["ADV-0099,REQ-0099,other,2023-07-05,"]

    _write(folder, path.name, a_rows)
    first = _folder_run(warehouse, folder)[path.name]
    a_sha = _current(warehouse)[0][1]
    _write(folder, path.name, b_rows)  # the wrong correction, saved over the file
    second = _folder_run(warehouse, folder)[path.name]
    _write(folder, path.name, a_rows)  # the original put back
    third = _folder_run(warehouse, folder)[path.name]
    again = _folder_run(warehouse, folder)[path.name]

    assert (first.status, second.status, third.status, again.status) == ("loaded", "loaded", "restored", "unchanged")
    assert _current(warehouse) == [(path.name, a_sha)]
    log = {entry["file_sha256"]: entry for entry in load_log(warehouse)}
    [b_entry] = [entry for sha, entry in log.items() if sha != a_sha]
    assert b_entry["status"] == "superseded" and b_entry["superseded_by"] == log[a_sha]["load_id"]
    # Both loads' rows are kept; each was read once.
    assert warehouse.execute(
        "select load_id, count(*) from raw.advice_requests group by 1 order by 2"
    ).fetchall() == sorted([(log[a_sha]["load_id"], 20), (b_entry["load_id"], 20)], key=lambda r: r[1])
    assert [
        e[0]
        for e in warehouse.execute(
            "select event from raw.load_events where load_id = ? order by happened_at", [log[a_sha]["load_id"]]
        ).fetchall()
    ] == ["loaded", "current", "superseded", "restored"]


def test_removing_a_wrong_correction_makes_the_earlier_file_current_again(tmp_path, warehouse):
    folder = tmp_path / "advice_requests"
    original = _write(folder, f"advice_{Q2}.csv", OPEN_ACROSS)
    _folder_run(warehouse, folder)
    correction = _write(folder, f"advice_{Q2}_v2.csv", OPEN_ACROSS[:18] + ["ADV-0099,REQ-0099,other,2023-07-05,"])
    assert _folder_run(warehouse, folder)[correction.name].status == "loaded"
    assert _current(warehouse)[0][0] == correction.name

    correction.unlink()
    outcomes = _folder_run(warehouse, folder)

    assert outcomes[original.name].status == "restored"
    assert "no longer in the folder" in outcomes[original.name].message
    assert _current(warehouse)[0][0] == original.name
    assert sorted(_statuses(warehouse).values()) == ["current", "superseded"]


def test_loading_an_earlier_file_again_by_hand_restores_it(tmp_path, warehouse):
    folder = tmp_path / "advice_requests"
    original = _write(folder, f"advice_{Q2}.csv", OPEN_ACROSS)
    load_extract_file(warehouse, SPEC, original, KEY)
    load_extract_file(warehouse, SPEC, _write(folder, f"advice_{Q2}_v2.csv", OPEN_ACROSS[:19]), KEY)

    outcome = load_extract_file(warehouse, SPEC, original, KEY)

    assert outcome.status == "restored"
    assert _current(warehouse)[0][0] == original.name
    assert count(warehouse, "raw.advice_requests") == 39  # nothing read twice


def test_the_same_file_twice_for_one_quarter_changes_nothing(tmp_path, warehouse):
    folder = tmp_path / "advice_requests"
    _write(folder, f"advice_{Q2}.csv", OPEN_ACROSS)
    _folder_run(warehouse, folder)
    before = (load_log(warehouse), count(warehouse, "raw.advice_requests"), count(warehouse, "raw.load_events"))
    (folder / f"advice_{Q2} (copy).csv").write_bytes((folder / f"advice_{Q2}.csv").read_bytes())

    outcomes = _folder_run(warehouse, folder)

    assert {o.status for o in outcomes.values()} == {"unchanged"}
    assert (load_log(warehouse), count(warehouse, "raw.advice_requests"), count(warehouse, "raw.load_events")) == before


# --- held replacements ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kept", "status"),
    # 20 cases, default max_case_loss_pct 25: losing 5 (25%) is allowed, losing 6 (30%) is held.
    [(15, "loaded"), (14, "held")],
)
def test_a_replacement_losing_too_many_cases_is_held_back(tmp_path, warehouse, kept, status):
    folder = tmp_path / "advice_requests"
    original = _write(folder, f"advice_{Q2}.csv", OPEN_ACROSS)
    _folder_run(warehouse, folder)
    original.unlink()
    shorter = _write(folder, f"advice_{Q2}_v2.csv", OPEN_ACROSS[:kept])

    outcome = _folder_run(warehouse, folder)[shorter.name]

    assert outcome.status == status
    assert (outcome.rows_in_file, outcome.rows_loaded, outcome.rows_quarantined) == (kept, kept, 0)
    if status == "held":
        assert f"drop {100 * (20 - kept) // 20}% of the cases" in outcome.message
        assert "sendkpi accept" in outcome.message
        assert _current(warehouse)[0][0] == original.name
        # the held file's rows are stored, ready to be accepted, and never current meanwhile
        assert _statuses(warehouse) == {
            f"advice_requests:{Q2}:{_current(warehouse)[0][1][:16]}": "current",
            next(k for k, v in _statuses(warehouse).items() if v == "held"): "held",
        }
    else:
        assert _current(warehouse)[0][0] == shorter.name


@pytest.mark.parametrize(("bad", "status"), [(10, "loaded"), (11, "held")])
def test_a_file_mostly_quarantined_is_held_back(tmp_path, warehouse, bad, status):
    """20 rows; default max_quarantined_pct 50: 10 bad rows load, 11 are held back (a first load too)."""
    folder = tmp_path / "advice_requests"
    rows = [row.replace("health", "dentistry") if n < bad else row for n, row in enumerate(OPEN_ACROSS)]
    path = _write(folder, f"advice_{Q2}.csv", rows)

    outcome = _folder_run(warehouse, folder)[path.name]

    assert outcome.status == status
    assert (outcome.rows_loaded, outcome.rows_quarantined) == (20 - bad, bad)
    assert count(warehouse, "raw.quarantine") == bad
    assert len(_current(warehouse)) == (1 if status == "loaded" else 0)
    if status == "held":
        assert f"{bad} of 20 rows ({100 * bad // 20}%) would be quarantined" in outcome.message


def test_a_held_load_is_accepted_deliberately(tmp_path, warehouse):
    folder = tmp_path / "advice_requests"
    original = _write(folder, f"advice_{Q2}.csv", OPEN_ACROSS)
    _folder_run(warehouse, folder)
    shorter = _write(folder, f"advice_{Q2}_v2.csv", OPEN_ACROSS[:5])
    assert _folder_run(warehouse, folder)[shorter.name].status == "held"
    assert _folder_run(warehouse, folder)[shorter.name].status == "unchanged"  # still held, not loaded again

    message = accept_held(warehouse, SPEC, shorter)

    assert message.startswith(f"{shorter.name}: accepted as the current load of {Q2}")
    assert _current(warehouse)[0][0] == shorter.name
    assert sorted(_statuses(warehouse).values()) == ["current", "superseded"]
    assert {o.status for o in _folder_run(warehouse, folder).values()} == {"unchanged"}
    with pytest.raises(LookupError, match="no held load"):
        accept_held(warehouse, SPEC, original)


def test_sendkpi_accept_waits_while_a_run_writes_the_warehouse(tmp_path, capsys):
    """`sendkpi accept` writes the ledger: it takes the writer slot every run holds, so a run
    writing the warehouse finishes first (its dbt would otherwise fail on DuckDB's lock)."""
    from pipelines.cli import accept
    from pipelines.settings import Settings
    from pipelines.warehouse import connect, ensure_raw_tables
    from pipelines.writer_slot import writer_slot

    settings = Settings(
        home_la="990",
        data_dir=tmp_path / "data",
        benchmarks_dir=tmp_path / "benchmarks",
        sn_model="2025",
        small_count_threshold=5,
        pseudonymisation_key=None,
    )
    folder = settings.raw_dir / "advice_requests"
    _write(folder, f"advice_{Q2}.csv", OPEN_ACROSS)
    with connect(settings.build_warehouse_path) as connection:
        ensure_raw_tables(connection, list(EXTRACTS.values()))
        _folder_run(connection, folder)
        shorter = _write(folder, f"advice_{Q2}_v2.csv", OPEN_ACROSS[:5])
        assert _folder_run(connection, folder)[shorter.name].status == "held"

    holding, finish = threading.Event(), threading.Event()

    def a_run_writing_the_warehouse() -> None:
        with writer_slot(settings.build_warehouse_path, "run 0123abcd", print):
            holding.set()
            finish.wait(60)

    run = threading.Thread(target=a_run_writing_the_warehouse)
    run.start()
    assert holding.wait(60)
    threading.Timer(2.0, finish.set).start()
    code = accept(settings, shorter, "advice_requests")
    run.join()

    assert code == 0
    assert "The warehouse is being written by run 0123abcd" in capsys.readouterr().err
    with connect(settings.build_warehouse_path, read_only=True) as connection:
        assert _current(connection)[0][0] == shorter.name


def test_thresholds_are_settings(tmp_path, warehouse):
    folder = tmp_path / "advice_requests"
    original = _write(folder, f"advice_{Q2}.csv", OPEN_ACROSS)
    _folder_run(warehouse, folder)
    original.unlink()
    shorter = _write(folder, f"advice_{Q2}_v2.csv", OPEN_ACROSS[:5])

    outcome = _folder_run(warehouse, folder, LoadPolicy(max_case_loss_pct=100))[shorter.name]

    assert outcome.status == "loaded"
