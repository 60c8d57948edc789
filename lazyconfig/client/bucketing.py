"""Bucketing: where a unit (a client id) falls among 10,000 buckets for a salt. The one
implementation: the server and the engine use it too (lazyconfig/domain/bucketing.py names
it for the domain), so they and LiveConfig cannot disagree (docs/targeting.md, "Bucketing").
It lives here, in the standard-library-only client, because the client imports nothing of
the server, while the server may import this.

bucket(salt, unit) = first 8 bytes of SHA-256(UTF-8 of salt + ":" + unit), read as a
big-endian unsigned integer, modulo 10,000. Salts hold no ":", so (salt, unit) pairs never
collide; SHA-256 is in every language's standard library and runs in C here.
"""
from __future__ import annotations

from hashlib import sha256

BUCKETS = 10_000


def bucket(salt: str, unit: str) -> int:
    """The bucket, 0 to 9,999, of `unit` under `salt`: the same on every process and host."""
    return int.from_bytes(sha256(f"{salt}:{unit}".encode()).digest()[:8], "big") % BUCKETS
