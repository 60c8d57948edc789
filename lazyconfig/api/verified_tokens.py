"""Claims of the tokens a worker has already verified, by their exact Authorization header,
until they expire.

Verifying an HS256 token (base64, JSON, HMAC, claim checks) was about a fifth of a cached
read's CPU. A client sends the same token on every request, so we verify it once: a hit is
the same bytes that passed verification, with the same secret, and still within its expiry
(plus the decode leeway the full check allows). Any other header is verified in full; a
failed verification is never remembered.
"""
from __future__ import annotations

import threading
import time
from collections import OrderedDict
from typing import Any

DEFAULT_SIZE = 4096  # distinct live tokens held per worker; the oldest used goes first


class VerifiedTokens:
    def __init__(self, leeway: float, size: int = DEFAULT_SIZE):
        self._leeway = leeway
        self._size = size
        self._claims: OrderedDict[str, tuple[dict[str, Any], float]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, header: str) -> dict[str, Any] | None:
        """The claims of `header`'s token if it was verified and has not expired since."""
        with self._lock:
            entry = self._claims.get(header)
            if entry is None:
                return None
            claims, until = entry
            if time.time() > until:
                del self._claims[header]
                return None
            self._claims.move_to_end(header)
            return claims

    def remember(self, header: str, claims: dict[str, Any]) -> None:
        """Remember a header whose token has just passed full verification."""
        with self._lock:
            self._claims[header] = (claims, claims["exp"] + self._leeway)
            self._claims.move_to_end(header)
            while len(self._claims) > self._size:
                self._claims.popitem(last=False)
