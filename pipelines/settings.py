"""Settings: one home for every knob, read from sendkpi.toml with environment overrides.

Precedence: environment variable SENDKPI_<KEY> > sendkpi.toml > the defaults below.
Paths are made absolute here once, because DuckDB and dbt resolve relative paths against
their own working directory, which is not always ours.
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from pipelines.periods import FinancialQuarter

PROJECT_ROOT = Path(__file__).resolve().parents[1]
CONFIG_FILE = PROJECT_ROOT / "sendkpi.toml"

# The demo key is deliberately public: it only ever pseudonymises the synthetic sample.
DEMO_PSEUDONYMISATION_KEY = "DEMO-KEY-NOT-SECRET-synthetic-sample-only"

_DEFAULTS = {
    "home_la": "990",
    "data_dir": "data",
    "benchmarks_dir": "",
    "sn_model": "2025",
    "small_count_threshold": 5,
    "pseudonymisation_key_file": "",
    "first_quarter": "2014-15_Q1",
}

# DfE's explore education statistics public API, version 1 (`sendkpi benchmarks fetch`).
DEFAULT_EES_API_URL = "https://api.education.gov.uk/statistics/v1"


class SettingsError(RuntimeError):
    """A setting is missing or invalid; the message says which and how to fix it."""


@dataclass(frozen=True)
class FetchSettings:
    """The [fetch] section: where `sendkpi benchmarks fetch` downloads DfE's releases from."""

    ees_api_url: str = DEFAULT_EES_API_URL
    timeout_seconds: int = 60
    # data set name -> EES API data set id
    data_sets: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Settings:
    home_la: str
    data_dir: Path
    benchmarks_dir: Path
    sn_model: str
    small_count_threshold: int
    pseudonymisation_key: str | None
    first_quarter: str = "2014-15_Q1"
    fetch: FetchSettings = field(default_factory=FetchSettings)

    @property
    def raw_dir(self) -> Path:
        return self.data_dir / "raw"

    @property
    def fetched_benchmarks_dir(self) -> Path:
        """Where `sendkpi benchmarks fetch` writes DfE's releases and their provenance."""
        return self.raw_dir / "benchmarks"

    @property
    def marts_dir(self) -> Path:
        return self.data_dir / "marts"

    @property
    def warehouse_path(self) -> Path:
        """The published warehouse users read; replaced in one step by publishing."""
        return self.data_dir / "warehouse.duckdb"

    @property
    def build_dir(self) -> Path:
        """Private to the pipeline: the warehouse being built and its load history."""
        return self.data_dir / "build"

    @property
    def build_warehouse_path(self) -> Path:
        return self.build_dir / "warehouse_build.duckdb"

    @property
    def run_reports_dir(self) -> Path:
        return self.data_dir / "run_reports"

    @property
    def uses_sample_benchmarks(self) -> bool:
        return self.benchmarks_dir == self.data_dir / "sample_benchmarks"


def _read_config_file(path: Path) -> dict:
    if not path.exists():
        return {}
    with path.open("rb") as handle:
        return tomllib.load(handle)


def _resolve_path(value: str, base: Path) -> Path:
    path = Path(value).expanduser()
    return (path if path.is_absolute() else base / path).resolve()


def _read_key(key_file: str, base: Path) -> str | None:
    if os.environ.get("SENDKPI_PSEUDONYMISATION_KEY"):
        return os.environ["SENDKPI_PSEUDONYMISATION_KEY"]
    if not key_file:
        return None
    path = _resolve_path(key_file, base)
    if not path.is_file():
        raise SettingsError(f"pseudonymisation_key_file {path} does not exist")
    key = path.read_text(encoding="utf-8").strip()
    if not key:
        raise SettingsError(f"pseudonymisation_key_file {path} is empty")
    return key


def _whole_number(value: object, name: str) -> int:
    """A positive whole number from TOML (int) or the environment (digits); 5.5 is refused,
    not truncated, and so is 0, which would switch small-count flagging off."""
    text = str(value).strip()
    if isinstance(value, bool) or not text.isdigit() or int(text) < 1:
        raise SettingsError(f"{name} must be a whole number of at least 1, not {value!r}")
    return int(text)


def _fetch_settings(section: object) -> FetchSettings:
    """The [fetch] section; only its API address has an environment override (SENDKPI_EES_API_URL)."""
    if not isinstance(section, dict):
        raise SettingsError("[fetch] must be a table")
    url = str(os.environ.get("SENDKPI_EES_API_URL") or section.get("ees_api_url", DEFAULT_EES_API_URL)).strip()
    if not url.startswith(("https://", "http://")):
        raise SettingsError(f"fetch.ees_api_url must be an http(s) address, not {url!r}")
    data_sets = section.get("data_sets", {})
    if not isinstance(data_sets, dict):
        raise SettingsError("[fetch.data_sets] must be a table of name = \"data set id\"")
    for name, data_set_id in data_sets.items():
        # The name becomes a folder and file name under raw/benchmarks.
        if not re.fullmatch(r"[a-z0-9_]+", name) or not isinstance(data_set_id, str):
            raise SettingsError(f"fetch.data_sets: {name} = {data_set_id!r} must be snake_case name = \"id\"")
    return FetchSettings(
        ees_api_url=url.rstrip("/"),
        timeout_seconds=_whole_number(section.get("timeout_seconds", 60), "fetch.timeout_seconds"),
        data_sets={name: data_set_id.strip() for name, data_set_id in data_sets.items()},
    )


def _quarter_label(value: object) -> str:
    """The first financial quarter extracts are partitioned from, as 2014-15_Q1."""
    found = FinancialQuarter.find_in(str(value))
    if found is None:
        raise SettingsError(f"first_quarter must be a financial quarter like 2014-15_Q1, not {value!r}")
    return found.label


def load_settings(config_file: Path = CONFIG_FILE) -> Settings:
    """Read the settings now (environment variables are looked up on every call)."""
    values = {**_DEFAULTS, **_read_config_file(config_file)}
    fetch = _fetch_settings(values.pop("fetch", {}))
    for key in _DEFAULTS:
        env_value = os.environ.get(f"SENDKPI_{key.upper()}")
        if env_value is not None and env_value != "":
            values[key] = env_value
    base = config_file.parent
    data_dir = _resolve_path(str(values["data_dir"]), base)
    benchmarks_dir = (
        _resolve_path(str(values["benchmarks_dir"]), base)
        if values["benchmarks_dir"]
        else data_dir / "sample_benchmarks"
    )
    threshold = _whole_number(values["small_count_threshold"], "small_count_threshold")
    home_la = str(values["home_la"]).strip()
    if not home_la:
        raise SettingsError("home_la is empty: set SENDKPI_HOME_LA to an old or new LA code")
    return Settings(
        home_la=home_la,
        data_dir=data_dir,
        benchmarks_dir=benchmarks_dir,
        sn_model=str(values["sn_model"]),
        small_count_threshold=threshold,
        pseudonymisation_key=_read_key(str(values["pseudonymisation_key_file"]), base),
        first_quarter=_quarter_label(values["first_quarter"]),
        fetch=fetch,
    )
