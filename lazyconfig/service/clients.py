"""Which process has which revision: named watchers, the last revision each acknowledged,
GET /clients and GET /notifications/{revision}/delivery (docs/notifications.md, "Clients").

A watcher names itself (id, host, version); the worker that serves it notes what it
acknowledged in a ClientReports buffer, and a thread writes what changed at most once a
`interval`, never once per event. Rows of clients not seen for `client_ttl` seconds are
left out of every answer and pruned.
"""
from __future__ import annotations

import logging
import re
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Callable, Mapping

from ..db.base import utcnow
from ..db.models import CLIENT_FIELD_MAX
from ..errors import UnstorableText

log = logging.getLogger(__name__)
INTERVAL = 1.0  # seconds between two writes of a worker's client reports
CAPACITY = 100_000  # clients a worker keeps unsaved, beyond which new ones wait for a flush
_PRINTABLE = re.compile(r"[\x21-\x7e][\x20-\x7e]*")


@dataclass(frozen=True)
class ClientName:
    """Who a watcher says it is."""
    id: str
    host: str = ""
    version: str = ""


def client_name(fields: Mapping[str, Any]) -> ClientName | None:
    """A ClientName from {id, host?, version?}, or None when they do not make one (an id
    is 1 to 200 printable ASCII characters; host and version at most 200)."""
    found = {name: fields.get(name, "") for name in ("id", "host", "version")}
    if not all(isinstance(v, str) and len(v) <= CLIENT_FIELD_MAX
               and (v == "" or _PRINTABLE.fullmatch(v)) for v in found.values()):
        return None
    return ClientName(**found) if found["id"] else None


def header_client_name(header: str | None) -> ClientName | None:
    """The X-Lazyconfig-Client header `id=…; host=…; version=…` as a ClientName (None
    when absent or malformed: the watcher is then anonymous)."""
    if not header:
        return None
    fields = {}
    for part in header.split(";"):
        name, _, value = part.strip().partition("=")
        fields[name.strip().lower()] = value.strip()
    return client_name(fields)


class ClientReports:
    """A worker's unsaved client reports, written by a background thread."""

    def __init__(self, save: Callable[[list[dict[str, Any]]], None], interval: float = INTERVAL):
        self._save, self._interval = save, interval
        self._waiting: dict[str, dict[str, Any]] = {}
        self._lock, self._stop = threading.Lock(), threading.Event()
        self._thread: threading.Thread | None = None

    def note(self, name: ClientName, transport: str, acked: int | None = None) -> None:
        """Note that `name` was seen on `transport`, having acknowledged `acked` (any
        thread; cheap: a dict update)."""
        with self._lock:
            report = self._waiting.get(name.id)
            if report is None:
                if len(self._waiting) >= CAPACITY:
                    return
                report = self._waiting[name.id] = {"id": name.id, "acked": None}
            if acked is not None and (report["acked"] is None or acked > report["acked"]):
                report["acked"] = acked
            report.update(host=name.host, version=name.version, transport=transport,
                          seen_at=utcnow())
            if self._thread is None and not self._stop.is_set():
                self._thread = threading.Thread(target=self._run, name="lazyconfig-clients",
                                                daemon=True)
                self._thread.start()

    def flush(self) -> None:
        """Write what changed since the last flush (dropped, and logged, if that fails)."""
        with self._lock:
            waiting, self._waiting = list(self._waiting.values()), {}
        if not waiting:
            return
        try:
            self._save(waiting)
        except Exception as exc:  # the database away: the next report says it again
            log.warning("dropped %d client reports: %s", len(waiting), exc)

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            self.flush()

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self.flush()


class ClientOperations:
    """The engine's side: note, save and read the named watchers."""

    @property
    def client_reports(self) -> ClientReports:
        if "_client_reports" not in self.__dict__:
            self._client_reports = ClientReports(self.save_client_reports)
            self._closers.insert(0, self._client_reports.close)  # before the database goes
        return self._client_reports

    def save_client_reports(self, reports: list[dict[str, Any]]) -> None:
        with self.storage.writing() as uow:
            uow.watch_clients.save_many(reports)
            uow.commit()

    def report_client(self, client_id: str, revision: Any, host: str = "",
                      version: str = "") -> None:
        """A plain client's own report that it has applied `revision` (saved now)."""
        name = client_name({"id": client_id, "host": host, "version": version})
        if name is None:
            raise UnstorableText({"client": ["an id is 1 to 200 printable characters; host "
                                             "and version at most 200"]})
        self.save_client_reports([{"id": name.id, "host": name.host, "version": name.version,
                                   "transport": "report", "acked": revision,
                                   "seen_at": utcnow()}])

    def watch_clients(self) -> tuple[list[dict[str, Any]], int]:
        """The clients seen within client_ttl, each with its lag in revisions and seconds,
        and the head revision; older ones are pruned."""
        self.catch_up()
        head, now = self.revision, utcnow()
        with self.storage.writing() as uow:
            uow.watch_clients.forget(now - timedelta(seconds=self.settings.client_ttl))
            uow.commit()
        with self.storage.reading() as uow:
            found = uow.watch_clients.seen_since(now - timedelta(seconds=self.settings.client_ttl))
            behind = {c["acked"] or 0 for c in found if (c["acked"] or 0) < head}
            committed = uow.watch_clients.committed_after(behind)
        for client in found:
            acked = client["acked"] or 0
            since = committed.get(acked) if acked < head else None
            client["lag_revisions"] = max(head - acked, 0)
            client["lag_seconds"] = _seconds(now, since)
        return found, head

    def delivery(self, revision: int) -> dict[str, Any]:
        """How many known clients acknowledged `revision` or later, and which did not."""
        clients, head = self.watch_clients()
        behind = [{"id": c["id"], "acked": c["acked"]} for c in clients
                  if (c["acked"] or 0) < revision]
        return {"revision": revision, "head": head, "total": len(clients),
                "delivered": len(clients) - len(behind), "pending": behind}


def _seconds(now: datetime, since: datetime | None) -> float:
    return 0.0 if since is None else round(max((now - since).total_seconds(), 0.0), 3)
