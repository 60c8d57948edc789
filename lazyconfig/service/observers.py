"""Who hears of this process's writes: each write the engine applied (with the action its
change log names) and each it refused because a value broke a rule. The API's metrics
listen here (api/metrics.py), so writes made in Python count as much as writes over HTTP."""
from __future__ import annotations

import logging
from typing import Protocol

from ..domain import Change

log = logging.getLogger(__name__)


class WriteObserver(Protocol):
    def on_write(self, action: str, keys: list[str], revision: int) -> None:
        """A write by `action` (set, batch, unset, revert, rollback, reset, import, rule,
        template, migrate) committed changes to `keys`, leaving the configuration at
        `revision`."""

    def on_refused(self, action: str, keys: list[str]) -> None:
        """A write by `action`, or a check (`validate`), was refused: `keys` broke a rule."""


class Observers:
    """An engine's observers. One that raises is logged and never fails the caller: the
    write it heard of has committed already."""

    def __init__(self) -> None:
        self._observers: list[WriteObserver] = []

    def add(self, observer: WriteObserver) -> None:
        self._observers.append(observer)

    def remove(self, observer: WriteObserver) -> None:
        self._observers.remove(observer)

    def written(self, changes: list[Change], revision: int) -> None:
        """One write's own changes (none: it changed nothing, and nobody hears of it)."""
        if changes:
            self._tell("on_write", changes[0].action, [c.key for c in changes], revision)

    def refused(self, action: str | None, keys: list[str]) -> None:
        if action is not None:
            self._tell("on_refused", action, keys)

    def _tell(self, event: str, *args) -> None:
        for observer in list(self._observers):
            try:
                getattr(observer, event)(*args)
            except Exception:
                log.exception("write observer %r failed on %s", observer, event)
