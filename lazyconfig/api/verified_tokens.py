"""The callers of the credentials a worker has already verified, by their exact
Authorization header, until they expire.

Verifying an HS256 token (base64, JSON, HMAC, claim checks) was about a fifth of a cached
read's CPU, and a service token costs a database look-up. A client sends the same header on
every request, so we verify it once: a hit is the same bytes that passed verification,
still within its expiry (plus the decode leeway the full check allows). Revocation is
checked on every request, hit or not (api/auth.py). Any other header is verified in full;
a failed verification is never remembered.
"""
from __future__ import annotations

import threading
import time
from collections import OrderedDict

from ..domain.callers import Caller

DEFAULT_SIZE = 4096  # distinct live tokens held per worker; the oldest used goes first


class VerifiedTokens:
    def __init__(self, leeway: float, size: int = DEFAULT_SIZE):
        self._leeway = leeway
        self._size = size
        self._callers: OrderedDict[str, Caller] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, header: str) -> Caller | None:
        """The caller of `header`'s credential if it was verified and has not expired since."""
        with self._lock:
            caller = self._callers.get(header)
            if caller is None:
                return None
            if caller.expired(self._leeway):
                del self._callers[header]
                return None
            self._callers.move_to_end(header)
            return caller

    def remember(self, header: str, caller: Caller) -> None:
        """Remember a header whose credential has just passed full verification."""
        with self._lock:
            self._callers[header] = caller
            self._callers.move_to_end(header)
            while len(self._callers) > self._size:
                self._callers.popitem(last=False)
