"""Files generated from the contracts (schemas/): the column tables of docs/extracts.md and
docs/dsg.md, and the dbt sources of the input tables with their tests.

`sendkpi docs` rewrites them; `sendkpi docs --check` (and tests/test_contracts.py) fails when
a committed file differs from what the contracts give, so a column is added in one place.
In the docs, each table sits between `<!-- contract: NAME -->` and `<!-- end contract: NAME -->`;
the text around it is written by hand.
"""

from __future__ import annotations

import re
from pathlib import Path

from pipelines.settings import PROJECT_ROOT
from schemas import CONTRACTS, EXTRACTS, RETURN_FOLDERS
from schemas.contract import Column, Contract

DOCS = [PROJECT_ROOT / "docs" / "extracts.md", PROJECT_ROOT / "docs" / "dsg.md"]
DBT_SOURCES = PROJECT_ROOT / "dbt_project" / "models" / "staging" / "_contract_sources.yml"


def _codes(column: Column) -> str:
    return ", ".join(f"`{code}`" for code in column.codes)


def _allowed(contract: Contract, column: Column) -> str:
    """The 'allowed values' cell: the code list or range the rules enforce, with the notes."""
    if column.codes:
        rule = _codes(column)
    elif column.low is not None and column.high is not None:
        rule = f"{column.low} to {column.high}"
    else:
        rule = "; ".join(check.name for check in column.checks)
    if column.name in contract.key and contract.is_case_extract and not column.doc_allowed:
        rule = "unique within the file"
    note = column.doc_allowed
    if "{codes}" in note:
        return note.replace("{codes}", rule)
    return "; ".join(part for part in (rule, note) if part)


def _required(column: Column) -> str:
    return column.doc_required or ("yes" if column.required else "no")


def docs_table(contract: Contract) -> str:
    if contract.is_case_extract:
        lines = [
            "| column | type | required | allowed values | meaning | used by |",
            "| --- | --- | --- | --- | --- | --- |",
        ]
        lines += [
            f"| {c.name} | {c.doc_type} | {_required(c)} | {_allowed(contract, c)} | {c.meaning} | {c.used_by} |"
            for c in contract.fields
        ]
    else:
        lines = ["| column | type | required | allowed values | meaning |", "| --- | --- | --- | --- | --- |"]
        lines += [
            f"| {c.name} | {c.doc_type} | {_required(c)} | {_allowed(contract, c)} | {c.meaning} |"
            for c in contract.fields
        ]
    key = ", ".join(f"`{name}`" for name in contract.key)
    scope = "within the file" if contract.is_case_extract else "across the folder"
    lines += ["", f"Key: {key}, unique {scope}."]
    rules = [rule.check_name for rule in contract.row_rules]
    if rules:
        lines += ["", "Row rules (a row breaking one is quarantined):", *(f"- {name}" for name in rules)]
    if contract.dates_must_not_follow_period_end:
        dates = ", ".join(f"`{name}`" for name in contract.dates_must_not_follow_period_end)
        lines += [f"- {dates}: not after the file's quarter end"]
    if contract.notes:
        lines += ["", contract.notes]
    return "\n".join(lines)


def _block(name: str) -> re.Pattern:
    return re.compile(rf"(<!-- contract: {name} -->).*?(<!-- end contract: {name} -->)", re.DOTALL)


def render_docs(text: str) -> str:
    """The document with every contract table it holds regenerated."""
    for name, contract in CONTRACTS.items():
        table = docs_table(contract)
        text = _block(name).sub(lambda match, table=table: f"{match.group(1)}\n{table}\n{match.group(2)}", text)
    return text


def _yaml_list(values: tuple[str, ...]) -> str:
    return "[" + ", ".join('"' + value + '"' for value in values) + "]"


def _source_table(contract: Contract) -> list[str]:
    lines = [
        f"      - name: {contract.name}",
        "        description: >",
        f"          {contract.description} (schemas/{contract.folder if contract.is_case_extract else contract.name}.py;",
        f"          every load kept{': the current load of a quarter is chosen through load_log' if contract.is_case_extract else ''}).",
        "        columns:",
    ]
    for column in contract.fields:
        tests = (["not_null"] if column.required else []) + (
            [f"accepted_values: {{arguments: {{values: {_yaml_list(column.codes)}}}}}"] if column.codes else []
        )
        lines.append(f"          - name: {column.name}")
        lines.append(f'            description: "{column.meaning.replace(chr(34), chr(39))}"')
        if tests:
            lines.append("            data_tests:")
            lines += [f"              - {test}" for test in tests]
    return lines


def dbt_sources_yaml() -> str:
    """The dbt source of every input table, one test per required column and code list."""
    contracts = [*EXTRACTS.values(), *(layout for folder in RETURN_FOLDERS for layout in folder.layouts)]
    lines = [
        "# Generated from the contracts in schemas/ by `sendkpi docs`: do not edit by hand.",
        "version: 2",
        "",
        "sources:",
        "  - name: raw",
        "    schema: raw",
        "    tables:",
    ]
    for contract in contracts:
        lines += _source_table(contract)
    return "\n".join(lines) + "\n"


def generated_files() -> dict[Path, str]:
    """Every generated file and the text the contracts give it."""
    files = {path: render_docs(path.read_text(encoding="utf-8")) for path in DOCS}
    files[DBT_SOURCES] = dbt_sources_yaml()
    return files


def stale_files() -> list[Path]:
    return [
        path
        for path, text in generated_files().items()
        if not path.exists() or path.read_text(encoding="utf-8") != text
    ]


def write_generated_files() -> list[Path]:
    written = []
    for path, text in generated_files().items():
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
            written.append(path)
    return written
