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
from ..client import ChangeRequested, ConfigClient
from ..client import errors as api
from .backend import Written, masked, wanted

PAGE_SIZE = 100  # the most snapshots the API hands out in one page
RULE_FIELDS = ("type", "default", "min", "max", "min_exclusive", "choices", "pattern",
               "required", "sensitive", "description", "unit", "error_message")


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


class RemoteBackend:
    """The commands through ConfigClient. Its typed records are read for what the command
    decides on (a version, a total); what it prints is each record's `.json`, the API's
    answer as sent."""

    def __init__(self, url: str, token: str):
        self.client = ConfigClient(url, token)

    def close(self) -> None:
        pass  # every call opens and closes its own connection

    # -- values --------------------------------------------------------------------------
    @answers
    def value(self, key: str) -> Any:
        with _known(key):
            return self.client.entry(key).value

    @answers
    def entry(self, key: str) -> dict[str, Any]:
        with _known(key):
            return self.client.entry(key).json

    @answers
    def explain(self, key: str, context: dict[str, Any]) -> dict[str, Any]:
        with _known(key):
            return self.client.explain(key, context)

    @answers
    def start_experiment(self, key: str, spec: dict[str, Any]) -> dict[str, Any]:
        with _known(key):
            return self.client.start_experiment(key, **spec)

    @answers
    def experiments(self) -> list[dict[str, Any]]:
        return self.client.experiments()

    @answers
    def experiment_results(self, experiment_id: int) -> dict[str, Any]:
        return self.client.experiment_results(experiment_id)

    @answers
    def conclude_experiment(self, experiment_id: int, winner: str) -> dict[str, Any]:
        return self.client.conclude_experiment(experiment_id, winner)

    @answers
    def start_rollout(self, spec: dict[str, Any]) -> dict[str, Any]:
        return self.client.start_rollout(**spec)

    @answers
    def rollout(self, rollout_id: int) -> dict[str, Any]:
        return self.client.rollout(rollout_id)

    @answers
    def control_rollout(self, rollout_id: int, action: str) -> dict[str, Any]:
        return self.client.control_rollout(rollout_id, action)

    @answers
    def entries(self) -> list[dict[str, Any]]:
        found = self.client.entries()
        return [found[key].json for key in sorted(found)]

    @answers
    def set(self, key: str, value: Any, source: str,
            description: str | None) -> Written | dict[str, Any]:
        """The write, or the change request the server held it as."""
        try:
            with _known(key):
                entry = self.client.set(key, value, source=source, description=description)
        except ChangeRequested as held:
            return held.change_request.json
        return Written(key, entry.value, entry.version)

    @answers
    def revert(self, key: str, revision: int, description: str | None) -> Written:
        with _known(key):
            entry = self.client.revert(key, revision, description)
        return Written(key, entry.value, entry.version)

    @answers
    def validate(self, key: str, value: Any) -> list[str]:
        with _known(key):
            return self.client.validate(key, value)

    @answers
    def history(self, key: str, limit: int, offset: int) -> tuple[list[dict], int]:
        with _known(key):
            page = self.client.history(key, limit, offset)
        return [change.json for change in page.history], page.total

    # -- rules ---------------------------------------------------------------------------
    @answers
    def rule(self, key: str) -> dict[str, Any]:
        with _known(key):
            return self.client.rule(key).json

    @answers
    def rules(self) -> list[dict[str, Any]]:
        return [rule.json for rule in self.client.rules()]

    @answers
    def put_rule(self, key: str, record: dict[str, Any]) -> dict[str, Any]:
        given = {name: value for name, value in record.items() if name in RULE_FIELDS}
        return self.client.put_rule(key, **given).json

    # -- the whole configuration ---------------------------------------------------------
    @answers
    def reset(self, keys: list[str] | None) -> dict[str, Any]:
        return self.client.reset(keys).json

    @answers
    def export(self, show_sensitive: bool) -> dict[str, Any]:
        document = self.client.export()
        if not show_sensitive:  # an admin's export is unmasked; the local one masks
            secret = {rule.key for rule in self.client.rules() if rule.sensitive}
            document["values"] = {key: masked(value, key in secret, False)
                                  for key, value in document["values"].items()}
        return document

    @answers
    def import_document(self, document: dict, dry_run: bool) -> dict[str, Any]:
        return self.client.import_configuration(document, dry_run=dry_run).json

    @answers
    def import_from(self, kind: str, data: bytes, prefix: str | None,
                    dry_run: bool) -> dict[str, Any]:
        return self.client.import_from(kind, data, prefix=prefix, dry_run=dry_run).json

    @answers
    def status(self) -> dict[str, Any]:
        return self.client.status().json

    # -- templates -----------------------------------------------------------------------
    @answers
    def templates(self) -> list[dict[str, Any]]:
        return [template.json for template in self.client.templates()]

    @answers
    def template(self, name: str) -> dict[str, Any]:
        return self.client.template(name).json

    @answers
    def apply_template(self, name: str, params: dict[str, str], dry_run: bool) -> dict[str, Any]:
        return self.client.apply_template(name, params, dry_run=dry_run).json

    @answers
    def template_drift(self, name: str, params: dict[str, str]) -> dict[str, Any]:
        return self.client.template_drift(name, params).json

    # -- snapshots -----------------------------------------------------------------------
    @answers
    def snapshots(self, limit: int) -> tuple[list[dict], int]:
        items: list[dict] = []
        for number in range(1, limit // PAGE_SIZE + 2):  # the API's pages hold at most 100
            page = self.client.snapshots(number, min(PAGE_SIZE, limit))
            items += [info.json for info in page.snapshots]
            if len(items) >= min(limit, page.total) or not page.snapshots:
                return items[:limit], page.total
        return items[:limit], page.total

    @answers
    def create_snapshot(self, description: str | None, tags: list[str], pinned: bool) -> int:
        snapshot_id = self.client.create_snapshot(description, tags).id
        if pinned:  # a second call: retention keeps the newest snapshot in between anyway
            self.client._call("POST", f"/snapshots/{snapshot_id}/pin")
        return snapshot_id

    # -- change requests -----------------------------------------------------------------
    @answers
    def policies(self) -> list[dict[str, Any]]:
        return self.client.policies()

    @answers
    def set_policies(self, rules: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return self.client.set_policies(rules)

    @answers
    def change_requests(self, state: str | None) -> list[dict[str, Any]]:
        return [item.json for item in self.client.change_requests(state, 500)]

    @answers
    def change_request(self, change_id: int) -> dict[str, Any]:
        return self.client.change_request(change_id).json

    @answers
    def decide(self, change_id: int, verb: str, reason: str | None) -> dict[str, Any]:
        return self.client.decide(change_id, verb, reason).json

    @answers
    def issue_token(self, name: str, role: str, keys: list[str] | None,
                    expires_in: int | None) -> dict[str, Any]:
        return self.client._call("POST", "/tokens", body={
            "name": name, "role": role, "keys": keys, "expires_in": expires_in})

    @answers
    def snapshot(self, snapshot_id: int) -> dict[str, Any]:
        return self.client.snapshot(snapshot_id).json

    @answers
    def delete_snapshot(self, snapshot_id: int) -> None:
        self.client.delete_snapshot(snapshot_id)

    @answers
    def rollback(self, snapshot_id: int, keys: list[str] | None,
                 dry_run: bool) -> dict[str, Any]:
        return self.client.rollback(snapshot_id, keys=keys, dry_run=dry_run).json

    @answers
    def diff(self, a: int, b: int | None) -> dict[str, Any]:
        return self.client.diff(a, "current" if b is None else b).json

    @answers
    def values_at(self, revision: int) -> dict[str, Any]:
        return self.client.values_at(revision)

    @answers
    def restore(self, revision: int, keys: list[str] | None, dry_run: bool) -> dict[str, Any]:
        return self.client.restore(revision, keys=keys, dry_run=dry_run).json

    # -- changes -------------------------------------------------------------------------
    def follow(self, since: int | None, keys: list[str]) -> Iterator[dict[str, Any]]:
        """Changes after `since` (default: from now on) from the server-sent event stream;
        after a dropped connection or a server restart the stream resumes with
        Last-Event-ID, so no change is lost or repeated."""
        for key in keys:
            self.rule(key)  # a typo should not wait forever in silence
        start = self.status()["revision"] if since is None else since
        stream = self.client.watch(last_event_id=start, key=wanted(keys))
        try:
            for change in stream:
                if not keys or change.key in keys:
                    yield change.json
        except api.ApiError as exc:  # the token expired, or lost its role
            raise translated(exc) from exc
        finally:
            stream.close()


@contextmanager
def _known(key: str) -> Iterator[None]:
    """A 404 for a key: the engine's UnknownKey, which `rules set` tells from others."""
    try:
        yield
    except api.NotFound:
        raise errors.UnknownKey(key) from None

