"""Which key pseudonymises, by content not by name; key strength; the stored fingerprint."""

from __future__ import annotations

import hashlib
import hmac
import shutil
from pathlib import Path

import duckdb
import pytest

from pipelines.ingest.keys import (
    check_same_key,
    key_fingerprint,
    only_bundled_sample_extracts,
    pseudonymisation_key,
)
from pipelines.settings import DEMO_PSEUDONYMISATION_KEY, SettingsError, load_settings
from synthetic_sample import write_sample_extracts
from tests.conftest import environment, sample_settings

STRONG_KEY = "q8Vf-2LmZ0pX7sRt9wKcYb4N"


@pytest.fixture(scope="module")
def sample_raw(tmp_path_factory) -> Path:
    raw = tmp_path_factory.mktemp("sample") / "raw"
    write_sample_extracts(raw)
    return raw


def test_the_bundled_sample_runs_under_the_demo_key(sample_raw, tmp_path):
    shutil.copytree(sample_raw, tmp_path / "raw")
    assert only_bundled_sample_extracts(sample_settings(tmp_path))
    assert pseudonymisation_key(sample_settings(tmp_path)) == DEMO_PSEUDONYMISATION_KEY


def test_a_real_file_named_synthetic_needs_a_key(sample_raw, tmp_path):
    shutil.copytree(sample_raw, tmp_path / "raw")
    [sample_file] = sorted((tmp_path / "raw" / "ehc_requests").glob("*.csv"))[:1]
    # the same name, other content: one changed identifier makes it not the sample's file
    sample_file.write_text(
        sample_file.read_text().replace("\n", "\nREAL-REQUEST,REAL-CHILD,", 1).rsplit("\n", 2)[0] + "\n",
        encoding="utf-8",
    )
    assert "synthetic" in sample_file.name
    assert not only_bundled_sample_extracts(sample_settings(tmp_path))
    with pytest.raises(SettingsError, match="not the bundled synthetic sample"):
        pseudonymisation_key(sample_settings(tmp_path))
    assert pseudonymisation_key(sample_settings(tmp_path, pseudonymisation_key=STRONG_KEY)) == STRONG_KEY


@pytest.mark.parametrize("weak", ["secret", "another-key", "aaaaaaaaaaaaaaaaaaaaaaaa", "abcabcabcabcabcabcabcabc"])
def test_a_weak_key_is_refused(tmp_path, weak):
    with pytest.raises(SettingsError, match="too weak"):
        pseudonymisation_key(sample_settings(tmp_path, pseudonymisation_key=weak))


def test_the_fingerprint_is_salted_scrypt_and_recognises_only_its_key():
    first, second = key_fingerprint(STRONG_KEY), key_fingerprint(STRONG_KEY)
    assert first.startswith("scrypt$") and first != second  # a new salt each time
    connection = duckdb.connect()
    check_same_key(connection, STRONG_KEY)
    check_same_key(connection, STRONG_KEY)  # the same key again: accepted
    with pytest.raises(SettingsError, match="not the one this warehouse was built with"):
        check_same_key(connection, STRONG_KEY + "x")


def test_a_legacy_fast_fingerprint_is_recognised_and_replaced():
    legacy = hmac.new(STRONG_KEY.encode(), b"sendkpi pseudonymisation key check", hashlib.sha256).hexdigest()
    connection = duckdb.connect()
    connection.execute("create schema raw")
    connection.execute("create table raw.pseudonymisation_key (fingerprint varchar not null)")
    connection.execute("insert into raw.pseudonymisation_key values (?)", [legacy])
    check_same_key(connection, STRONG_KEY)
    [(stored,)] = connection.execute("select fingerprint from raw.pseudonymisation_key").fetchall()
    assert stored.startswith("scrypt$")


@pytest.mark.parametrize(("threshold", "accepted"), [("1", False), ("4", False), ("5", True), ("10", True)])
def test_small_count_threshold_below_five_is_refused(threshold, accepted):
    with environment(SENDKPI_SMALL_COUNT_THRESHOLD=threshold):
        if accepted:
            assert load_settings().small_count_threshold == int(threshold)
        else:
            with pytest.raises(SettingsError, match="below the minimum of 5"):
                load_settings()
