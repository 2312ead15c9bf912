"""Which key pseudonymises identifiers: the configured secret, or the demo key for the demo.

A run on real extracts without a configured key refuses to start. Only when every file in
the drop zone is a synthetic sample file (named *synthetic*) is the public demo key used.
"""

from __future__ import annotations

import hashlib
import hmac

import duckdb

from pipelines.ingest.files import list_extract_files
from pipelines.settings import DEMO_PSEUDONYMISATION_KEY, Settings, SettingsError
from schemas import EXTRACTS


def only_synthetic_extracts(settings: Settings) -> bool:
    files = [path for name in EXTRACTS for path in list_extract_files(settings.raw_dir / name)]
    return all("synthetic" in path.name.lower() for path in files)


def pseudonymisation_key(settings: Settings) -> str:
    if settings.pseudonymisation_key:
        return settings.pseudonymisation_key
    if only_synthetic_extracts(settings):
        return DEMO_PSEUDONYMISATION_KEY
    raise SettingsError(
        "No pseudonymisation key and the drop zone holds real extracts: set "
        "SENDKPI_PSEUDONYMISATION_KEY or SENDKPI_PSEUDONYMISATION_KEY_FILE (outside the repository)."
    )


def key_fingerprint(key: str) -> str:
    """A value that identifies the key without revealing it (HMAC of a fixed text)."""
    return hmac.new(key.encode("utf-8"), b"sendkpi pseudonymisation key check", hashlib.sha256).hexdigest()


def check_same_key(connection: duckdb.DuckDBPyConnection, key: str) -> None:
    """Pseudonyms from two keys never match, so a warehouse keeps one key for life: a
    different key would silently split every child and request into two."""
    connection.execute("create schema if not exists raw")
    connection.execute("create table if not exists raw.pseudonymisation_key (fingerprint varchar not null)")
    stored = connection.execute("select fingerprint from raw.pseudonymisation_key").fetchone()
    if stored is None:
        connection.execute("insert into raw.pseudonymisation_key values (?)", [key_fingerprint(key)])
    elif stored[0] != key_fingerprint(key):
        raise SettingsError(
            "The pseudonymisation key is not the one this warehouse was built with: identifiers "
            "would no longer match. Use the original key, or build a new warehouse (a new "
            "SENDKPI_DATA_DIR) with the new one."
        )
