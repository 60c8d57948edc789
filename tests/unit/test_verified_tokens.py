"""The verified-token cache: a hit only for the exact header that passed, only until it
expires, and never more than its size."""
from __future__ import annotations

import time

from lazyconfig.api.verified_tokens import VerifiedTokens
from lazyconfig.domain.callers import SIGNED, Caller


def claims(expires_in: float) -> Caller:
    return Caller("alice", "editor", SIGNED, expires_at=time.time() + expires_in)


def test_a_remembered_header_is_a_hit_and_any_other_is_a_miss():
    tokens = VerifiedTokens(leeway=10)
    tokens.remember("Bearer abc", claims(60))
    assert tokens.get("Bearer abc").name == "alice"
    assert tokens.get("Bearer abd") is None
    assert tokens.get("bearer abc") is None


def test_an_expired_token_is_a_miss_once_the_leeway_has_passed():
    tokens = VerifiedTokens(leeway=10)
    tokens.remember("Bearer within", claims(-5))  # expired 5 s ago: still inside the leeway
    tokens.remember("Bearer beyond", claims(-11))
    assert tokens.get("Bearer within") is not None
    assert tokens.get("Bearer beyond") is None


def test_the_least_recently_used_goes_first_when_full():
    tokens = VerifiedTokens(leeway=0, size=2)
    tokens.remember("Bearer a", claims(60))
    tokens.remember("Bearer b", claims(60))
    assert tokens.get("Bearer a") is not None  # a is now the most recently used
    tokens.remember("Bearer c", claims(60))
    assert tokens.get("Bearer b") is None
    assert tokens.get("Bearer a") is not None and tokens.get("Bearer c") is not None
