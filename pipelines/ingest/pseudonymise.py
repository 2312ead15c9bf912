"""Keyed hashing of identifiers (HMAC-SHA256), done set-wise inside DuckDB.

DuckDB has sha256 but no HMAC, so HMAC is built from its definition (RFC 2104):
    HMAC(K, m) = H((K' xor opad) || H((K' xor ipad) || m))
with the two padded keys computed once here. tests/test_pseudonymise.py checks the SQL
against Python's hmac module.
"""

from __future__ import annotations

import hashlib

_BLOCK_SIZE = 64  # SHA-256 block size in bytes


def hmac_pads(key: str) -> tuple[bytes, bytes]:
    """The inner and outer padded keys for HMAC-SHA256."""
    key_bytes = key.encode("utf-8")
    if len(key_bytes) > _BLOCK_SIZE:
        key_bytes = hashlib.sha256(key_bytes).digest()
    key_bytes = key_bytes.ljust(_BLOCK_SIZE, b"\x00")
    inner = bytes(b ^ 0x36 for b in key_bytes)
    outer = bytes(b ^ 0x5C for b in key_bytes)
    return inner, outer


def hmac_sql(value_sql: str, inner_param: str = "$inner_pad", outer_param: str = "$outer_pad") -> str:
    """SQL for the hex HMAC-SHA256 of a VARCHAR expression; NULL stays NULL."""
    inner_digest = f"unhex(sha256({inner_param}::BLOB || encode({value_sql})))"
    return f"sha256({outer_param}::BLOB || {inner_digest})"
