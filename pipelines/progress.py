"""Progress in the terminal for `sendkpi materialise`: which step, how far, how long.

A Dagster logger the command line adds to its run (the UI and the daemon show their own
progress): one line when a step starts, finishes (with its time) or fails. Inside the dbt
step, dbt prints its own "N of M" line per model and test.
"""

from __future__ import annotations

import logging
import sys
import time

import dagster as dg


def step_progress_line(event_type: str, step_key: str, elapsed_seconds: float | None) -> str | None:
    """The terminal line for a step event, or None for events that are not progress."""
    if event_type == "STEP_START":
        return f"  started   {step_key}"
    if event_type == "STEP_SUCCESS":
        return f"  finished  {step_key}" + (f" ({elapsed_seconds:.1f} s)" if elapsed_seconds is not None else "")
    if event_type == "STEP_FAILURE":
        return f"  FAILED    {step_key}"
    return None


class _ProgressHandler(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self._started: dict[str, float] = {}

    def emit(self, record: logging.LogRecord) -> None:
        meta = getattr(record, "dagster_meta", None) or {}
        event = meta.get("dagster_event")
        step_key = meta.get("step_key") or ""
        if event is None:
            return
        if event.event_type_value == "STEP_START":
            self._started[step_key] = time.monotonic()
        started = self._started.get(step_key)
        line = step_progress_line(
            event.event_type_value, step_key, time.monotonic() - started if started is not None else None
        )
        if line:
            print(line, file=sys.stderr, flush=True)


@dg.logger(description="Progress for the terminal: steps started, finished and failed.")
def terminal_progress_logger(_init_context) -> logging.Logger:
    logger = logging.getLogger("sendkpi.progress")
    logger.setLevel(logging.DEBUG)
    logger.handlers = [_ProgressHandler()]
    logger.propagate = False
    return logger
