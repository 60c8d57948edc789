"""ConfigClient: the REST API as Python calls, for scripts and remote services. Answers
come back as the typed records of records.py and snapshot_records.py."""
from __future__ import annotations

from typing import Any, Iterable, Mapping
from urllib.parse import quote

from .change_request_records import ChangeRequest, written_or_held
from .events import ChangeStream, client_identity
from .fleet_calls import FleetCalls, context_query as _context
from .json_object import JsonObject, json_dict
from .records import (BatchResult, Change, History, ImportResult, ResetResult, RestoreResult,
                      RollbackResult, Rule, Status, ValueEntry, validation_errors)
from .snapshot_records import Diff, Snapshot, SnapshotPage
from .template_records import Template, TemplateApplied, TemplateDrift
from .transport import Transport
from .websocket import SocketChangeStream

PREFIX = "/api/lazy-loading-config"


def _if_match(version: int | None) -> dict[str, str]:
    """The precondition header of a value write (the key's version is its ETag)."""
    return {} if version is None else {"If-Match": f'"{version}"'}


def _listed(items: Iterable[str] | None) -> list[str] | None:
    return None if items is None else list(items)


class ConfigClient(FleetCalls):
    """Calls one lazyconfig server with one Bearer token. Every failure raises an ApiError
    subclass carrying the server's message (lazyconfig.client.errors); an answer the client
    cannot read raises MalformedResponse."""

    def __init__(self, base_url: str, token: str, timeout: float = 10.0) -> None:
        self.transport = Transport(base_url, token, timeout)

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        return self.transport.call(method, PREFIX + path, **kwargs)[0]

    # -- values --------------------------------------------------------------------------
    def get(self, key: str, context: Mapping[str, Any] | None = None) -> Any:
        """The effective value of `key`, for `context` when given (NotFound for an unknown
        key)."""
        return self.entry(key, context).value

    def entry(self, key: str, context: Mapping[str, Any] | None = None) -> ValueEntry:
        """Value, source, layers, version and last writer of `key`; for `context` when
        given (its source then names what decided the value: targeting, experiment…)."""
        return ValueEntry.from_json(self._call("GET", f"/values/{key}",
                                               params=_context(context)))

    def entries(self, context: Mapping[str, Any] | None = None) -> dict[str, ValueEntry]:
        """Every key's entry, by key (for `context` when given)."""
        found = JsonObject(self._call("GET", "/values", params=_context(context)),
                           "value list").records("values", ValueEntry.from_json)
        return {entry.key: entry for entry in found}

    def values(self, context: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """Every key's effective value (for `context` when given)."""
        return {key: entry.value for key, entry in self.entries(context).items()}

    def set(self, key: str, value: Any, *, description: str | None = None,
            source: str = "runtime", if_version: int | None = None,
            scheduled_at: str | None = None) -> ValueEntry:
        """Set one value; returns the key's new entry. With `if_version`, Conflict when the
        key changed since that version. ChangeRequested when the server holds the write
        for approval, or until `scheduled_at` (an ISO 8601 time with its zone)."""
        body = {"value": value, "source": source, "description": description}
        if scheduled_at is not None:
            body["scheduled_at"] = scheduled_at
        return ValueEntry.from_json(written_or_held(self._call(
            "PUT", f"/values/{key}", headers=_if_match(if_version), body=body)))

    def update(self, values: Mapping[str, Any], *, description: str | None = None,
               source: str = "runtime", create_snapshot: bool = False,
               snapshot_description: str | None = None,
               expected_versions: Mapping[str, int] | None = None) -> BatchResult:
        """Apply several values atomically (all or none), after a snapshot when
        `create_snapshot` or a `snapshot_description` is given. With `expected_versions`
        ({key: version}), Conflict and nothing applied when one of them moved."""
        expected = expected_versions or {}
        body = {"updates": [{"key": k, "value": v, "source": source, "description": description,
                             "expected_version": expected.get(k)} for k, v in values.items()],
                "create_snapshot": create_snapshot or snapshot_description is not None,
                "snapshot_description": snapshot_description}
        return BatchResult.from_json(written_or_held(self._call("POST", "/values/batch",
                                                                body=body)))

    def unset(self, key: str, *, if_version: int | None = None) -> ValueEntry:
        """Remove the key's runtime override; returns its entry."""
        return ValueEntry.from_json(written_or_held(
            self._call("DELETE", f"/values/{key}", headers=_if_match(if_version))))

    def validate(self, key: str, value: Any) -> list[str]:
        """The messages `value` would be refused with; [] when valid. Applies nothing."""
        return validation_errors(self._call("POST", "/validate",
                                            body={"key": key, "value": value}))

    def history(self, key: str, limit: int = 50, offset: int = 0) -> History:
        """A page of the key's changes, newest first, with `total`."""
        return History.from_json(self._call("GET", f"/values/{key}/history",
                                            params={"limit": limit, "offset": offset}))

    def revert(self, key: str, revision: int, description: str | None = None, *,
               if_version: int | None = None) -> ValueEntry:
        """Give `key` the value it had at `revision`; returns its entry."""
        return ValueEntry.from_json(self._call(
            "POST", f"/values/{key}/revert", headers=_if_match(if_version),
            body={"revision": revision, "description": description}))

    def status(self) -> Status:
        """The revision, counts by source, validation and the effective values."""
        return Status.from_json(self._call("GET", "/status"))

    # -- rules ---------------------------------------------------------------------------
    def rules(self) -> list[Rule]:
        """Every key's rule."""
        return list(JsonObject(self._call("GET", "/rules"), "rule list").records(
            "rules", Rule.from_json))

    def rule(self, key: str) -> Rule:
        return Rule.from_json(self._call("GET", f"/rules/{key}"))

    def put_rule(self, key: str, *, type: str | None = None, default: Any = None,
                 min: float | None = None, max: float | None = None,
                 min_exclusive: bool = False, choices: Iterable[str] | None = None,
                 pattern: str | None = None, required: bool = False, sensitive: bool = False,
                 description: str = "", unit: str | None = None,
                 error_message: str | None = None) -> Rule:
        """Create or replace a key's rule (a new key becomes a custom key); the parameters
        are the API's fields, `type` inferred from `default` when left out. Admin only."""
        body = {"type": type, "default": default, "min": min, "max": max,
                "min_exclusive": min_exclusive, "choices": _listed(choices),
                "pattern": pattern, "required": required, "sensitive": sensitive,
                "description": description, "unit": unit, "error_message": error_message}
        return Rule.from_json(self._call("PUT", f"/rules/{key}", body=body))

    # -- snapshots -----------------------------------------------------------------------
    def snapshots(self, page: int = 1, page_size: int = 20) -> SnapshotPage:
        """A page of snapshot metadata, newest first, with `total`."""
        return SnapshotPage.from_json(self._call(
            "GET", "/snapshots", params={"page": page, "page_size": page_size}))

    def create_snapshot(self, description: str | None = None,
                        tags: Iterable[str] = ()) -> Snapshot:
        return Snapshot.from_json(self._call(
            "POST", "/snapshots", body={"description": description, "tags": list(tags)}))

    def snapshot(self, snapshot_id: int) -> Snapshot:
        return Snapshot.from_json(self._call("GET", f"/snapshots/{snapshot_id}"))

    def delete_snapshot(self, snapshot_id: int) -> None:
        self._call("DELETE", f"/snapshots/{snapshot_id}")

    def diff(self, snapshot_id: int, against: int | str = "current") -> Diff:
        """Keys added, removed and changed from a snapshot to another one or to now."""
        return Diff.from_json(self._call("GET", f"/snapshots/{snapshot_id}/diff",
                                         params={"against": against}))

    def rollback(self, snapshot_id: int, *, keys: Iterable[str] | None = None,
                 dry_run: bool = False, description: str | None = None,
                 expected_revision: int | None = None) -> RollbackResult:
        """Restore a snapshot (or only `keys` of it); with dry_run, only its diff."""
        return RollbackResult.from_json(self._call(
            "POST", f"/snapshots/{snapshot_id}/rollback", body={
                "keys": _listed(keys), "dry_run": dry_run, "description": description,
                "expected_revision": expected_revision}))

    # -- templates -------------------------------------------------------------------------
    def templates(self) -> list[Template]:
        """Every template, built-in ones first."""
        return list(JsonObject(self._call("GET", "/templates"), "template list").records(
            "templates", Template.from_json))

    def template(self, name: str) -> Template:
        return Template.from_json(self._call("GET", f"/templates/{quote(name, safe='')}"))

    def create_template(self, definition: Mapping[str, Any]) -> Template:
        """Define a template ({name, description, params, values, derived}); admin only."""
        return Template.from_json(self._call("POST", "/templates", body=dict(definition)))

    def replace_template(self, name: str, definition: Mapping[str, Any]) -> Template:
        return Template.from_json(self._call("PUT", f"/templates/{quote(name, safe='')}",
                                             body=dict(definition)))

    def delete_template(self, name: str) -> None:
        self._call("DELETE", f"/templates/{quote(name, safe='')}")

    def apply_template(self, name: str, params: Mapping[str, Any] | None = None, *,
                       dry_run: bool = False, description: str | None = None,
                       expected_revision: int | None = None) -> TemplateApplied:
        """Apply a template as one batch (with dry_run, only its diff)."""
        return TemplateApplied.from_json(self._call(
            "POST", f"/templates/{quote(name, safe='')}/apply", body={
                "params": None if params is None else dict(params), "dry_run": dry_run,
                "description": description, "expected_revision": expected_revision}))

    def template_drift(self, name: str, params: Mapping[str, Any] | None = None) -> TemplateDrift:
        """The keys whose value differs from what the template would give."""
        return TemplateDrift.from_json(self._call(
            "GET", f"/templates/{quote(name, safe='')}/drift",
            params={"param": [f"{k}={v}" for k, v in (params or {}).items()]}))

    # -- point in time -------------------------------------------------------------------
    def values_at(self, revision: int | None = None, *, at: str | None = None) -> dict[str, Any]:
        """GET /values at a past revision (or ISO time): {values: [entry...], count,
        revision}; Gone (410) before the change log's compaction point."""
        return json_dict(self._call("GET", "/values", params={"at_revision": revision,
                                                              "at": at}), "past values")

    def restore(self, revision: int | None = None, *, at: str | None = None,
                keys: Iterable[str] | None = None, dry_run: bool = False,
                description: str | None = None,
                expected_revision: int | None = None) -> RestoreResult:
        """Make a past revision's values current (or only `keys`); with dry_run, its diff."""
        return RestoreResult.from_json(self._call("POST", "/restore", body={
            "at_revision": revision, "at": at, "keys": _listed(keys), "dry_run": dry_run,
            "description": description, "expected_revision": expected_revision}))

    # -- whole configuration -------------------------------------------------------------
    def export(self) -> dict[str, Any]:
        """The effective values and sources as a document import_configuration takes."""
        return json_dict(self._call("POST", "/export"), "export document")

    def import_configuration(self, document: Mapping[str, Any], dry_run: bool = False, *,
                             expected_revision: int | None = None) -> ImportResult:
        """Apply a document's values as runtime overrides, all or nothing; with dry_run,
        only its diff. Admin only."""
        return ImportResult.from_json(self._call("POST", "/import", body={
            **document, "dry_run": dry_run, "expected_revision": expected_revision}))

    def import_from(self, kind: str, data: bytes, *, prefix: str | None = None,
                    dry_run: bool = False,
                    expected_revision: int | None = None) -> ImportResult:
        """Import another system's export as it is (kind: env, consul or etcd): entries
        naming no key are reported, not refused; `.json["report"]` says what became of
        each entry. Admin only."""
        return ImportResult.from_json(self._call("POST", "/import", body=data, params={
            "format": kind, "prefix": prefix, "dry_run": "true" if dry_run else None,
            "expected_revision": expected_revision}))

    def reset(self, keys: Iterable[str] | None = None, *, description: str | None = None,
              expected_revision: int | None = None) -> ResetResult:
        """Remove runtime overrides (of `keys`, or all) after a safety snapshot. Admin only."""
        return ResetResult.from_json(self._call("POST", "/reset", body={
            "keys": _listed(keys), "description": description,
            "expected_revision": expected_revision}))

    # -- changes -------------------------------------------------------------------------
    def notifications(self, limit: int = 50, since: int | None = None, key: str | None = None,
                      wait: float | None = None) -> list[Change]:
        """Changes in revision order: the newest `limit`, or the `limit` after `since`;
        with `wait` (and `since`), block up to that many seconds for the next change."""
        timeout = None if not wait else self.transport.timeout + wait
        answer = self._call("GET", "/notifications", timeout=timeout, params={
            "limit": limit, "since": since, "key": key, "wait": wait})
        return list(JsonObject(answer, "notification list").records(
            "notifications", Change.from_json))

    def watch(self, last_event_id: int | None = None, key: str | None = None,
              transport: str = "sse", client_id: str | None = None) -> ChangeStream:
        """Every change after `last_event_id` (default: from now on) as it is made, from the
        server-sent event stream (`transport="sse"`) or the WebSocket ("websocket").
        Iterate it for Change records; it reconnects by itself and resumes after the last
        revision it has, so none is missed or repeated, until its `close()` is called.
        It raises Unauthorized, Forbidden or NotFound, which retrying cannot fix. The
        stream names itself (GET /clients) as `client_id`, or a generated id."""
        identity = client_identity(client_id)
        if transport == "websocket":
            return SocketChangeStream(self.transport, PREFIX + "/notifications/ws",
                                      last_event_id=last_event_id, key=key, identity=identity)
        if transport != "sse":
            raise ValueError(f"transport is 'sse' or 'websocket', not {transport!r}")
        return ChangeStream(self.transport, PREFIX + "/notifications/stream",
                            last_event_id=last_event_id, key=key, identity=identity)

    # -- change requests (docs/change-requests.md) ---------------------------------------
    def policies(self) -> list[dict[str, Any]]:
        """The rules naming keys whose writes need approval: [{pattern, approvals, ...}]."""
        return list(JsonObject(self._call("GET", "/policies"), "policies").value("rules"))

    def set_policies(self, rules: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
        """Replace every policy rule ({pattern, approvals}). Admin only."""
        return list(JsonObject(self._call("PUT", "/policies", body={"rules": list(rules)}),
                               "policies").value("rules"))

    def change_requests(self, state: str | None = None, limit: int = 50,
                        offset: int = 0) -> list[ChangeRequest]:
        """Change requests, newest first (of one `state`, e.g. pending or review)."""
        page = self._call("GET", "/change-requests", params={
            "state": state, "page_size": limit, "page": offset // limit + 1})
        return list(JsonObject(page, "change requests").records("change_requests",
                                                                ChangeRequest.from_json))

    def change_request(self, change_id: int) -> ChangeRequest:
        return ChangeRequest.from_json(self._call("GET", f"/change-requests/{change_id}"))

    def decide(self, change_id: int, verb: str, reason: str | None = None) -> ChangeRequest:
        """approve, reject, apply or cancel a change request; its record afterwards."""
        return ChangeRequest.from_json(self._call(
            "POST", f"/change-requests/{change_id}/{verb}", body={"reason": reason}))
