"""The HMAC-SHA256 built in DuckDB SQL equals Python's hmac module, byte for byte."""

from __future__ import annotations

import hashlib
import hmac

import duckdb
import pytest

from pipelines.ingest.pseudonymise import hmac_pads, hmac_sql

KEYS = {
    "short": "k",
    "exactly 64 bytes": "0123456789abcdef" * 4,
    "65 bytes": "0123456789abcdef" * 4 + "x",
    "long": "a much longer secret key than one SHA-256 block of sixty-four bytes, used to test hashing of the key",
    "unicode": "clé-secrète-ключ-🔑",
    "unicode over 64 bytes": "ключ" * 10,  # 40 characters, 80 bytes in UTF-8
    "demo": "DEMO-KEY-NOT-SECRET-synthetic-sample-only",
}
VALUES = ["REQ-0001", "12345", "Zoë-Ångström-£", "学生-7", "", " leading and trailing ", "x" * 200]


def reference(key: str, value: str) -> str:
    return hmac.new(key.encode("utf-8"), value.encode("utf-8"), hashlib.sha256).hexdigest()


@pytest.fixture(scope="module")
def connection():
    con = duckdb.connect()
    yield con
    con.close()


def sql_hmac(connection, key: str, value: str | None) -> str | None:
    inner, outer = hmac_pads(key)
    return connection.execute(
        f"select {hmac_sql('$value::VARCHAR')}", {"value": value, "inner_pad": inner, "outer_pad": outer}
    ).fetchone()[0]


def test_key_lengths_are_what_the_cases_claim():
    assert len(KEYS["exactly 64 bytes"].encode("utf-8")) == 64
    assert len(KEYS["65 bytes"].encode("utf-8")) == 65
    assert len(KEYS["long"].encode("utf-8")) > 64
    assert len(KEYS["unicode"].encode("utf-8")) > len(KEYS["unicode"])
    assert len(KEYS["unicode over 64 bytes"].encode("utf-8")) == 80


@pytest.mark.parametrize("key_name", list(KEYS))
@pytest.mark.parametrize("value", VALUES, ids=[f"value{i}" for i in range(len(VALUES))])
def test_sql_hmac_equals_python_hmac(connection, key_name, value):
    key = KEYS[key_name]

    assert sql_hmac(connection, key, value) == reference(key, value)


def test_known_answer_rfc_4231_case_2(connection):
    # RFC 4231 test case 2: key "Jefe", data "what do ya want for nothing?"
    expected = "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"

    assert sql_hmac(connection, "Jefe", "what do ya want for nothing?") == expected


@pytest.mark.parametrize("key_name", list(KEYS))
def test_null_stays_null(connection, key_name):
    assert sql_hmac(connection, KEYS[key_name], None) is None


def test_set_wise_over_a_column_with_nulls(connection):
    key = KEYS["unicode"]
    inner, outer = hmac_pads(key)
    rows = connection.execute(
        f"select v, {hmac_sql('v')} from (values (1, 'REQ-1'), (2, NULL), (3, 'REQ-2'), (4, 'REQ-1')) t(i, v) "
        "order by i",
        {"inner_pad": inner, "outer_pad": outer},
    ).fetchall()

    assert rows == [
        ("REQ-1", reference(key, "REQ-1")),
        (None, None),
        ("REQ-2", reference(key, "REQ-2")),
        ("REQ-1", reference(key, "REQ-1")),
    ]


def test_different_keys_give_different_pseudonyms(connection):
    pseudonyms = {name: sql_hmac(connection, key, "REQ-0001") for name, key in KEYS.items()}

    assert len(set(pseudonyms.values())) == len(KEYS)
    # a key and the same key with one more byte differ too (no truncation of long keys)
    assert sql_hmac(connection, KEYS["exactly 64 bytes"], "v") != sql_hmac(connection, KEYS["65 bytes"], "v")


def test_pseudonym_is_lower_case_hex_of_32_bytes(connection):
    result = sql_hmac(connection, "k", "REQ-0001")

    assert len(result) == 64
    assert set(result) <= set("0123456789abcdef")


def test_pads_follow_rfc_2104():
    inner, outer = hmac_pads("k")

    assert len(inner) == len(outer) == 64
    assert inner[0] == ord("k") ^ 0x36 and outer[0] == ord("k") ^ 0x5C
    assert set(inner[1:]) == {0x36} and set(outer[1:]) == {0x5C}
    long_key = KEYS["long"]
    digest = hashlib.sha256(long_key.encode("utf-8")).digest()
    assert hmac_pads(long_key)[0][:32] == bytes(b ^ 0x36 for b in digest)
