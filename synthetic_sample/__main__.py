"""`python -m synthetic_sample [write | demo | checksums]`, run from the repository root.

write      the sample's extracts into the data folder's raw/ (and its DfE-layout benchmarks
           when no benchmarks folder is set), refusing a folder that holds real extracts
demo       write, then `sendkpi materialise` and `sendkpi scorecard` (what `make demo` runs)
checksums  rewrite pipelines/ingest/bundled_sample_checksums.txt, the list by which the
           product recognises the sample (and lets it run with the public demo key)
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

from pipelines.ingest.files import file_sha256
from pipelines.ingest.keys import BUNDLED_SAMPLE_CHECKSUMS, only_bundled_sample_extracts
from pipelines.settings import Settings, SettingsError, load_settings
from synthetic_sample import SAMPLE_COMPARATOR_GROUPS, write_sample_benchmarks, write_sample_extracts


def write(settings: Settings) -> int:
    if not only_bundled_sample_extracts(settings):
        print(
            f"{settings.raw_dir} holds real extracts: the synthetic sample is not mixed with them. "
            "Run the demo with SENDKPI_DATA_DIR set to another folder.",
            file=sys.stderr,
        )
        return 1
    extracts = write_sample_extracts(settings.raw_dir)
    print(f"Synthetic sample: {len(extracts)} extract files in {settings.raw_dir}")
    if settings.uses_sample_benchmarks:
        benchmarks = write_sample_benchmarks(settings.benchmarks_dir)
        print(f"Synthetic DfE-layout benchmarks: {len(benchmarks)} files in {settings.benchmarks_dir}")
    return 0


def demo(settings: Settings) -> int:
    """The sample, materialised, and its scorecard. On the sample's benchmarks with no
    comparator group set, the sample's own group is used, so the demo shows one."""
    from pipelines.cli import materialise, scorecard

    if settings.uses_sample_benchmarks and not settings.comparator_groups:
        os.environ["SENDKPI_COMPARATOR_GROUPS"] = SAMPLE_COMPARATOR_GROUPS
        print(f"Demo comparator group (synthetic authorities): {SAMPLE_COMPARATOR_GROUPS}")
    return write(settings) or materialise(settings) or scorecard(settings)


def sample_checksums() -> list[tuple[str, str]]:
    """(SHA-256, path relative to raw/) of every extract file the generator writes."""
    with tempfile.TemporaryDirectory() as folder:
        written = write_sample_extracts(Path(folder))
        return sorted(
            ((file_sha256(path), path.relative_to(folder).as_posix()) for path in written), key=lambda row: row[1]
        )


def write_checksums() -> int:
    lines = [f"{checksum}  {path}" for checksum, path in sample_checksums()]
    BUNDLED_SAMPLE_CHECKSUMS.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"{len(lines)} checksums written to {BUNDLED_SAMPLE_CHECKSUMS}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m synthetic_sample", description=__doc__.split("\n\n")[0])
    parser.add_argument("command", nargs="?", default="write", choices=["write", "demo", "checksums"])
    command = parser.parse_args(argv).command
    if command == "checksums":
        return write_checksums()
    try:
        settings = load_settings()
        return demo(settings) if command == "demo" else write(settings)
    except SettingsError as error:
        print(f"Settings: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
