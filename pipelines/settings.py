"""Settings: one home for every knob, read from sendkpi.toml with environment overrides.

Precedence: environment variable SENDKPI_<KEY> > sendkpi.toml > the defaults below.
Paths are made absolute here once, because DuckDB and dbt resolve relative paths against
their own working directory, which is not always ours.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
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
    "max_case_loss_pct": 25,
    "max_quarantined_pct": 50,
    # DuckDB's memory and threads, in the loader and in dbt: past the limit, large
    # intermediates spill to build/duckdb_spill instead of growing the process (docs/performance.md).
    "duckdb_memory_limit": "1GB",
    "duckdb_threads": 2,
    # The trend of each local quarterly KPI is fitted over its last trend_quarters quarters and
    # projected at most trend_horizon_quarters past its latest one (docs/statistics.md).
    "trend_quarters": 8,
    "trend_horizon_quarters": 20,
    # Published sets kept for `sendkpi published rollback` (pipelines/releases.py).
    "published_sets_kept": 5,
}

# The settings tables a run's resource config may also set (pipelines/resources.py): they
# change what a build computes. [fetch] and [notify] belong to the service, not to a run.
RUN_SECTIONS = ("comparator_groups", "dsg")

# The fewest points a straight-line trend with an uncertainty can be fitted to.
MIN_TREND_QUARTERS = 3

# Published counts below this are suppressed: the usual rule for children's data (SEND-KPIS.md,
# "Handling children's data"). The setting may raise the threshold, never lower it.
MIN_SMALL_COUNT_THRESHOLD = 5

# DfE's explore education statistics public API, version 1 (`sendkpi benchmarks fetch`).
DEFAULT_EES_API_URL = "https://api.education.gov.uk/statistics/v1"


class SettingsError(RuntimeError):
    """A setting is missing or invalid; the message says which and how to fix it."""


@dataclass(frozen=True)
class FetchSettings:
    """The [fetch] section: where `sendkpi benchmarks fetch` downloads DfE's releases from."""

    ees_api_url: str = DEFAULT_EES_API_URL
    timeout_seconds: int = 60
    # A slow or failing service is asked again this many times, waiting the back-off, then
    # twice that, and so on (pipelines/fetch.py).
    retries: int = 3
    retry_backoff_seconds: float = 2.0
    # data set name -> EES API data set id
    data_sets: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class NotifySettings:
    """The [notify] section: who hears about a scheduled or sensor-started run that failed or
    published with problems (pipelines/notify.py). Nothing is sent when neither is set."""

    smtp_host: str = ""
    smtp_port: int = 25
    email_from: str = "sendkpi@localhost"
    email_to: tuple[str, ...] = ()
    webhook_url: str = ""
    timeout_seconds: int = 30

    @property
    def sends_email(self) -> bool:
        return bool(self.smtp_host and self.email_to)


@dataclass(frozen=True)
class DsgScenario:
    """A [dsg.scenarios.<name>] table: growth assumptions for the deficit projection, and
    amounts stated for particular years (financial year -> {high_needs_shortfall_gbp_k,
    other_blocks_gbp_k}) that replace the growth rule in those years. GBP thousands."""

    name: str
    high_needs_allocation_growth_pct: float = 0.0
    high_needs_demand_growth_pct: float = 0.0
    savings_gbp_k: float = 0.0
    stated: dict[str, dict[str, float]] = field(default_factory=dict)


DSG_STATED_KEYS = ("high_needs_shortfall_gbp_k", "other_blocks_gbp_k")
# Built in: rolls the latest monitored year's shortfall and other blocks' movement forward.
CURRENT_FORECAST = "current_forecast"


@dataclass(frozen=True)
class DsgSettings:
    """The [dsg] section: the statutory override end date and the projection scenarios."""

    statutory_override_end: date = date(2028, 3, 31)
    projection_years: int = 4
    scenarios: tuple[DsgScenario, ...] = ()
    # The projection reports the year the cumulative deficit first reaches each threshold set.
    deficit_threshold_gbp_k: float | None = None
    deficit_threshold_pct_of_allocation: float | None = None


@dataclass(frozen=True)
class ComparatorGroup:
    """A [comparator_groups] entry: a named set of authorities (old or ONS codes) compared with
    us beside DfE's statistical neighbours. Codes are checked against DfE's reference data in
    the build (an unknown code stops it, naming the group and the code)."""

    name: str
    members: tuple[str, ...]


@dataclass(frozen=True)
class Settings:
    home_la: str
    data_dir: Path
    benchmarks_dir: Path
    sn_model: str
    small_count_threshold: int
    pseudonymisation_key: str | None
    first_quarter: str = "2014-15_Q1"
    # A new load is held back (not current) when it drops more than this share of the current
    # load's cases, or when more than this share of its rows is quarantined (docs/operations.md).
    max_case_loss_pct: float = 25.0
    max_quarantined_pct: float = 50.0
    fetch: FetchSettings = field(default_factory=FetchSettings)
    dsg: DsgSettings = field(default_factory=DsgSettings)
    duckdb_memory_limit: str = "1GB"
    duckdb_threads: int = 2
    trend_quarters: int = 8
    trend_horizon_quarters: int = 20
    comparator_groups: tuple[ComparatorGroup, ...] = ()
    published_sets_kept: int = 5
    notify: NotifySettings = field(default_factory=NotifySettings)

    @property
    def duckdb_spill_dir(self) -> Path:
        """Where DuckDB writes what does not fit in duckdb_memory_limit."""
        return self.build_dir / "duckdb_spill"

    @property
    def raw_dir(self) -> Path:
        return self.data_dir / "raw"

    @property
    def fetched_benchmarks_dir(self) -> Path:
        """Where `sendkpi benchmarks fetch` writes DfE's releases and their provenance."""
        return self.raw_dir / "benchmarks"

    @property
    def marts_dir(self) -> Path:
        """The current published set's marts (a link through data/current: pipelines/releases.py)."""
        return self.data_dir / "marts"

    @property
    def warehouse_path(self) -> Path:
        """The current published set's warehouse, the one users read (through data/current)."""
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
        raise SettingsError('[fetch.data_sets] must be a table of name = "data set id"')
    for name, data_set_id in data_sets.items():
        # The name becomes a folder and file name under raw/benchmarks.
        if not re.fullmatch(r"[a-z0-9_]+", name) or not isinstance(data_set_id, str):
            raise SettingsError(f'fetch.data_sets: {name} = {data_set_id!r} must be snake_case name = "id"')
    return FetchSettings(
        ees_api_url=url.rstrip("/"),
        timeout_seconds=_whole_number(section.get("timeout_seconds", 60), "fetch.timeout_seconds"),
        retries=_count(section.get("retries", 3), "fetch.retries"),
        retry_backoff_seconds=_seconds(section.get("retry_backoff_seconds", 2), "fetch.retry_backoff_seconds"),
        data_sets={name: data_set_id.strip() for name, data_set_id in data_sets.items()},
    )


def _notify_settings(section: object) -> NotifySettings:
    """[notify]; environment overrides SENDKPI_NOTIFY_SMTP_HOST, SENDKPI_NOTIFY_SMTP_PORT,
    SENDKPI_NOTIFY_EMAIL_TO (addresses separated by commas) and SENDKPI_NOTIFY_WEBHOOK_URL."""
    if not isinstance(section, dict):
        raise SettingsError("[notify] must be a table")
    host = str(os.environ.get("SENDKPI_NOTIFY_SMTP_HOST") or section.get("smtp_host", "")).strip()
    port = _whole_number(os.environ.get("SENDKPI_NOTIFY_SMTP_PORT") or section.get("smtp_port", 25), "notify.smtp_port")
    recipients = os.environ.get("SENDKPI_NOTIFY_EMAIL_TO")
    email_to = recipients.split(",") if recipients else section.get("email_to", [])
    if isinstance(email_to, str) or not all(isinstance(address, str) for address in email_to):
        raise SettingsError(
            f'notify.email_to must be a list of addresses like ["send.team@council.gov.uk"], not {email_to!r}'
        )
    addresses = tuple(address.strip() for address in email_to if address.strip())
    for address in addresses:
        if not re.fullmatch(r"[^@\s]+@[^@\s]+", address):
            raise SettingsError(f"notify.email_to: {address!r} is not an email address")
    webhook = str(os.environ.get("SENDKPI_NOTIFY_WEBHOOK_URL") or section.get("webhook_url", "")).strip()
    if webhook and not webhook.startswith(("https://", "http://")):
        raise SettingsError(f"notify.webhook_url must be an http(s) address, not {webhook!r}")
    if addresses and not host:
        raise SettingsError("notify.email_to is set but notify.smtp_host is not: say which SMTP server sends the mail")
    return NotifySettings(
        smtp_host=host,
        smtp_port=port,
        email_from=str(section.get("email_from", "sendkpi@localhost")).strip(),
        email_to=addresses,
        webhook_url=webhook,
        timeout_seconds=_whole_number(section.get("timeout_seconds", 30), "notify.timeout_seconds"),
    )


def _count(value: object, name: str) -> int:
    """A whole number from 0 (TOML int)."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise SettingsError(f"{name} must be a whole number from 0, not {value!r}")
    return value


def _seconds(value: object, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise SettingsError(f"{name} must be a number of seconds from 0, not {value!r}")
    return float(value)


def _number(value: object, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise SettingsError(f"{name} must be a number, not {value!r}")
    return float(value)


def _financial_year(value: object, name: str) -> str:
    match = re.fullmatch(r"(\d{4})-(\d{2})", str(value))
    if not match or (int(match.group(1)) + 1) % 100 != int(match.group(2)):
        raise SettingsError(f"{name}: {value!r} is not a financial year like 2024-25")
    return str(value)


def _dsg_scenario(name: str, table: object) -> DsgScenario:
    where = f"dsg.scenarios.{name}"
    if not re.fullmatch(r"[a-z0-9_]+", name) or name == CURRENT_FORECAST:
        raise SettingsError(f"[{where}]: a scenario name must be snake_case and not {CURRENT_FORECAST!r} (built in)")
    if not isinstance(table, dict):
        raise SettingsError(f"[{where}] must be a table")
    known = {"high_needs_allocation_growth_pct", "high_needs_demand_growth_pct", "savings_gbp_k", "stated"}
    unknown = sorted(set(table) - known)
    if unknown:
        raise SettingsError(f"[{where}]: unknown keys {', '.join(unknown)} (known: {', '.join(sorted(known))})")
    stated_table = table.get("stated", {})
    if not isinstance(stated_table, dict):
        raise SettingsError(
            f'{where}.stated must be a table of "2024-25" = {{ high_needs_shortfall_gbp_k = ..., other_blocks_gbp_k = ... }}'
        )
    stated = {}
    for year, amounts in stated_table.items():
        _financial_year(year, f"{where}.stated")
        if not isinstance(amounts, dict) or not amounts or set(amounts) - set(DSG_STATED_KEYS):
            raise SettingsError(f"{where}.stated.{year} must set {' and/or '.join(DSG_STATED_KEYS)}, not {amounts!r}")
        stated[year] = {key: _number(value, f"{where}.stated.{year}.{key}") for key, value in amounts.items()}
    return DsgScenario(
        name=name,
        high_needs_allocation_growth_pct=_number(
            table.get("high_needs_allocation_growth_pct", 0), f"{where}.high_needs_allocation_growth_pct"
        ),
        high_needs_demand_growth_pct=_number(
            table.get("high_needs_demand_growth_pct", 0), f"{where}.high_needs_demand_growth_pct"
        ),
        savings_gbp_k=_number(table.get("savings_gbp_k", 0), f"{where}.savings_gbp_k"),
        stated=stated,
    )


# The [dsg] keys an environment variable may set (SENDKPI_DSG_<KEY>).
_DSG_ENVIRONMENT_KEYS = (
    "statutory_override_end",
    "projection_years",
    "deficit_threshold_gbp_k",
    "deficit_threshold_pct_of_allocation",
)


def _dsg_from_environment() -> dict[str, str]:
    """[dsg] keys set by SENDKPI_DSG_STATUTORY_OVERRIDE_END, SENDKPI_DSG_PROJECTION_YEARS,
    SENDKPI_DSG_DEFICIT_THRESHOLD_GBP_K and SENDKPI_DSG_DEFICIT_THRESHOLD_PCT_OF_ALLOCATION."""
    variables = {key: os.environ.get(f"SENDKPI_DSG_{key.upper()}") for key in _DSG_ENVIRONMENT_KEYS}
    return {key: value for key, value in variables.items() if value}


def _dsg_settings(section: object) -> DsgSettings:
    """The [dsg] section (with its environment and run overrides already merged in)."""
    if not isinstance(section, dict):
        raise SettingsError("[dsg] must be a table")
    end_value = section.get("statutory_override_end", "2028-03-31")
    try:
        end = end_value if isinstance(end_value, date) else date.fromisoformat(str(end_value).strip())
    except ValueError:
        raise SettingsError(f"dsg.statutory_override_end must be a date like 2028-03-31, not {end_value!r}") from None
    if (end.month, end.day) != (3, 31):
        raise SettingsError(f"dsg.statutory_override_end must be a financial year end (31 March), not {end}")
    years = _whole_number(section.get("projection_years", 4), "dsg.projection_years")
    scenarios = section.get("scenarios", {})
    if not isinstance(scenarios, dict):
        raise SettingsError("[dsg.scenarios] must hold [dsg.scenarios.<name>] tables")
    return DsgSettings(
        end,
        years,
        tuple(_dsg_scenario(name, table) for name, table in scenarios.items()),
        deficit_threshold_gbp_k=_optional_threshold(section, "deficit_threshold_gbp_k"),
        deficit_threshold_pct_of_allocation=_optional_threshold(section, "deficit_threshold_pct_of_allocation"),
    )


def _optional_threshold(section: dict, key: str) -> float | None:
    """A deficit threshold from [dsg]: a positive number, or unset."""
    value = section.get(key)
    if value is None or value == "":
        return None
    try:
        number = float(str(value).strip())
    except ValueError:
        raise SettingsError(f"dsg.{key} must be a positive number, not {value!r}") from None
    if isinstance(value, bool) or number <= 0:
        raise SettingsError(f"dsg.{key} must be a positive number, not {value!r}")
    return number


def _comparator_groups_from_environment() -> dict[str, list[str]] | None:
    """SENDKPI_COMPARATOR_GROUPS="consortium=885,E10000031;panel=886,887" replaces
    [comparator_groups] (for a container or a one-off run)."""
    text = os.environ.get("SENDKPI_COMPARATOR_GROUPS", "").strip()
    if not text:
        return None
    groups = {}
    for entry in filter(None, (part.strip() for part in text.split(";"))):
        name, separator, codes = entry.partition("=")
        if not separator:
            raise SettingsError(f'SENDKPI_COMPARATOR_GROUPS: {entry!r} is not name=code,code (groups separated by ";")')
        groups[name.strip()] = [code for code in (code.strip() for code in codes.split(",")) if code]
    return groups


def _comparator_groups(section: object) -> tuple[ComparatorGroup, ...]:
    """[comparator_groups]: name = ["885", "E10000031", ...], each name snake_case."""
    if not isinstance(section, dict):
        raise SettingsError('[comparator_groups] must be a table of name = ["LA code", ...]')
    groups = []
    for name, members in section.items():
        if not re.fullmatch(r"[a-z0-9_]+", name):
            raise SettingsError(f"comparator_groups.{name}: a group name must be snake_case (letters, digits, _)")
        if (
            not isinstance(members, list)
            or not members
            or not all(isinstance(code, str) and re.fullmatch(r"[A-Za-z0-9]+", code.strip()) for code in members)
        ):
            raise SettingsError(
                f'comparator_groups.{name} must be a list of LA codes like ["885", "E10000031"], not {members!r}'
            )
        codes = tuple(dict.fromkeys(code.strip() for code in members))
        groups.append(ComparatorGroup(name, codes))
    return tuple(groups)


def _percentage(value: object, name: str) -> float:
    """A percentage from 0 to 100 (100 switches the rule off)."""
    try:
        number = float(str(value).strip())
    except ValueError:
        raise SettingsError(f"{name} must be a percentage from 0 to 100, not {value!r}") from None
    if isinstance(value, bool) or not 0 <= number <= 100:
        raise SettingsError(f"{name} must be a percentage from 0 to 100, not {value!r}")
    return number


def _quarter_label(value: object) -> str:
    """The first financial quarter extracts are partitioned from, as 2014-15_Q1."""
    found = FinancialQuarter.find_in(str(value))
    if found is None:
        raise SettingsError(f"first_quarter must be a financial quarter like 2014-15_Q1, not {value!r}")
    return found.label


def _memory_limit(value: object) -> str:
    """DuckDB's memory_limit: a size like 1GB, 512MB, 2GiB."""
    text = str(value).strip().replace(" ", "")
    if not re.fullmatch(r"\d+(\.\d+)?(KB|MB|GB|TB|KiB|MiB|GiB|TiB)", text, re.IGNORECASE):
        raise SettingsError(f"duckdb_memory_limit must be a size like 1GB or 512MB, not {value!r}")
    return text


def _positive_whole_number(value: object, name: str) -> int:
    number = _whole_number(value, name)
    if number < 1:
        raise SettingsError(f"{name} must be at least 1, not {value!r}")
    return number


def load_settings(config_file: Path | None = None, overrides: Mapping[str, object] | None = None) -> Settings:
    """Read the settings now (environment variables are looked up on every call). The file is
    `config_file`, else SENDKPI_CONFIG (a server keeps its settings outside the checkout, e.g.
    /etc/sendkpi/sendkpi.toml), else the repository's sendkpi.toml. `overrides` (a run's
    resource config: pipelines/resources.py) win over the file and the environment, and are
    checked by the same rules."""
    if config_file is None:
        config_file = Path(os.environ.get("SENDKPI_CONFIG") or CONFIG_FILE).expanduser().resolve()
    values = {**_DEFAULTS, **_read_config_file(config_file)}
    overrides = dict(overrides or {})
    unknown = sorted(set(overrides) - set(_DEFAULTS) - set(RUN_SECTIONS))
    if unknown:
        raise SettingsError(
            f"{', '.join(unknown)} is not a setting (the settings are: {', '.join([*_DEFAULTS, *RUN_SECTIONS])})"
        )
    fetch = _fetch_settings(values.pop("fetch", {}))
    notify = _notify_settings(values.pop("notify", {}))
    dsg_section = values.pop("dsg", {})
    if not isinstance(dsg_section, dict):
        raise SettingsError("[dsg] must be a table")
    dsg = _dsg_settings({**dsg_section, **_dsg_from_environment(), **(overrides.pop("dsg", None) or {})})
    comparator_groups = _comparator_groups(
        overrides.pop("comparator_groups", None)
        or _comparator_groups_from_environment()
        or values.pop("comparator_groups", {})
    )
    for key in _DEFAULTS:
        env_value = os.environ.get(f"SENDKPI_{key.upper()}")
        if env_value is not None and env_value != "":
            values[key] = env_value
    for key, value in overrides.items():
        if value is not None:
            values[key] = value
    base = config_file.parent
    data_dir = _resolve_path(str(values["data_dir"]), base)
    benchmarks_dir = (
        _resolve_path(str(values["benchmarks_dir"]), base)
        if values["benchmarks_dir"]
        else data_dir / "sample_benchmarks"
    )
    threshold = _whole_number(values["small_count_threshold"], "small_count_threshold")
    if threshold < MIN_SMALL_COUNT_THRESHOLD:
        raise SettingsError(
            f"small_count_threshold {threshold} is below the minimum of {MIN_SMALL_COUNT_THRESHOLD}: counts "
            f"below {MIN_SMALL_COUNT_THRESHOLD} (and figures derived from them) are never published. Raise it, "
            "do not lower it."
        )
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
        max_case_loss_pct=_percentage(values["max_case_loss_pct"], "max_case_loss_pct"),
        max_quarantined_pct=_percentage(values["max_quarantined_pct"], "max_quarantined_pct"),
        fetch=fetch,
        dsg=dsg,
        duckdb_memory_limit=_memory_limit(values["duckdb_memory_limit"]),
        duckdb_threads=_positive_whole_number(values["duckdb_threads"], "duckdb_threads"),
        trend_quarters=_trend_quarters(values["trend_quarters"]),
        trend_horizon_quarters=_positive_whole_number(values["trend_horizon_quarters"], "trend_horizon_quarters"),
        comparator_groups=comparator_groups,
        published_sets_kept=_positive_whole_number(values["published_sets_kept"], "published_sets_kept"),
        notify=notify,
    )


def _trend_quarters(value: object) -> int:
    number = _whole_number(value, "trend_quarters")
    if number < MIN_TREND_QUARTERS:
        raise SettingsError(
            f"trend_quarters must be at least {MIN_TREND_QUARTERS} (a trend with an uncertainty needs three "
            f"points), not {value!r}"
        )
    return number


@contextmanager
def environment(**values: str | None) -> Iterator[None]:
    """Set (or, with None, unset) environment variables for the duration of a block; the
    previous values come back after it, whatever happens inside."""
    saved = {name: os.environ.get(name) for name in values}
    try:
        _set_environment(values)
        yield
    finally:
        _set_environment(saved)


def _set_environment(values: Mapping[str, str | None]) -> None:
    for name, value in values.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value
