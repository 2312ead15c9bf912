"""Which key pseudonymises identifiers: the configured secret, or the demo key for the demo.

A run on real extracts without a configured key refuses to start. The public demo key is
used only when every extract file in the drop zone is, byte for byte, a file of the bundled
synthetic sample (recognised by content: the SHA-256 of each file the deterministic generator
writes is listed in bundled_sample_checksums.txt beside this module), never because of a
file's name. A configured key must be strong enough that trying keys cannot recover it.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from functools import lru_cache
from pathlib import Path

import duckdb

from pipelines.ingest.files import file_sha256, list_extract_files
from pipelines.settings import DEMO_PSEUDONYMISATION_KEY, Settings, SettingsError
from schemas import EXTRACTS

# A key is a secret shared by nobody: long and varied enough that guessing it is hopeless.
MIN_KEY_LENGTH = 20
MIN_DISTINCT_CHARACTERS = 10
KEY_ADVICE = 'make one with: python -c "import secrets; print(secrets.token_urlsafe(32))"'
# scrypt parameters for the stored key fingerprint: slow and salted, so a stolen warehouse
# does not let anyone test guesses of the key quickly (about 50 ms a guess).
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1


# Written by `python -m synthetic_sample checksums`; a test fails when it differs from what the
# generator writes.
BUNDLED_SAMPLE_CHECKSUMS = Path(__file__).with_name("bundled_sample_checksums.txt")


@lru_cache(maxsize=1)
def bundled_sample_checksums() -> frozenset[str]:
    """The SHA-256 of every extract file of the bundled synthetic sample."""
    lines = BUNDLED_SAMPLE_CHECKSUMS.read_text(encoding="utf-8").splitlines()
    return frozenset(line.split()[0] for line in lines if line.strip())


def only_bundled_sample_extracts(settings: Settings) -> bool:
    """True when the drop zone holds no extract file that is not the bundled sample's."""
    files = [path for name in EXTRACTS for path in list_extract_files(settings.raw_dir / name)]
    return all(file_sha256(path) in bundled_sample_checksums() for path in files)


def check_key_strength(key: str) -> None:
    if len(key) < MIN_KEY_LENGTH or len(set(key)) < MIN_DISTINCT_CHARACTERS:
        raise SettingsError(
            f"The pseudonymisation key is too weak: it needs at least {MIN_KEY_LENGTH} characters, "
            f"{MIN_DISTINCT_CHARACTERS} of them different, or the children's identifiers could be "
            f"recovered by trying keys; {KEY_ADVICE}"
        )


def pseudonymisation_key(settings: Settings) -> str:
    if settings.pseudonymisation_key:
        check_key_strength(settings.pseudonymisation_key)
        return settings.pseudonymisation_key
    if only_bundled_sample_extracts(settings):
        return DEMO_PSEUDONYMISATION_KEY
    raise SettingsError(
        "No pseudonymisation key and the drop zone holds extracts that are not the bundled synthetic "
        "sample: set SENDKPI_PSEUDONYMISATION_KEY or SENDKPI_PSEUDONYMISATION_KEY_FILE (outside the "
        f"repository); {KEY_ADVICE}"
    )


def key_fingerprint(key: str, salt: bytes | None = None) -> str:
    """A salted scrypt hash that identifies the key without helping anyone guess it."""
    salt = salt if salt is not None else secrets.token_bytes(16)
    digest = hashlib.scrypt(key.encode("utf-8"), salt=salt, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P, dklen=32)
    return f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${salt.hex()}${digest.hex()}"


def _matches(key: str, fingerprint: str) -> bool:
    if fingerprint.startswith("scrypt$"):
        _, n, r, p, salt, digest = fingerprint.split("$")
        computed = hashlib.scrypt(
            key.encode("utf-8"), salt=bytes.fromhex(salt), n=int(n), r=int(r), p=int(p), dklen=len(digest) // 2
        )
        return hmac.compare_digest(computed.hex(), digest)
    # Warehouses built before the scrypt fingerprint stored a fast HMAC: still recognised (and
    # replaced by check_same_key once the key is shown to match).
    legacy = hmac.new(key.encode("utf-8"), b"sendkpi pseudonymisation key check", hashlib.sha256).hexdigest()
    return hmac.compare_digest(legacy, fingerprint)


def check_same_key(connection: duckdb.DuckDBPyConnection, key: str) -> None:
    """Pseudonyms from two keys never match, so a warehouse keeps one key for life: a
    different key would silently split every child and request into two."""
    connection.execute("create schema if not exists raw")
    connection.execute("create table if not exists raw.pseudonymisation_key (fingerprint varchar not null)")
    stored = connection.execute("select fingerprint from raw.pseudonymisation_key").fetchone()
    if stored is None:
        connection.execute("insert into raw.pseudonymisation_key values (?)", [key_fingerprint(key)])
    elif not _matches(key, stored[0]):
        raise SettingsError(
            "The pseudonymisation key is not the one this warehouse was built with: identifiers "
            "would no longer match. Use the original key, or build a new warehouse (a new "
            "SENDKPI_DATA_DIR) with the new one."
        )
    elif not stored[0].startswith("scrypt$"):
        connection.execute("update raw.pseudonymisation_key set fingerprint = ?", [key_fingerprint(key)])
