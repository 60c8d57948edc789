"""RemoteBackend: the commands through a server's REST API, with lazyconfig.client.

Every answer is the API's JSON, the shape LocalBackend makes too (cli/backend.py), and
every ApiError becomes the lazyconfig.errors exception the engine raises for the same
refusal, with the server's message, which is the engine's (api/errors.py sends
`exc.message`). So a remote command prints what the local one prints, and exits alike.
"""
from __future__ import annotations

import functools
from contextlib import contextmanager
from typing import Any, Callable, Iterator

from .. import errors
from ..client import ConfigClient
from ..client import errors as api
from .backend import BadUsage, Written, masked, wanted

PAGE_SIZE = 100  # the most snapshots the API hands out in one page


def translated(exc: api.ApiError) -> errors.ConfigurationError:
    """The engine's exception for a refusal the server reported."""
    if isinstance(exc, api.ValidationFailed) and exc.errors:
        return errors.ValidationFailed(exc.errors, exc.message)
    if isinstance(exc, api.Conflict):
        return errors.Conflict(exc.message)
    if isinstance(exc, api.MalformedRequest):
        return errors.InvalidDocument(exc.message)
    if isinstance(exc, api.ServiceUnavailable):
        return errors.Unavailable(exc.message)
    return errors.ConfigurationError(exc.message)


def answers(method: Callable) -> Callable:
    """Raise the engine's exceptions, not the client's."""
    @functools.wraps(method)
    def call(self, *args, **kwargs):
        try:
            return method(self, *args, **kwargs)
        except api.ApiError as exc:
            raise translated(exc) from exc
    return call


def _json(answer: Any) -> Any:
    return getattr(answer, "json", answer)  # a typed record carries the JSON it came from


class RemoteBackend:
    def __init__(self, url: str, token: str):
        self.client = ConfigClient(url, token)

    def close(self) -> None:
        pass  # every call opens and closes its own connection

    # -- values --------------------------------------------------------------------------
    @answers
    def value(self, key: str) -> Any:
        return self.entry(key)["value"]

    @answers
    def entry(self, key: str) -> dict[str, Any]:
        with _known(key):
            return _json(self.client.entry(key))

    @answers
    def entries(self) -> list[dict[str, Any]]:
        return self.client.transport.call("GET", _path("/values"))[0]["values"]

    @answers
    def set(self, key: str, value: Any, source: str, description: str | None) -> Written:
        entry = _json(self.client.set(key, value, source=source, description=description))
        return Written(key, entry["value"], entry["version"])

    @answers
    def revert(self, key: str, revision: int, description: str | None) -> Written:
        entry = _json(self.client.revert(key, revision, description))
        return Written(key, entry["value"], entry["version"])

    @answers
    def validate(self, key: str, value: Any) -> list[str]:
        return self.client.validate(key, value)

    @answers
    def history(self, key: str, limit: int, offset: int) -> tuple[list[dict], int]:
        page = _json(self.client.history(key, limit, offset))
        return page["history"], page["total"]

    # -- rules ---------------------------------------------------------------------------
    @answers
    def rule(self, key: str) -> dict[str, Any]:
        with _known(key):
            return self.client.transport.call("GET", _path(f"/rules/{key}"))[0]

    @answers
    def rules(self) -> list[dict[str, Any]]:
        return self.client.transport.call("GET", _path("/rules"))[0]["rules"]

    @answers
    def put_rule(self, key: str, record: dict[str, Any]) -> dict[str, Any]:
        body = {name: value for name, value in record.items() if name not in ("key", "origin")}
        return self.client.transport.call("PUT", _path(f"/rules/{key}"), body=body)[0]

    # -- the whole configuration ---------------------------------------------------------
    @answers
    def reset(self, keys: list[str] | None) -> dict[str, Any]:
        return _json(self.client.reset(keys))

    @answers
    def export(self, show_sensitive: bool) -> dict[str, Any]:
        document = _json(self.client.export())
        if not show_sensitive:  # an admin's export is unmasked; the local one masks
            secret = {rule["key"] for rule in self.rules() if rule["sensitive"]}
            document["values"] = {key: masked(value, key in secret, False)
                                  for key, value in document["values"].items()}
        return document

    @answers
    def import_document(self, document: dict, dry_run: bool) -> dict[str, Any]:
        return _json(self.client.import_configuration(document, dry_run=dry_run))

    @answers
    def status(self) -> dict[str, Any]:
        return _json(self.client.status())

    # -- snapshots -----------------------------------------------------------------------
    @answers
    def snapshots(self, limit: int) -> tuple[list[dict], int]:
        items, total, page = [], 0, 1
        while len(items) < limit:
            answer = self.client.transport.call("GET", _path("/snapshots"), params={
                "page": page, "page_size": min(PAGE_SIZE, limit)})[0]
            items += answer["snapshots"]
            total, page = answer["total"], page + 1
            if len(items) >= total or not answer["snapshots"]:
                break
        return items[:limit], total

    @answers
    def create_snapshot(self, description: str | None, tags: list[str], pinned: bool) -> int:
        if pinned:
            raise BadUsage("--pin: the REST API cannot pin a snapshot yet; pin it with a "
                            "local command (--database-url)")
        return _json(self.client.create_snapshot(description, tags))["id"]

    @answers
    def snapshot(self, snapshot_id: int) -> dict[str, Any]:
        return _json(self.client.snapshot(snapshot_id))

    @answers
    def delete_snapshot(self, snapshot_id: int) -> None:
        self.client.delete_snapshot(snapshot_id)

    @answers
    def rollback(self, snapshot_id: int, keys: list[str] | None,
                 dry_run: bool) -> dict[str, Any]:
        return _json(self.client.rollback(snapshot_id, keys=keys, dry_run=dry_run))

    @answers
    def diff(self, a: int, b: int | None) -> dict[str, Any]:
        return _json(self.client.diff(a, "current" if b is None else b))

    # -- changes -------------------------------------------------------------------------
    def follow(self, since: int | None, keys: list[str]) -> Iterator[dict[str, Any]]:
        """Changes after `since` (default: from now on) from the server-sent event stream;
        after a dropped connection or a server restart the stream resumes with
        Last-Event-ID, so no change is lost or repeated."""
        try:
            for key in keys:
                self.rule(key)  # a typo should not wait forever in silence
            start = self.status()["revision"] if since is None else since
            stream = self.client.watch(last_event_id=start, key=wanted(keys))
            try:
                for change in stream:
                    if not keys or change["key"] in keys:
                        yield _json(change)
            finally:
                stream.close()
        except api.ApiError as exc:
            raise translated(exc) from exc


@contextmanager
def _known(key: str) -> Iterator[None]:
    """A 404 for a key: the engine's UnknownKey, which `rules set` tells from others."""
    try:
        yield
    except api.NotFound:
        raise errors.UnknownKey(key) from None


def _path(path: str) -> str:
    from ..client.config_client import PREFIX
    return PREFIX + path
