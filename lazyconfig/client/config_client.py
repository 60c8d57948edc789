"""ConfigClient: the REST API as Python calls, for scripts and remote services."""
from __future__ import annotations

from typing import Any, Iterable, Mapping

from .events import ChangeStream
from .transport import Transport

PREFIX = "/api/lazy-loading-config"


class ConfigClient:
    """Calls one lazyconfig server with one Bearer token. Every failure raises an ApiError
    subclass carrying the server's message (lazyconfig.client.errors)."""

    def __init__(self, base_url: str, token: str, timeout: float = 10.0):
        self.transport = Transport(base_url, token, timeout)

    def _call(self, method: str, path: str, **kwargs) -> Any:
        return self.transport.call(method, PREFIX + path, **kwargs)[0]

    # -- values --------------------------------------------------------------------------
    def get(self, key: str) -> Any:
        """The effective value of `key` (NotFound for an unknown key)."""
        return self.entry(key)["value"]

    def entry(self, key: str) -> dict[str, Any]:
        """Value, source, layers, version and last writer of `key`."""
        return self._call("GET", f"/values/{key}")

    def values(self) -> dict[str, Any]:
        """Every key's effective value."""
        return {e["key"]: e["value"] for e in self._call("GET", "/values")["values"]}

    def set(self, key: str, value: Any, *, description: str | None = None,
            source: str = "runtime", if_version: int | None = None) -> dict[str, Any]:
        """Set one value; returns the key's new entry. With `if_version`, Conflict when the
        key changed since that version."""
        headers = {} if if_version is None else {"If-Match": f'"{if_version}"'}
        return self._call("PUT", f"/values/{key}", headers=headers,
                          body={"value": value, "source": source, "description": description})

    def update(self, values: Mapping[str, Any], *, description: str | None = None,
               snapshot_description: str | None = None) -> dict[str, Any]:
        """Apply several values atomically (all or none), optionally after a snapshot."""
        body = {"updates": [{"key": k, "value": v, "description": description}
                            for k, v in values.items()],
                "create_snapshot": snapshot_description is not None,
                "snapshot_description": snapshot_description}
        return self._call("POST", "/values/batch", body=body)

    def unset(self, key: str) -> dict[str, Any]:
        """Remove the key's runtime override; returns its entry."""
        return self._call("DELETE", f"/values/{key}")

    def validate(self, key: str, value: Any) -> list[str]:
        """The messages `value` would be refused with; [] when valid. Applies nothing."""
        return self._call("POST", "/validate", body={"key": key, "value": value})[
            "validation_errors"]

    def history(self, key: str, limit: int = 50, offset: int = 0) -> dict[str, Any]:
        """The key's changes, newest first, with `total`."""
        return self._call("GET", f"/values/{key}/history",
                          params={"limit": limit, "offset": offset})

    def revert(self, key: str, revision: int, description: str | None = None) -> dict[str, Any]:
        """Give `key` the value it had at `revision`; returns its entry."""
        return self._call("POST", f"/values/{key}/revert",
                          body={"revision": revision, "description": description})

    def status(self) -> dict[str, Any]:
        return self._call("GET", "/status")

    # -- snapshots -----------------------------------------------------------------------
    def snapshots(self, page: int = 1, page_size: int = 20) -> list[dict[str, Any]]:
        """Snapshot metadata, newest first."""
        return self._call("GET", "/snapshots",
                          params={"page": page, "page_size": page_size})["snapshots"]

    def create_snapshot(self, description: str | None = None,
                        tags: Iterable[str] = ()) -> dict[str, Any]:
        return self._call("POST", "/snapshots",
                          body={"description": description, "tags": list(tags)})

    def snapshot(self, snapshot_id: int) -> dict[str, Any]:
        return self._call("GET", f"/snapshots/{snapshot_id}")

    def delete_snapshot(self, snapshot_id: int) -> None:
        self._call("DELETE", f"/snapshots/{snapshot_id}")

    def diff(self, snapshot_id: int, against: int | str = "current") -> dict[str, Any]:
        """Keys added, removed and changed from a snapshot to another one or to now."""
        return self._call("GET", f"/snapshots/{snapshot_id}/diff", params={"against": against})

    def rollback(self, snapshot_id: int, *, keys: Iterable[str] | None = None,
                 dry_run: bool = False, description: str | None = None) -> dict[str, Any]:
        """Restore a snapshot (or only `keys` of it); with dry_run, only its diff."""
        return self._call("POST", f"/snapshots/{snapshot_id}/rollback", body={
            "keys": None if keys is None else list(keys), "dry_run": dry_run,
            "description": description})

    # -- whole configuration -------------------------------------------------------------
    def export(self) -> dict[str, Any]:
        return self._call("POST", "/export")

    def import_configuration(self, document: Mapping[str, Any],
                             dry_run: bool = False) -> dict[str, Any]:
        return self._call("POST", "/import", body={**document, "dry_run": dry_run})

    def reset(self, keys: Iterable[str] | None = None) -> dict[str, Any]:
        return self._call("POST", "/reset", body={"keys": None if keys is None else list(keys)})

    # -- changes -------------------------------------------------------------------------
    def notifications(self, limit: int = 50, since: int | None = None, key: str | None = None,
                      wait: float | None = None) -> list[dict[str, Any]]:
        """Changes in revision order: the newest `limit`, or the `limit` after `since`;
        with `wait` (and `since`), block up to that many seconds for the next change."""
        timeout = None if not wait else self.transport.timeout + wait
        return self._call("GET", "/notifications", timeout=timeout, params={
            "limit": limit, "since": since, "key": key, "wait": wait})["notifications"]

    def watch(self, last_event_id: int | None = None, key: str | None = None) -> ChangeStream:
        """Every change after `last_event_id` (default: from now on) as it is made, from the
        server-sent event stream. Iterate it for change dicts; it reconnects by itself with
        Last-Event-ID, so none is missed or repeated, until its `close()` is called. It
        raises Unauthorized, Forbidden or NotFound, which retrying cannot fix."""
        return ChangeStream(self.transport, PREFIX + "/notifications/stream",
                            last_event_id=last_event_id, key=key)
