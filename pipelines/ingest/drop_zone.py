"""Every entry under raw/ is loaded, rejected, or reported as ignored with its reason.

`survey(raw_dir)` walks the drop zone once and says, for each extract and returns folder,
which files the loaders read, and for everything else why it is not read:
- rejected (recorded in raw.load_log like any rejected file, so analysts see it in
  marts.extract_load_summary): a file in an extract folder that is not CSV or .xlsx (an old
  .xls workbook, a .txt export), a link to a missing file, a link to a file outside raw/
  (not followed), an extract or returns folder that is a file;
- ignored (named in the run report): hidden files (.gitkeep), Excel lock files (~$...),
  sub-folders (also a folder named like a file), folders under raw/ that are no extract or
  return, files directly in raw/, and the fetched DfE downloads (raw/benchmarks/).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from pipelines.ingest.files import EXTRACT_SUFFIXES
from schemas import EXTRACTS, RETURN_FOLDERS

FETCHED_BENCHMARKS = "benchmarks"  # `sendkpi benchmarks fetch` writes DfE's files here


@dataclass(frozen=True)
class Notice:
    """An entry of the drop zone that is not read, and why. `folder`: the extract or returns
    folder it is in (None: directly under raw/); `rejected`: recorded as a rejected file."""

    path: Path
    folder: str | None
    reason: str
    rule: str | None = None  # set when the entry is rejected: the file-level rule it breaks

    @property
    def rejected(self) -> bool:
        return self.rule is not None


@dataclass
class Survey:
    files: dict[str, list[Path]] = field(default_factory=dict)  # folder -> files to read
    notices: list[Notice] = field(default_factory=list)

    def notices_in(self, folder: str | None) -> list[Notice]:
        return [notice for notice in self.notices if notice.folder == folder]


def _outside(path: Path, raw_dir: Path) -> bool:
    try:
        path.resolve().relative_to(raw_dir.resolve())
    except ValueError:
        return True
    return False


def _link_problem(path: Path, raw_dir: Path) -> tuple[str, str] | None:
    """(rule, reason) when the entry is a link that is not followed."""
    if not path.is_symlink():
        return None
    if not path.exists():
        return "broken link", "a link to a file that does not exist"
    if _outside(path, raw_dir):
        return "link outside raw/", "a link to a file outside raw/ is not followed (copy the file into the folder)"
    return None


def classify(path: Path, folder: str, raw_dir: Path) -> tuple[bool, Notice | None]:
    """(read it?, else why not) for one entry of an extract or returns folder."""
    name = path.name
    if name.startswith("~$"):
        return False, Notice(path, folder, "an Excel lock file (the workbook is open in Excel): ignored")
    if name.startswith("."):
        return False, Notice(path, folder, "a hidden file: ignored")
    problem = _link_problem(path, raw_dir)
    if problem:
        return False, Notice(path, folder, problem[1], problem[0])
    if path.is_dir():
        return False, Notice(path, folder, "a folder: sub-folders are not read (put its files in the folder itself)")
    if not path.is_file():
        return False, Notice(path, folder, "not a regular file: ignored")
    suffix = path.suffix.lower()
    if suffix in EXTRACT_SUFFIXES:
        return True, None
    if suffix == ".xls":
        reason = "an old Excel workbook (.xls): save it as .xlsx or CSV"
    else:
        reason = f"not a CSV or .xlsx file ({suffix or 'no extension'}): save it as CSV or .xlsx"
    return False, Notice(path, folder, reason, "not a CSV or .xlsx file")


def _folder(path: Path, folder: str, raw_dir: Path, survey: Survey) -> None:
    survey.files[folder] = []
    if not path.exists() and not path.is_symlink():
        return
    problem = _link_problem(path, raw_dir)
    if problem:
        survey.notices.append(Notice(path, folder, f"{problem[1]} (nothing of {folder} was read)", problem[0]))
        return
    if not path.is_dir():
        survey.notices.append(
            Notice(
                path,
                folder,
                f"raw/{folder} is a file, not a folder: the files go in raw/{folder}/ (nothing of {folder} was read)",
                "not a folder",
            )
        )
        return
    for entry in sorted(path.iterdir()):
        read, notice = classify(entry, folder, raw_dir)
        if read:
            survey.files[folder].append(entry)
        elif notice:
            survey.notices.append(notice)


def survey(raw_dir: Path) -> Survey:
    found = Survey()
    folders = [*EXTRACTS, *(returns.folder for returns in RETURN_FOLDERS)]
    for folder in folders:
        _folder(raw_dir / folder, folder, raw_dir, found)
    if not raw_dir.is_dir():
        return found
    for entry in sorted(raw_dir.iterdir()):
        if entry.name in folders:
            continue
        if entry.name == FETCHED_BENCHMARKS and entry.is_dir():
            reason = (
                "DfE files fetched by `sendkpi benchmarks fetch`: read as benchmarks when benchmarks_dir points here"
            )
        elif entry.name.startswith("."):
            reason = "a hidden file: ignored"
        elif entry.is_dir():
            reason = f"not an extract or returns folder (they are: {', '.join(folders)})"
        else:
            reason = "not in an extract or returns folder: ignored"
        found.notices.append(Notice(entry, None, reason))
    return found
