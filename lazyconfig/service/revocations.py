"""This process's copy of the revoked token ids, at most REFRESH_SECONDS old when asked.

A revocation is a row in token_revocations; every process polls the newest row id (one
indexed query, issued by whichever thread first finds the copy due, never by two at once)
and reads only the rows after the id it has. Asked at least every REFRESH_SECONDS by
requests, and by open streams every CHECK_SECONDS, a revoked token is refused everywhere
within their sum (docs/auth.md, "Revocation").
"""
from __future__ import annotations

import logging
import threading
import time
from datetime import datetime

from ..db.protocols import Storage
from ..domain.callers import Caller
from ..errors import ConfigurationError

log = logging.getLogger(__name__)
REFRESH_SECONDS = 0.25
FAILURE_PAUSE = 2.0  # seconds without a poll after one failed


class RevocationList:
    def __init__(self, storage: Storage, refresh_seconds: float = REFRESH_SECONDS):
        self._storage = storage
        self._every = refresh_seconds
        self._revoked: dict[str, float | None] = {}  # token id: when it expires (None: never)
        self._revision = 0
        self._checked = float("-inf")  # monotonic time of the last poll
        self._failing = False
        self._lock = threading.Lock()

    def is_revoked(self, token_id: str | None) -> bool:
        """True when `token_id` was revoked, as of at most REFRESH_SECONDS ago."""
        if token_id is None:
            return False
        self.refresh_if_due()
        return token_id in self._revoked

    def still_valid(self, caller: Caller, leeway: float = 0.0) -> bool:
        """True while `caller`'s credential is neither expired nor revoked; safe from any
        thread, without a request: open streams and blocking queries ask it."""
        return not caller.expired(leeway) and not self.is_revoked(caller.token_id)

    def poll_next_time(self) -> None:
        """Make the next question poll: this process has just revoked something."""
        self._checked = float("-inf")

    def refresh_if_due(self) -> None:
        if time.monotonic() - self._checked < self._every:
            return
        if not self._lock.acquire(blocking=False):
            return  # another thread is polling: its answer is due in a moment
        try:
            self._refresh()
            self._failing = False
            self._checked = time.monotonic()
        except ConfigurationError as exc:
            # Unreachable: keep what we know, and let requests wait on no connect timeout
            # until the pause has passed (as catching up does: api/context.py).
            if not self._failing:
                log.warning("could not read the revoked tokens: %s", exc)
            self._failing = True
            self._checked = time.monotonic() + FAILURE_PAUSE - self._every
        finally:
            self._lock.release()

    def _refresh(self) -> None:
        with self._storage.reading() as uow:
            head = uow.revocations.head()
            rows = uow.revocations.after(self._revision) if head != self._revision else []
        if head < self._revision:  # the table was emptied (tests): start over
            self._revoked, self._revision = {}, 0
            return self._refresh()
        revoked = dict(self._revoked)
        for row_id, token_id, expires_at in rows:
            revoked[token_id] = _seconds(expires_at)
            self._revision = max(self._revision, row_id)
        now = time.time()
        self._revoked = {t: e for t, e in revoked.items() if e is None or e > now - 3600}


def _seconds(moment: datetime | None) -> float | None:
    return None if moment is None else moment.timestamp()
