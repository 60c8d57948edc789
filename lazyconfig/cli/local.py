"""LocalBackend: the commands on the configured database, through an engine of their own.

The engine (and with it SQLAlchemy and Alembic) is imported only when a command first needs
it, so `lazyconfig --help` and the remote commands never load it. Records come out in the
API's shapes (cli/backend.py), as an admin sees them: this command reads the database
itself, so nothing is hidden from it except where the API hides it from everyone.
"""
from __future__ import annotations

import queue
from datetime import datetime
from typing import Any, Iterator

from ..settings import Settings
from .backend import Written, api_rule, engine_rule, wanted

REPLAY_PAGE = 1000  # changes read at once when `watch --since` catches up
WAKE_SECONDS = 0.5  # how often a waiting `watch` looks up, so Ctrl-C is seen at once


class LocalBackend:
    def __init__(self, settings: Settings, user: str | None):
        self.settings, self.user = settings, user
        self._engine = None
        self._watch = False  # follow other processes' writes (only `watch` needs it)

    @property
    def engine(self):
        if self._engine is None:
            from ..service.bootstrap import bootstrap
            self._engine = bootstrap(self.settings, watch=self._watch)
        return self._engine

    @property
    def actor(self) -> str:
        return self.user or self.engine.default_user

    def close(self) -> None:
        if self._engine is not None:
            self._engine.close()

    # -- values --------------------------------------------------------------------------
    def value(self, key: str) -> Any:
        return self.engine.get(key)

    def entry(self, key: str) -> dict[str, Any]:
        return self._entry(self.engine.get_entry(key))

    def explain(self, key: str, context: dict[str, Any]) -> dict[str, Any]:
        decided = self.engine.decide(key, context)
        return {"key": key, **vars(decided), "context": context}

    def start_experiment(self, key: str, spec: dict[str, Any]) -> dict[str, Any]:
        return self.engine.start_experiment(key, spec, user=self.actor)

    def experiments(self) -> list[dict[str, Any]]:
        return self.engine.experiment_page(1000)[0]

    def experiment_results(self, experiment_id: int) -> dict[str, Any]:
        return self.engine.experiment_results(experiment_id)

    def conclude_experiment(self, experiment_id: int, winner: str) -> dict[str, Any]:
        return self.engine.conclude_experiment(experiment_id, winner, user=self.actor)

    def start_rollout(self, spec: dict[str, Any]) -> dict[str, Any]:
        return self.engine.start_rollout(spec, user=self.actor)

    def rollout(self, rollout_id: int) -> dict[str, Any]:
        return self.engine.get_rollout(rollout_id)

    def control_rollout(self, rollout_id: int, action: str) -> dict[str, Any]:
        if action == "abort":
            return self.engine.abort_rollout(rollout_id, user=self.actor)
        return getattr(self.engine, f"{action}_rollout")(rollout_id)

    def entries(self) -> list[dict[str, Any]]:
        found = self.engine.entries()
        return [self._entry(found[key]) for key in sorted(found)]

    def _entry(self, item) -> dict[str, Any]:
        shown = self.engine.redaction(True)
        return {"key": item.key, "value": item.value, "source": item.source,
                "layers": dict(item.layers), "version": item.version,
                "updated_at": None if item.updated_at is None else item.updated_at.isoformat(),
                "updated_by": item.updated_by, "sensitive": shown.is_sensitive(item.key)}

    def set(self, key: str, value: Any, source: str,
            description: str | None) -> Written | dict[str, Any]:
        """The write, or the change request it became when a policy covers the key."""
        if self.engine.approvals_needed([key]):
            return _record(self.engine.propose({key: value}, source=source, user=self.actor,
                                              description=description))
        done = self.engine.write_values({key: value}, source=source, user=self.actor,
                                        description=description, action="set")
        return Written(key, self.engine.get(key), done.revision)

    def revert(self, key: str, revision: int, description: str | None) -> Written:
        done = self.engine.revert(key, revision, user=self.actor, description=description)
        return Written(key, self.engine.get(key), done.revision)

    def validate(self, key: str, value: Any) -> list[str]:
        return self.engine.validate(key, value)

    def history(self, key: str, limit: int, offset: int) -> tuple[list[dict], int]:
        return self.engine.get_history(key, limit, offset)

    # -- rules ---------------------------------------------------------------------------
    def rule(self, key: str) -> dict[str, Any]:
        return api_rule(self.engine.get_rule(key).to_record())

    def rules(self) -> list[dict[str, Any]]:
        return [api_rule(rule.to_record()) for rule in self.engine.list_rules()]

    def put_rule(self, key: str, record: dict[str, Any]) -> dict[str, Any]:
        rule = self.engine.put_rule({**engine_rule(record), "key": key}, user=self.actor)
        return api_rule(rule.to_record())

    # -- the whole configuration ---------------------------------------------------------
    def reset(self, keys: list[str] | None) -> dict[str, Any]:
        return _plain(self.engine.reset(keys, user=self.actor))

    def export(self, show_sensitive: bool) -> dict[str, Any]:
        return self.engine.export(include_sensitive=show_sensitive)

    def import_document(self, document: dict, dry_run: bool) -> dict[str, Any]:
        return _plain(self.engine.import_configuration(document, dry_run=dry_run,
                                                       user=self.actor))

    def import_from(self, kind: str, data: bytes, prefix: str | None,
                    dry_run: bool) -> dict[str, Any]:
        return _plain(self.engine.import_from(kind, data, prefix=prefix, dry_run=dry_run,
                                              user=self.actor))

    def status(self) -> dict[str, Any]:
        return self.engine.get_configuration_summary()

    # -- snapshots -----------------------------------------------------------------------
    def snapshots(self, limit: int) -> tuple[list[dict], int]:
        items, total = self.engine.snapshot_page(limit)
        return [_snapshot_info(item) for item in items], total

    def issue_token(self, name: str, role: str, keys: list[str] | None,
                    expires_in: int | None) -> dict[str, Any]:
        record, token = self.engine.issue_token(name, role, keys=keys, expires_in=expires_in,
                                                user=self.actor)
        return {**record, "token": token}

    # -- change requests -----------------------------------------------------------------
    def policies(self) -> list[dict[str, Any]]:
        return [_record(rule) for rule in self.engine.policies()]

    def set_policies(self, rules: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [_record(rule) for rule in self.engine.put_policies(rules, user=self.actor)]

    def change_requests(self, state: str | None) -> list[dict[str, Any]]:
        return [_record(item) for item in self.engine.change_requests(state, 1000)[0]]

    def change_request(self, change_id: int) -> dict[str, Any]:
        return _record(self.engine.change_request(change_id))

    def decide(self, change_id: int, verb: str, reason: str | None) -> dict[str, Any]:
        """approve, reject, apply or cancel; on the database itself one acts as an admin."""
        engine, user = self.engine, self.actor
        done = {"approve": lambda: engine.approve_change_request(change_id, user=user),
                "reject": lambda: engine.reject_change_request(change_id, user=user,
                                                               reason=reason),
                "apply": lambda: engine.apply_change_request(change_id, user=user),
                "cancel": lambda: engine.cancel_change_request(change_id, user=user,
                                                               admin=True)}[verb]()
        return _record(done)

    def create_snapshot(self, description: str | None, tags: list[str], pinned: bool) -> int:
        return self.engine.create_snapshot(description, tags, user=self.actor, pinned=pinned)

    def snapshot(self, snapshot_id: int) -> dict[str, Any]:
        found = self.engine.get_snapshot(snapshot_id)
        return {**_snapshot_info(found), "values": found["values"]}

    def delete_snapshot(self, snapshot_id: int) -> None:
        self.engine.delete_snapshot(snapshot_id, user=self.actor)

    def rollback(self, snapshot_id: int, keys: list[str] | None,
                 dry_run: bool) -> dict[str, Any]:
        return _plain(self.engine.rollback_to_snapshot(snapshot_id, keys=keys, dry_run=dry_run,
                                                       user=self.actor))

    def diff(self, a: int, b: int | None) -> dict[str, Any]:
        return self.engine.diff_snapshots(a, b)

    def values_at(self, revision: int) -> dict[str, Any]:
        past = self.engine.values_at(revision)
        shown = self.engine.redaction(True)
        return {"revision": past.revision, "values": [
            {"key": k, "value": e.value, "source": e.source, "layers": {}, "version": e.version,
             "updated_at": None if e.updated_at is None else e.updated_at.isoformat(),
             "updated_by": e.updated_by, "sensitive": shown.is_sensitive(k)}
            for k, e in sorted(past.entries.items())]}

    def restore(self, revision: int, keys: list[str] | None, dry_run: bool) -> dict[str, Any]:
        return _plain(self.engine.restore(revision, keys=keys, dry_run=dry_run,
                                          user=self.actor))

    # -- changes -------------------------------------------------------------------------
    # -- templates -----------------------------------------------------------------------
    def templates(self) -> list[dict[str, Any]]:
        return self.engine.list_templates()

    def template(self, name: str) -> dict[str, Any]:
        return self.engine.get_template(name)

    def apply_template(self, name: str, params: dict[str, str], dry_run: bool) -> dict[str, Any]:
        return _plain(self.engine.apply_template(name, params, dry_run, user=self.actor))

    def template_drift(self, name: str, params: dict[str, str]) -> dict[str, Any]:
        return self.engine.template_drift(name, params)

    def follow(self, since: int | None, keys: list[str]) -> Iterator[dict[str, Any]]:
        """Changes after `since` (default: from now on), then each one as this process
        learns of it from the database (LISTEN on PostgreSQL, the poll on SQLite)."""
        engine, chosen = self._following_engine(), set(keys)
        for key in keys:
            engine.get_rule(key)  # a typo should not wait forever in silence
        last = engine.revision if since is None else since  # before subscribing: no gap
        arrived: queue.SimpleQueue = queue.SimpleQueue()
        subscription = engine.subscribe(arrived.put, keys or None)
        try:
            for change in self._replay(last, keys):
                if not chosen or change["key"] in chosen:
                    yield change
                last = change["revision"]
            shown = engine.redaction(True)
            while True:
                try:
                    change = arrived.get(timeout=WAKE_SECONDS)
                except queue.Empty:
                    continue
                if change.revision > last:  # the replay may have shown it already
                    last = change.revision
                    yield shown.change(change)
        finally:
            engine.unsubscribe(subscription)

    def _following_engine(self):
        if not self._watch:
            self.close()  # an engine opened without its watcher never hears of others
            self._engine, self._watch = None, True
        return self.engine

    def _replay(self, since: int, keys: list[str]) -> Iterator[dict[str, Any]]:
        while True:
            page = self.engine.get_notifications(REPLAY_PAGE, since=since, key=wanted(keys))
            yield from page
            if not page:  # a page may stop short of REPLAY_PAGE at its bytes: go on
                return
            since = page[-1]["revision"]


SNAPSHOT_FIELDS = ("id", "description", "tags", "timestamp", "created_by", "revision",
                   "key_count", "pinned")  # what the API shows of one


def _snapshot_info(record: dict[str, Any]) -> dict[str, Any]:
    return {name: record[name] for name in SNAPSHOT_FIELDS}


def _plain(result) -> dict[str, Any]:
    """A reset, rollback or import result as the API shows it: its changes as records."""
    shown_changes = [change.as_dict() for change in result["changes"]]
    return {**{name: result[name] for name in result}, "changes": shown_changes}


def _record(record: dict[str, Any]) -> dict[str, Any]:
    """A policy rule or change request as the API shows it (times as ISO 8601 text)."""
    shown = {name: value.isoformat() if isinstance(value, datetime) else value
             for name, value in record.items()}
    if "content_hash" in record:
        shown["approved_by"] = [a["user"] for a in record["approvals"]
                                if a["content_hash"] == record["content_hash"]]
    return shown
