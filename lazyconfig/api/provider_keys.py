"""An OIDC provider's signing keys, by `kid`: fetched from its JWKS URL with PyJWT's
PyJWKClient, kept for LIFESPAN, and fetched again at once for a `kid` we do not know, but
at most once per REFETCH_SECONDS, so tokens with made-up kids cannot make us hammer the
provider (docs/auth.md, "Single sign-on")."""
from __future__ import annotations

import logging
import threading
import time
from typing import Callable

from jwt import PyJWK, PyJWKClient
from jwt.exceptions import PyJWKClientError, PyJWKSetError

log = logging.getLogger(__name__)
REFETCH_SECONDS = 60.0
LIFESPAN = 3600.0  # keys are fetched again this often anyway, so removed ones go
FETCH_TIMEOUT = 5.0


class ProviderKeys:
    def __init__(self, jwks_url: str, *, refetch_seconds: float = REFETCH_SECONDS,
                 lifespan: float = LIFESPAN, clock: Callable[[], float] = time.monotonic):
        # Our own cache by kid: PyJWKClient's cooldown also counts the first fetch, which
        # would refuse a key rotated in during the first minute.
        self._client = PyJWKClient(jwks_url, cache_jwk_set=False, timeout=FETCH_TIMEOUT)
        self._refetch, self._lifespan, self._clock = refetch_seconds, lifespan, clock
        self._keys: dict[str, PyJWK] = {}
        self._fetched_at = self._unknown_at = float("-inf")
        self._lock = threading.Lock()
        self.fetches = 0  # how often the provider was asked (the tests count)

    def key(self, kid: str) -> PyJWK | None:
        """The provider's key `kid`, or None when it has none (as of the last fetch)."""
        if kid in self._keys and self._clock() - self._fetched_at < self._lifespan:
            return self._keys[kid]
        with self._lock:
            now = self._clock()
            if now - self._fetched_at < self._lifespan:
                if kid in self._keys:
                    return self._keys[kid]
                if now - self._unknown_at < self._refetch:
                    return None  # asked for an unknown kid a moment ago: not again yet
                self._unknown_at = now
            self._fetch()
            return self._keys.get(kid)

    def _fetch(self) -> None:
        self.fetches += 1
        try:
            found = self._client.get_jwk_set(refresh=True)
        except (PyJWKClientError, PyJWKSetError) as exc:  # keep the keys we have
            log.warning("could not fetch the OIDC provider's keys: %s", exc)
            return
        self._keys = {key.key_id: key for key in found.keys
                      if key.key_id and key.public_key_use in (None, "sig")}
        self._fetched_at = self._clock()
