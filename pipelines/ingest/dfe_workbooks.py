"""DfE workbooks: the table sits below title rows, and headers may repeat (SN1, SNP, SN2, SNP)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pandas as pd

HEADER_SEARCH_ROWS = 20


def _normalise(cells: list[object]) -> list[str]:
    """Lower-case, underscores; a repeated name takes the previous column's name as prefix
    ("SN1", "SNP" -> "sn1", "sn1_snp"), so closeness columns stay tied to their neighbour."""
    plain = [str(cell).strip().lower().replace(" ", "_") if pd.notna(cell) else "" for cell in cells]
    repeated = {name for name in plain if name and plain.count(name) > 1}
    return [
        f"{plain[position - 1]}_{name}" if name in repeated and position > 0 else name
        for position, name in enumerate(plain)
    ]


def read_workbook_rows(path: Path, is_header: Callable[[set[str]], bool]) -> pd.DataFrame | None:
    """The first sheet's table as text, starting below the first row `is_header` accepts;
    None when no row in the first rows is such a header. Empty rows are dropped; the index
    keeps each row's place in the sheet (0 = the sheet's first row), so row numbers can be
    reported as Excel shows them."""
    sheet = pd.read_excel(path, sheet_name=0, header=None, dtype=str, keep_default_na=False, na_values=[""])
    for position in range(min(HEADER_SEARCH_ROWS, len(sheet))):
        names = _normalise(list(sheet.iloc[position]))
        if is_header(set(names)):
            table = sheet.iloc[position + 1 :].copy()
            table.columns = names
            table = table.loc[:, [name != "" for name in names]]
            return table.dropna(how="all")
    return None
