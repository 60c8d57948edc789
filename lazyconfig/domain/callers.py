"""Who is calling: the one identity every kind of credential resolves to (docs/auth.md).

A signed HS256 token, an opaque `lzc_` service token and an OIDC token each verify in their
own module and hand back a Caller; what a caller may do (role, key scope, expiry,
revocation by `token_id`) is decided from the Caller alone.
"""
from __future__ import annotations

import fnmatch
import time
from dataclasses import dataclass

ROLES = ("viewer", "editor", "admin")  # lowest to highest
SIGNED, SERVICE, OIDC, CONSOLE = "signed", "service", "oidc", "console"  # kinds of credential


@dataclass(frozen=True)
class Caller:
    name: str  # recorded as the author of the caller's changes
    role: str
    kind: str  # SIGNED, SERVICE, OIDC or CONSOLE (a browser's session cookie)
    keys: tuple[str, ...] | None = None  # glob patterns of the keys it may use; None: all
    expires_at: float | None = None  # seconds since the epoch; None: never
    token_id: str | None = None  # a signed token's jti, a service token's `lzc_<id>`

    def may_use(self, key: str) -> bool:
        """True when the caller's key scope admits `key` (always, without a scope)."""
        return self.keys is None or any(fnmatch.fnmatchcase(key, p) for p in self.keys)

    def expired(self, leeway: float = 0.0, now: float | None = None) -> bool:
        """True once the caller's credential is past its expiry (plus `leeway` seconds)."""
        if self.expires_at is None:
            return False
        return (time.time() if now is None else now) > self.expires_at + leeway
