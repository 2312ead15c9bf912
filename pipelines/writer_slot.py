"""One writer of the build warehouse at a time, whichever process runs it.

DuckDB lets one process write a database file: a second writer fails on the file's lock. The
service's queued run coordinator launches one warehouse run at a time (dagster.yaml), but a
run started in process (`sendkpi materialise`, `make demo`, a run launched beside the
service) does not pass through that queue. Every run that uses the warehouse holds this slot
from start to end (pipelines/resources.py), so a second run, wherever it started, waits its
turn with a message naming the run it waits for, instead of failing on DuckDB's lock.

The slot is an exclusive `flock` on a file beside the build warehouse: the operating system
releases it when its holder ends, however it ends (a killed run never leaves it taken).
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path


def writer_slot_path(build_warehouse_path: Path) -> Path:
    return build_warehouse_path.with_name(f"{build_warehouse_path.stem}.writer.lock")


@contextmanager
def writer_slot(build_warehouse_path: Path, holder: str, on_wait: Callable[[str], None]) -> Iterator[None]:
    """Hold the build warehouse's writer slot; if another run holds it, call `on_wait` with who
    does, then wait until it is free. `holder` names this run to the next one that waits."""
    path = writer_slot_path(build_warehouse_path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a+", encoding="utf-8") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            current = handle.read().strip() or "another run"
            on_wait(f"The warehouse is being written by {current}: this run waits for it to finish.")
            fcntl.flock(handle, fcntl.LOCK_EX)
        handle.seek(0)
        handle.truncate()
        handle.write(f"{holder} (process {os.getpid()}, since {datetime.now(UTC):%Y-%m-%d %H:%M:%S} UTC)")
        handle.flush()
        try:
            yield
        finally:
            handle.seek(0)
            handle.truncate()
            handle.flush()
            fcntl.flock(handle, fcntl.LOCK_UN)
