"""ConfigurationEngine: the service layer the spec names.

Reads come from an immutable in-memory State and never touch the database. Every write runs
in a transaction that takes the database-wide write lock, catches up with other writers,
validates, writes value rows and change-log rows together, and commits; the engine then
swaps in the next State and tells subscribers, in revision order. Writes queued at the same
moment share one transaction (group_commit.py).
"""
from __future__ import annotations

import contextlib
import dataclasses
import getpass
import logging
import os
import threading
import time
import uuid
from collections import Counter
from datetime import timedelta
from types import SimpleNamespace
from typing import Any, Callable, Iterable, Iterator, Mapping

from sqlalchemy.exc import DataError, DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from ..coherence.coalesced import CoalescedCall
from ..db import migrate
from ..db.base import utcnow
from ..db.connection import make_engine
from ..domain.documents import (export_document, layer_diff, read_import_document, snapshot_info,
                        to_change)
from ..domain import BUILTIN_RULES, MASK, SOURCES, WRITABLE_SOURCES, Change, ConfigEntry
from ..domain import ConfigurationValidationRule
from ..errors import (ConfigurationError, Conflict, InvalidSource, SnapshotNotFound,
                     StorageUnavailable, UnknownKey, ValidationFailed)
from ..coherence.group_commit import GroupCommit, Queued
from ..coherence.host_head import HostHead
from ..coherence.notifier import Notifier, Subscription
from ..coherence.read_lease import FORGET, LeaseFacts, ReadLease
from ..db.head import ChangeLogHead
from ..db.unit_of_work import UnitOfWork, session_factories
from ..settings import Settings
from .sources import ExternalLayers
from ..domain.state import KeyMeta, State, build, effective
from ..coherence.watcher import RevisionWatcher

log = logging.getLogger(__name__)
change_log = logging.getLogger("lazyconfig.changes")
# The database is down, unreachable, or so busy that no pooled connection came free in time.
UNREACHABLE = (DBAPIError, PoolTimeout)
REMOVE = object()  # a LayerWrite value that deletes the layer
_MISSING = object()
ANSWERED = 16  # a write of at most this many keys remembers its entries for written_entry


@dataclasses.dataclass(frozen=True)
class LayerWrite:
    key: str
    source: str
    value: Any
    description: str | None = None


class UpdateResult(dict):
    """{key: applied}. All values are True or all False (updates are atomic); `errors` holds
    the messages for the keys that were refused."""

    def __init__(self, results: Mapping[str, bool], errors: dict[str, list[str]] | None = None):
        super().__init__(results)
        self.errors = errors or {}


def _os_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def _key_list(keys: Iterable[str] | str | None) -> list[str] | None:
    """`keys` as a list; one key given as a plain string is that key, not its letters."""
    if keys is None:
        return None
    return [keys] if isinstance(keys, str) else list(keys)


def _same(a: Any, b: Any) -> bool:
    return type(a) is type(b) and a == b


class ConfigurationEngine:
    def __init__(self, settings: Settings | None = None, *,
                 env: Mapping[str, str] | None = None, watch: bool = True):
        env = dict(os.environ if env is None else env)
        self.settings = settings or Settings.from_env(env)
        self._db = make_engine(self.settings.database_url)
        if self.settings.auto_migrate:
            migrate.run(self._db)
        self._reader, self._writer = session_factories(self._db)
        self._head_query = ChangeLogHead(self.settings.database_url)
        self._head = CoalescedCall(self._head_query)  # concurrent requests share a query
        self._host = HostHead(self.settings.database_url, self.settings.run_dir)
        self._lease = ReadLease(self._host, self._lease_facts, self._catch_up_to, self._enlist)
        self._fence_until = 0.0  # no write is answered before this monotonic time
        self._lock = threading.RLock()  # held by writers and refreshers, never by readers
        self._writes = GroupCommit(self._lock, self._run_group)
        self._written = threading.local()  # per thread: entries its last write left
        self._validators: dict[str, ConfigurationValidationRule] = {}
        self._service_errors: dict[str, list[str]] = {}
        self._notifier = Notifier()
        self._integrations: dict[int, Any] = {}  # id(manager) -> its ServiceIntegration
        self.default_user = _os_user()  # who a Python call without user= is attributed to
        self._external = ExternalLayers.load(env, self.settings.config_file)
        self._seed_builtin_rules()
        self._swap(self._load())
        self._watcher = None
        if watch:
            # _ask_database, not refresh: a poll that finds nothing new takes no lock, so
            # the watcher never makes a writer or a reader wait.
            self._watcher = RevisionWatcher(self._ask_database, self.settings.database_url,
                                            self.settings.poll_interval)
            self._watcher.start()

    # -- lifecycle -------------------------------------------------------------------------
    def close(self) -> None:
        for integration in list(self._integrations.values()):
            integration.stop()  # a closed engine must not keep writing a manager's values
        self._integrations.clear()
        if self._watcher is not None:
            self._watcher.stop()
        self._lease.stop()
        self._host.close()
        self._head_query.dispose()
        self._db.dispose()

    @property
    def revision(self) -> int:
        return self._state.revision

    @property
    def database(self):
        return self._db

    # -- reads: memory only ----------------------------------------------------------------
    def get(self, key: str, default: Any = _MISSING) -> Any:
        """The effective value of `key`; UnknownKey if no rule defines it (unless a default
        is given). Never touches the database."""
        try:
            return self._values[key]
        except KeyError:
            if default is _MISSING:
                raise UnknownKey(key) from None
            return default

    def get_entry(self, key: str) -> ConfigEntry:
        try:
            return self._state.entries[key]
        except KeyError:
            raise UnknownKey(key) from None

    def written_entry(self, key: str) -> ConfigEntry:
        """`key`'s entry as this thread's last write left it: the answer to a write
        describes that write, not a later one that shared its transaction. Once only; after
        that, or if that write did not change `key`, the current entry."""
        written, self._written.entries = getattr(self._written, "entries", {}), {}
        return written.get(key) or self.get_entry(key)

    def entries(self) -> dict[str, ConfigEntry]:
        return self._state.entries.to_dict()

    def get_rule(self, key: str) -> ConfigurationValidationRule:
        try:
            return self._state.rules[key]
        except KeyError:
            raise UnknownKey(key) from None

    def list_rules(self) -> list[ConfigurationValidationRule]:
        return sorted(self._state.rules.values(), key=lambda r: r.key)

    def is_sensitive(self, key: str) -> bool:
        rule = self._state.rules.get(key)
        return bool(rule and rule.sensitive)

    def mask(self, key: str, value: Any) -> Any:
        return MASK if self.is_sensitive(key) and value is not None else value

    def validate(self, key: str, value: Any) -> list[str]:
        """The messages `value` would be refused with for `key`; [] when valid. Applies nothing."""
        rule = self._state.rules.get(key)
        if rule is None:
            return [f"unknown configuration key: {key!r}"]
        return rule.check(value)[1]

    def validate_configuration(self) -> dict[str, list[str]]:
        """Every current problem: rejected file, environment and service values, unknown
        names in those layers, and current values that break today's rules."""
        state = self._state
        errors = {k: list(v) for k, v in state.key_errors.items()}
        # A copy: a service integration may record errors from another thread meanwhile.
        for source in (state.external_errors, dict(self._service_errors)):
            for key, messages in source.items():
                errors.setdefault(key, []).extend(messages)
        for key, entry in state.entries.items():
            for message in state.rules[key].check(entry.value)[1]:
                errors.setdefault(key, []).append(f"current {entry.source} value invalid: {message}")
        return errors

    def get_configuration_summary(self) -> dict[str, Any]:
        """Counts, sources and validation status; sensitive values are masked."""
        state = self._state
        errors = self.validate_configuration()
        counts = Counter(entry.source for entry in state.entries.values())
        return {
            "total_values": len(state.entries),
            "revision": state.revision,
            "sources": {source: counts.get(source, 0) for source in SOURCES},
            "validation_status": {"valid": not errors,
                                  "error_count": sum(len(m) for m in errors.values()),
                                  "errors": errors},
            "custom_keys": sum(1 for r in state.rules.values() if r.origin == "custom"),
            "values": {key: state.rules[key].masked(value) for key, value in state.values.items()},
        }

    def export(self, include_sensitive: bool = False) -> dict[str, Any]:
        """Effective values and their sources as a document `import_configuration` takes."""
        state = self._state
        mask = (lambda key, value: value) if include_sensitive else self.mask
        return export_document(state.revision, state.entries, mask)

    # -- reads: the database ---------------------------------------------------------------
    def get_notifications(self, limit: int = 50, since: int | None = None, key: str | None = None,
                          include_sensitive: bool = True) -> list[dict[str, Any]]:
        """Changes in revision order: the `limit` after `since`, or the newest `limit`."""
        with self._reading() as uow:
            rows = uow.changes.latest(limit, since=since, key=key)
        return [self._change_dict(to_change(row), include_sensitive) for row in rows]

    def get_history(self, key: str, limit: int = 50, offset: int = 0,
                    include_sensitive: bool = True) -> tuple[list[dict[str, Any]], int]:
        """A key's changes, newest first, and how many there are in all."""
        self.get_rule(key)
        with self._reading() as uow:
            rows = uow.changes.latest(limit + offset, key=key)
            total = uow.changes.count(key)
        newest_first = list(reversed(rows))[offset:offset + limit]
        return [self._change_dict(to_change(r), include_sensitive) for r in newest_first], total

    def list_snapshots(self, limit: int | None = None, offset: int = 0) -> list[dict[str, Any]]:
        return self.snapshot_page(limit or 1_000_000, offset)[0]

    def snapshot_page(self, limit: int, offset: int = 0) -> tuple[list[dict[str, Any]], int]:
        """Snapshot metadata, newest first, and the total count."""
        with self._reading() as uow:
            rows, total = uow.snapshots.page(limit, offset)
        return [snapshot_info(row) for row in rows], total

    def get_snapshot(self, snapshot_id: int, include_sensitive: bool = True) -> dict[str, Any]:
        with self._reading() as uow:
            row = uow.snapshots.get(snapshot_id)
            if row is None:
                raise SnapshotNotFound(snapshot_id)
            info = snapshot_info(row)
            data = row.data
        mask = (lambda key, value: value) if include_sensitive else self.mask
        info["values"] = {key: {source: mask(key, value) for source, value in layers.items()}
                          for key, layers in data.items()}
        return info

    # -- writes ----------------------------------------------------------------------------
    def set(self, key: str, value: Any, *, source: str = "runtime", user: str | None = None,
            description: str | None = None, strict: bool = False) -> bool:
        """Set one value; True when applied. An invalid value or unknown key returns False
        (and logs why), or raises with strict=True."""
        try:
            self.write_values({key: value}, source=source, user=user, description=description,
                              action="set")
        except (UnknownKey, ValidationFailed) as exc:
            if strict:
                raise
            log.warning("set %s refused: %s", key, exc.message)
            return False
        return True

    def update(self, updates: Mapping[str, Any], *, source: str = "runtime",
               user: str | None = None, description: str | None = None) -> UpdateResult:
        """Apply every update or none. `all(result.values())` is True exactly when all were
        applied; `result.errors` names the refused keys and why."""
        try:
            self.write_values(updates, source=source, user=user, description=description)
        except ValidationFailed as exc:
            return UpdateResult({key: False for key in updates}, exc.errors)
        except UnknownKey as exc:
            return UpdateResult({key: False for key in updates},
                                {exc.key: [f"unknown configuration key: {exc.key!r}"]})
        return UpdateResult({key: True for key in updates})

    def write_values(self, updates: Mapping[str, Any] | Iterable[tuple[str, Any, str | None]], *,
                     source: str = "runtime", user: str | None = None,
                     description: str | None = None, action: str = "batch",
                     expected_versions: Mapping[str, int] | None = None,
                     snapshot_description: str | None = None,
                     request_id: str | None = None) -> list[Change]:
        """The strict form of set/update: raises UnknownKey, ValidationFailed or Conflict and
        changes nothing, or applies everything in one transaction and returns the changes.
        `updates` is a mapping, or (key, value, description) triples."""
        self._check_source(source)
        items = ([(k, v, None) for k, v in updates.items()] if isinstance(updates, Mapping)
                 else list(updates))
        duplicates = sorted({k for k, n in Counter(k for k, _, _ in items).items() if n > 1})
        if duplicates:
            raise ValidationFailed({k: ["appears more than once in one update"] for k in duplicates})

        def operation(uow: UnitOfWork, state: State) -> list[Change]:
            writes = self._checked_writes(state, items, source)
            self._check_versions(state, expected_versions or {})
            if snapshot_description is not None:
                self._take_snapshot(uow, state, snapshot_description, ["auto", "batch"], user)
            return self._apply(uow, state, writes, action=action, user=user,
                               description=description, request_id=request_id)
        self._refuse_stale(expected_versions or {})
        return self._write(operation)

    def unset(self, key: str, *, source: str = "runtime", user: str | None = None,
              description: str | None = None, expected_version: int | None = None,
              request_id: str | None = None) -> list[Change]:
        """Remove `key`'s value from one persisted layer (its runtime override by default)."""
        self.get_rule(key)
        self._check_source(source)

        def operation(uow: UnitOfWork, state: State) -> list[Change]:
            if expected_version is not None:
                self._check_versions(state, {key: expected_version})
            if source not in state.persisted.get(key, {}):
                return []
            return self._apply(uow, state, [LayerWrite(key, source, REMOVE)], action="unset",
                               user=user, description=description, request_id=request_id)
        self._refuse_stale({} if expected_version is None else {key: expected_version})
        return self._write(operation)

    def reset(self, keys: Iterable[str] | None = None, *, user: str | None = None,
              description: str | None = None, expected_revision: int | None = None,
              request_id: str | None = None) -> dict[str, Any]:
        """Remove runtime overrides (of `keys`, or all), after a safety snapshot."""
        wanted = _key_list(keys)
        for key in wanted or []:
            self.get_rule(key)

        def operation(uow: UnitOfWork, state: State) -> dict[str, Any]:
            targets = [k for k in (wanted if wanted is not None else sorted(state.persisted))
                       if "runtime" in state.persisted.get(k, {})]
            snapshot = self._take_snapshot(uow, state, "Before reset", ["auto", "reset"], user)
            writes = [LayerWrite(k, "runtime", REMOVE) for k in targets]
            changes = self._apply(uow, state, writes, action="reset", user=user,
                                  description=description, request_id=request_id)
            return {"reset": targets, "snapshot_id": snapshot.id, "changes": changes}
        return self._write(operation, expected_revision=expected_revision)

    def create_snapshot(self, description: str | None = None, tags: Iterable[str] | None = None,
                        *, user: str | None = None, pinned: bool = False) -> int:
        """Capture the persisted layers; returns the new snapshot's id. Old unpinned
        snapshots beyond the retention limits are deleted in the same transaction."""
        if isinstance(tags, str):  # list("nightly") would silently tag it n, i, g, h...
            raise ValidationFailed({"tags": ["tags must be a list of strings, not one string"]})
        tags = list(tags or [])
        if not all(isinstance(tag, str) for tag in tags):
            raise ValidationFailed({"tags": ["tags must be strings"]})
        return self._write(lambda uow, state: self._take_snapshot(
            uow, state, description, tags, user, pinned).id)

    def delete_snapshot(self, snapshot_id: int, *, user: str | None = None) -> bool:
        def operation(uow: UnitOfWork, state: State) -> bool:
            if not uow.snapshots.delete(snapshot_id):
                raise SnapshotNotFound(snapshot_id)
            log.info("snapshot %s deleted by %s", snapshot_id, user)
            return True
        return self._write(operation)

    def rollback_to_snapshot(self, snapshot_id: int, *, user: str | None = None,
                             keys: Iterable[str] | None = None, dry_run: bool = False,
                             expected_revision: int | None = None, description: str | None = None,
                             request_id: str | None = None) -> dict[str, Any]:
        """Restore the persisted layers captured by a snapshot (or only `keys` of them).
        Every value is checked against today's rules first; if any fails, nothing changes.
        Otherwise a safety snapshot of the replaced state is taken and each changed key is
        logged with action `rollback`. With dry_run, returns the diff and changes nothing."""
        chosen = None if keys is None else set(_key_list(keys))

        def operation(uow: UnitOfWork, state: State) -> dict[str, Any]:
            row = uow.snapshots.get(snapshot_id)
            if row is None:
                raise SnapshotNotFound(snapshot_id)
            target = row.data
            if chosen is not None:
                unknown = sorted(chosen - set(state.rules) - set(target))
                if unknown:
                    raise UnknownKey(unknown[0])
            self._check_restorable(state, target, chosen, snapshot_id)
            writes = self._rollback_writes(state, target, chosen)
            diff = self._diff(state, writes)
            result = {"snapshot_id": snapshot_id, "dry_run": dry_run, "diff": diff,
                      "safety_snapshot_id": None, "changes": []}
            if dry_run or not writes:
                return result
            safety = self._take_snapshot(uow, state, f"Before rollback to snapshot {snapshot_id}",
                                         ["auto", "rollback"], user)
            result["safety_snapshot_id"] = safety.id
            result["changes"] = self._apply(
                uow, state, writes, action="rollback", user=user,
                description=description or f"rollback to snapshot {snapshot_id}",
                request_id=request_id)
            return result
        return self._write(operation, expected_revision=expected_revision)

    def import_configuration(self, document: Any, dry_run: bool = False, *,
                             user: str | None = None, expected_revision: int | None = None,
                             description: str | None = None,
                             request_id: str | None = None) -> dict[str, Any]:
        """Apply an exported document's values as runtime overrides, all or nothing.
        The whole document is validated first; a snapshot is taken before applying."""
        values = read_import_document(document)

        def operation(uow: UnitOfWork, state: State) -> dict[str, Any]:
            # Masked sensitive values ("***" from an export) leave the current value alone.
            items = [(k, v, None) for k, v in values.items()
                     if not (v == MASK and k in state.rules and state.rules[k].sensitive)]
            writes = [w for w in self._checked_writes(state, items, "runtime")
                      if not _same(state.values.get(w.key), w.value)]
            result = {"dry_run": dry_run, "diff": self._diff(state, writes),
                      "snapshot_id": None, "changes": []}
            if dry_run or not writes:
                return result
            result["snapshot_id"] = self._take_snapshot(uow, state, "Before import",
                                                        ["auto", "import"], user).id
            result["changes"] = self._apply(uow, state, writes, action="import", user=user,
                                            description=description or "import",
                                            request_id=request_id)
            return result
        return self._write(operation, expected_revision=expected_revision)

    def revert(self, key: str, revision: int, *, user: str | None = None,
               description: str | None = None, expected_version: int | None = None,
               request_id: str | None = None) -> list[Change]:
        """Set `key` back to the effective value it had at `revision`, as a runtime override:
        checked against today's rules and logged with action `revert`."""
        self.get_rule(key)

        def operation(uow: UnitOfWork, state: State) -> list[Change]:
            if expected_version is not None:
                self._check_versions(state, {key: expected_version})
            if not 0 <= revision <= state.revision:
                raise ValidationFailed({"revision": [
                    f"revision {revision} does not exist; the configuration is at revision "
                    f"{state.revision}"]})
            found, value = uow.changes.value_at(key, revision)
            if not found:  # never changed: its value then is its value now
                value = state.values[key]
            writes = self._checked_writes(state, [(key, value, None)], "runtime")
            return self._apply(uow, state, writes, action="revert", user=user,
                               description=description or f"revert to revision {revision}",
                               request_id=request_id)
        return self._write(operation)

    def diff_snapshots(self, snapshot_id: int, against: int | None = None,
                       include_sensitive: bool = True) -> dict[str, Any]:
        """Keys added, removed and changed in the persisted layers from one snapshot to
        another (`against`), or to the current configuration when `against` is None."""
        with self._reading() as uow:
            old = self._snapshot_data(uow, snapshot_id)
            new = uow.values.layers() if against is None else self._snapshot_data(uow, against)
        mask = (lambda key, value: value) if include_sensitive else self.mask
        return {"from": snapshot_id, "to": "current" if against is None else against,
                **layer_diff(old, new, mask)}

    @staticmethod
    def _snapshot_data(uow: UnitOfWork, snapshot_id: int) -> dict[str, dict[str, Any]]:
        row = uow.snapshots.get(snapshot_id)
        if row is None:
            raise SnapshotNotFound(snapshot_id)
        return row.data

    # -- rules -----------------------------------------------------------------------------
    def add_validation_rule(self, rule: ConfigurationValidationRule, *,
                            user: str | None = None) -> bool:
        """Add a rule. For a new key this defines the key (its declarative part is stored so
        every process knows the key); for an existing key the validator is added on top of
        its rule. The validator callable lives in this process only."""
        existing = self._state.rules.get(rule.key)
        if existing is None:
            self.put_rule(rule, user=user)
        with self._lock:
            state = self._state
            candidate = self._with_validator(state.rules[rule.key], rule)
            self._check_rule_fits(state, candidate)
            self._validators[rule.key] = rule
            rules = {**state.rules, rule.key: candidate}
            self._swap(build(state.revision, rules, state.persisted, state.meta, self._external,
                             previous=state, touched=[rule.key]))
        return True

    def put_rule(self, rule: ConfigurationValidationRule | Mapping[str, Any], *,
                 user: str | None = None, request_id: str | None = None) -> ConfigurationValidationRule:
        """Create or replace a key's declarative rule. Its default and every persisted value
        of the key must pass it; a built-in key keeps its type and origin."""
        if not isinstance(rule, ConfigurationValidationRule):
            rule = ConfigurationValidationRule.from_record(dict(rule))

        def operation(uow: UnitOfWork, state: State) -> ConfigurationValidationRule:
            old = state.rules.get(rule.key)
            record = rule.to_record()
            if old is not None:
                if old.origin == "builtin" and old.value_type != rule.value_type:
                    raise ValidationFailed({rule.key: [
                        f"a built-in key keeps its type ({old.value_type.value})"]})
                record["origin"] = old.origin
            custom = rule if rule.validator is not None else self._validators.get(rule.key)
            new = self._with_validator(ConfigurationValidationRule.from_record(record), custom)
            self._check_rule_fits(state, new)
            uow.rules.put(record, utcnow(), user or self.default_user)
            layers = {**(state.entries[rule.key].layers if old else {}),
                      **self._external.values_for(new)[0], "default": new.default_value}
            layers = {s: layers[s] for s in SOURCES if s in layers}
            uow.changes.append_many([self._change_row(
                rule.key, state.values.get(rule.key), effective(layers)[0], "default", "rule",
                user, "rule defined" if old is None else "rule changed", None, request_id)])
            return new
        return self._write(operation)

    # -- subscriptions ---------------------------------------------------------------------
    def subscribe(self, callback: Callable[[Change], object],
                  keys: Iterable[str] | None = None) -> Subscription:
        """Call `callback(change)` for every later change (of `keys`, or all), made in this
        process or any other, in revision order, once each. Callbacks run on the thread that
        applied the change: keep them short."""
        return self._notifier.subscribe(callback, _key_list(keys))

    def unsubscribe(self, subscription: Subscription | int) -> bool:
        return self._notifier.unsubscribe(subscription)

    def refresh(self) -> int:
        """Catch up with writes from other processes now; returns the revision reached.

        The database is read without the engine lock, so that this process's writers do not
        wait behind the round trips of a refresh; the lock is taken only to swap the state in
        (and, if a write or another refresh moved it meanwhile, to read again from there).
        Subscribers still see each change once, in order: publishing happens with the swap."""
        base = self._state
        with self._reading() as uow:
            state, changes = self._advance(uow, base)
        if not changes:
            return self._state.revision  # nothing committed after `base`; we hold at least it
        with self._lock:
            if self._state is not base:
                if self._state.revision >= state.revision:
                    return self._state.revision  # a write or another refresh got as far
                with self._reading() as uow:
                    state, changes = self._advance(uow, self._state)
            if changes:
                self._swap(state)
                self._notifier.publish(changes)
            return self._state.revision

    def catch_up(self) -> int:
        """Before an API read: returns a revision at least as new as every write acknowledged
        before the call, by any process on any host. Under a read lease (read_lease.py) that
        is two memory reads; otherwise it asks the database (_ask_database)."""
        revision = self._state.revision
        if self._lease.holds() and self._host.read() <= revision:
            return revision
        return self._ask_database()

    def _ask_database(self) -> int:
        """Like refresh(), but cheap when nothing changed: one indexed query for the change
        log's head, without the engine lock, so concurrent readers do not queue behind each
        other or behind a writer. Returns a revision at least as new as every write committed
        before the call."""
        try:
            head = self._head()
        except UNREACHABLE as exc:
            raise StorageUnavailable("the configuration database is unavailable") from exc
        # Writers commit revisions in order, so a head we already hold means we hold it all.
        return self._state.revision if head <= self._state.revision else self.refresh()

    def reload_sources(self, env: Mapping[str, str] | None = None) -> None:
        """Read the config file and environment again (after they changed)."""
        with self._lock:
            self._external = ExternalLayers.load(dict(os.environ if env is None else env),
                                                 self.settings.config_file)
            state = self._state
            self._swap(build(state.revision, state.rules, state.persisted, state.meta,
                             self._external))

    def integrate_with_service_manager(self, manager=None):
        """Load the values registered services provide as the `service` layer and keep the
        two in sync both ways (see lazyconfig.service.service_manager)."""
        from .service_manager import ServiceIntegration, get_service_manager
        manager = manager or get_service_manager()
        with self._lock:  # one integration per manager: integrating again must not double up
            integration = self._integrations.get(id(manager))
            if integration is None:
                integration = self._integrations[id(manager)] = ServiceIntegration(self, manager)
        return integration.start()

    def record_service_errors(self, errors: dict[str, list[str]]) -> None:
        """Replace the reported service problems of each key given; [] clears a key's."""
        for key, messages in errors.items():
            if messages:
                self._service_errors[key] = list(messages)
            else:
                self._service_errors.pop(key, None)

    # -- internals -------------------------------------------------------------------------
    def _swap(self, state: State) -> None:
        self._state = state
        self._values = state.values

    @contextlib.contextmanager
    def _reading(self) -> Iterator[UnitOfWork]:
        """A read-only unit of work; a database failure surfaces as StorageUnavailable, as
        it does for writes."""
        try:
            with UnitOfWork(self._reader) as uow:
                yield uow
        except UNREACHABLE as exc:
            log.error("database error during a read: %s", exc)
            raise StorageUnavailable("the configuration database is unavailable") from exc

    @staticmethod
    def _commit(uow: UnitOfWork) -> None:
        # A connection lost during COMMIT leaves the outcome unknown: the database may have
        # committed before it went, so "nothing was changed" would be a lie.
        try:
            uow.commit()
        except DBAPIError as exc:
            log.error("database error while committing a write: %s", exc)
            raise StorageUnavailable("the configuration database became unavailable while "
                                     "committing; the change may or may not have been "
                                     "applied: read it back before retrying") from exc

    def _write(self, operation: Callable[[UnitOfWork, State], Any], *,
               expected_revision: int | None = None) -> Any:
        """Run `operation(uow, state)` in a write transaction and return its result; the
        transaction may be shared with other threads' writes (group commit)."""
        done = self._writes.submit(operation, expected_revision)
        wait = self._fence_until - time.monotonic()
        if wait > 0:  # other hosts may still read under leases that predate this write
            time.sleep(wait)
        self._log_changes(done.changes)
        # Remember the entries this write left for written_entry(), only when it changed a
        # few keys: an idle thread must not keep a whole old state alive.
        self._written.entries = {} if done.state is None or len(done.changes) > ANSWERED else {
            c.key: done.state.entries[c.key] for c in done.changes if c.key in done.state.entries}
        return done.outcome()

    def _run_group(self, group: list[Queued]) -> None:
        """Run a group of writes in one transaction, each on the state the previous one
        left. If one of them fails, the transaction rolls back whole and each is run again
        alone, so no write fails because of another's error. A database that is down, or a
        commit whose outcome is unknown, fails them all: running them again could apply a
        write twice."""
        try:
            self._transaction(group)
        except StorageUnavailable as exc:
            for queued in group:
                queued.fail(exc)
        except Exception as exc:
            if len(group) == 1:
                group[0].fail(exc)
                return
            for queued in group:
                self._run_group([queued])

    def _transaction(self, group: list[Queued]) -> None:
        outcomes = []
        started = time.monotonic()
        try:
            self._lease.enlist_writer()
            with UnitOfWork(self._writer, write=True) as uow:
                state, caught_up = self._advance(uow, self._state)
                for queued in group:
                    expected = queued.expected_revision
                    if expected is not None and expected != state.revision:
                        raise Conflict(f"expected revision {expected}, but the "
                                       f"configuration is at revision {state.revision}",
                                       current=state.revision)
                    appended = len(uow.changes.appended)
                    result = queued.operation(uow, state)
                    # On PostgreSQL the change log's trigger notifies the other processes.
                    state, own = self._advance_own(uow, state, appended)
                    if isinstance(result, dict) and result.get("changes"):
                        result["revision"] = state.revision
                    outcomes.append((result, own, state))
                self._commit(uow)
        except DataError as exc:  # the database refused a value: the caller's fault
            reason = getattr(getattr(exc.orig, "diag", None), "message_primary", None)
            raise ConfigurationError(f"the database refused a value ({reason or exc.orig}); "
                                     "nothing was changed") from exc
        except UNREACHABLE as exc:
            log.error("database error during a write: %s", exc)
            raise StorageUnavailable("the configuration database is unavailable; "
                                     "nothing was changed") from exc
        if any(own for _, own, _ in outcomes):  # this host's readers learn of it before any answer
            self._fence_until = max(self._fence_until,
                                    self._lease.fence(self._host.advance(state.revision), started))
        self._swap(state)
        self._notifier.publish(caught_up + [c for _, own, _ in outcomes for c in own])
        for queued, outcome in zip(group, outcomes):
            queued.succeed(*outcome)

    def _lease_facts(self) -> LeaseFacts:
        return LeaseFacts(*self._head_query.lease_facts(self._host.id))

    def _catch_up_to(self, head: int) -> None:
        if head <= self._state.revision:
            return
        # Our own write may be what moved the head, committed but not yet swapped in: let
        # it finish instead of reading its rows back and building a second copy of the
        # state beside its own (a 10,000-key rollback: tens of MB for nothing).
        with self._lock:
            pass
        if head > self._state.revision:
            self.refresh()

    def _enlist(self, writes: bool) -> tuple:
        try:
            with UnitOfWork(self._writer, write=True) as uow:
                now, seen_writing = uow.hosts.enlist(self._host.id, writes)
                uow.hosts.forget(seen_before=now - FORGET)
                newest_other = uow.hosts.newest_other(self._host.id)
                uow.commit()
        except UNREACHABLE as exc:
            raise StorageUnavailable("the configuration database is unavailable; "
                                     "nothing was changed") from exc
        return now, seen_writing, newest_other

    def _log_changes(self, changes: list[Change]) -> None:
        """One log line per change, in the process that made it (sensitive values masked)."""
        if not change_log.isEnabledFor(logging.INFO):
            return  # a rollback of 10,000 keys need not build 10,000 unused dicts
        for change in changes:
            fields = {"event": "change", **self._change_dict(change, include_sensitive=False)}
            change_log.info("change %s: %s by %s (revision %s)", change.key, change.action,
                            change.user, change.revision, extra={"fields": fields})

    def _load(self) -> State:
        with self._reading() as uow:
            revision = uow.changes.head()
            rules = {row.key: self._rule_from_row(row) for row in uow.rules.all()}
            persisted = uow.values.layers()
            meta = {row.key: KeyMeta(row.id, row.at, row.actor)
                    for row in uow.changes.last_per_key()}
        return build(revision, rules, persisted, meta, self._external)

    def _advance(self, uow: UnitOfWork, state: State) -> tuple[State, list[Change]]:
        """The state after the changes committed since `state`, and those changes."""
        changes = [to_change(row) for row in uow.changes.since(state.revision)]
        return self._advanced(uow, state, changes, uow.values.layers)

    def _advance_own(self, uow: UnitOfWork, state: State,
                     appended: int) -> tuple[State, list[Change]]:
        """The state after this transaction's own writes (those past the first `appended`
        change rows), from what its repositories recorded instead of reading them back: we
        hold the database-wide write lock, so no other writer's change can be among them."""
        changes = [to_change(SimpleNamespace(**row)) for row in uow.changes.appended[appended:]]
        return self._advanced(uow, state, changes,
                              lambda keys: uow.values.written_layers(state.persisted, keys))

    def _advanced(self, uow: UnitOfWork, state: State, changes: list[Change],
                  layers_of: Callable[[set[str]], dict]) -> tuple[State, list[Change]]:
        if not changes:
            return state, []
        keys = {c.key for c in changes}
        rules = state.rules
        rule_keys = {c.key for c in changes if c.action == "rule"}
        if rule_keys:
            rules = {**rules, **{row.key: self._rule_from_row(row)
                                 for row in uow.rules.for_keys(rule_keys)}}
        layers = layers_of(keys)
        persisted = state.persisted.updated(layers, [key for key in keys if key not in layers])
        meta = state.meta.updated({c.key: KeyMeta(c.revision, c.timestamp, c.user)
                                   for c in changes})  # the last change of each key wins
        return build(changes[-1].revision, rules, persisted, meta, self._external,
                     previous=state, touched=keys), changes

    def _seed_builtin_rules(self) -> None:
        with UnitOfWork(self._writer, write=True) as uow:
            present = uow.rules.keys()
            missing = [rule for rule in BUILTIN_RULES if rule.key not in present]
            for rule in missing:
                uow.rules.put(rule.to_record(), utcnow(), "system")
            uow.commit()

    def _rule_from_row(self, row) -> ConfigurationValidationRule:
        record = {name: getattr(row, name) for name in (
            "key", "value_type", "default", "min_value", "max_value", "min_exclusive", "choices",
            "pattern", "required", "sensitive", "description", "unit", "error_message", "origin")}
        rule = ConfigurationValidationRule.from_record(record)
        return self._with_validator(rule, self._validators.get(row.key))

    @staticmethod
    def _with_validator(rule: ConfigurationValidationRule,
                        custom: ConfigurationValidationRule | None) -> ConfigurationValidationRule:
        if custom is None or custom.validator is None:
            return rule
        return dataclasses.replace(rule, validator=custom.validator,
                                   error_message=custom.error_message or rule.error_message,
                                   required=rule.required or custom.required)

    def _check_rule_fits(self, state: State, rule: ConfigurationValidationRule) -> None:
        problems = []
        if rule.default_value is not None or rule.required:
            problems += [f"default value: {m}" for m in rule.check(rule.default_value)[1]]
        for source, value in state.persisted.get(rule.key, {}).items():
            problems += [f"current {source} value: {m}" for m in rule.check(value)[1]]
        if problems:
            raise ValidationFailed({rule.key: problems})

    @staticmethod
    def _checked_writes(state: State, items, source: str) -> list[LayerWrite]:
        errors: dict[str, list[str]] = {}
        writes = []
        for key, value, description in items:
            rule = state.rules.get(key)
            if rule is None:
                raise UnknownKey(key)
            value, problems = rule.check(value)
            if problems:
                errors[key] = problems
            writes.append(LayerWrite(key, source, value, description))
        if errors:
            raise ValidationFailed(errors)
        return writes

    @staticmethod
    def _check_source(source: str) -> None:
        if source not in WRITABLE_SOURCES:
            raise InvalidSource(f"source {source!r} cannot be written; use one of "
                                f"{', '.join(WRITABLE_SOURCES)}")

    def _refuse_stale(self, expected: Mapping[str, int]) -> None:
        """Conflict at once, without the write lock, when an expected version is older than
        one this process already holds: versions only grow, so it can no longer match."""
        state = self._state
        if any(version < state.meta.get(key, KeyMeta()).version
               for key, version in expected.items()):
            self._check_versions(state, expected)

    @staticmethod
    def _check_versions(state: State, expected: Mapping[str, int]) -> None:
        stale = {key: state.meta.get(key, KeyMeta()).version for key, version in expected.items()
                 if state.meta.get(key, KeyMeta()).version != version}
        if stale:
            detail = ", ".join(f"{k} is at version {v}, not {expected[k]}" for k, v in stale.items())
            raise Conflict(f"version mismatch: {detail}", current=stale)

    @staticmethod
    def _check_restorable(state: State, target: dict, chosen: set | None, snapshot_id: int) -> None:
        errors: dict[str, list[str]] = {}
        for key, layers in target.items():
            if chosen is not None and key not in chosen:
                continue
            rule = state.rules.get(key)
            if rule is None:
                errors[key] = ["the key no longer exists"]
                continue
            for source, value in layers.items():
                errors.setdefault(key, []).extend(
                    f"{source} value: {m}" for m in rule.check(value)[1])
        errors = {k: v for k, v in errors.items() if v}
        if errors:
            detail = "; ".join(f"{k}: {', '.join(errors[k])}" for k in sorted(errors))
            raise ValidationFailed(errors, f"snapshot {snapshot_id} cannot be restored under "
                                           f"today's rules: {detail}")

    @staticmethod
    def _rollback_writes(state: State, target: dict, chosen: set | None) -> list[LayerWrite]:
        keys = sorted(set(target) | set(state.persisted))
        writes = []
        for key in keys:
            if chosen is not None and key not in chosen:
                continue
            current, wanted = state.persisted.get(key, {}), target.get(key, {})
            for source in WRITABLE_SOURCES:
                have, want = current.get(source, REMOVE), wanted.get(source, REMOVE)
                if want is REMOVE and have is not REMOVE:
                    writes.append(LayerWrite(key, source, REMOVE))
                elif want is not REMOVE and (have is REMOVE or not _same(have, want)):
                    writes.append(LayerWrite(key, source, want))
        return writes

    def _diff(self, state: State, writes: list[LayerWrite]) -> list[dict[str, Any]]:
        """What `writes` would do to each key's effective value."""
        working: dict[str, dict[str, Any]] = {}
        for w in writes:
            layers = working.setdefault(w.key, dict(state.entries[w.key].layers))
            layers.pop(w.source, None) if w.value is REMOVE else layers.__setitem__(w.source, w.value)
        diff = []
        for key, layers in working.items():
            new, source = effective(layers)
            diff.append({"key": key, "old_value": self.mask(key, state.values[key]),
                         "new_value": self.mask(key, new), "source": source})
        return diff

    def _take_snapshot(self, uow: UnitOfWork, state: State, description: str | None,
                       tags: list[str], user: str | None, pinned: bool = False):
        # `state` has caught up under the write lock, so its layers are the database's:
        # no need to read and decode every value row again (10,000 keys: ~30 ms).
        data = state.persisted.to_dict()
        now = utcnow()
        row = uow.snapshots.add(description=description, tags=tags, pinned=pinned, created_at=now,
                                created_by=user or self.default_user, revision=state.revision,
                                key_count=len(data), data=data)
        pruned = uow.snapshots.prune(self.settings.snapshot_max_count,
                                     now - timedelta(days=self.settings.snapshot_max_age_days))
        if pruned:
            log.info("snapshot retention deleted %d snapshot(s): %s", len(pruned), pruned)
        return row

    def _apply(self, uow: UnitOfWork, state: State, writes: list[LayerWrite], *, action: str,
               user: str | None, description: str | None = None,
               request_id: str | None = None) -> list[Change]:
        """Write value rows and their change-log rows; returns the new changes."""
        if not writes:
            return []
        batch_id = str(uuid.uuid4()) if len(writes) > 1 else None
        working: dict[str, dict[str, Any]] = {}
        rows = []
        for w in writes:
            layers = working.setdefault(w.key, dict(state.entries[w.key].layers))
            old = effective(layers)[0]
            layers.pop(w.source, None) if w.value is REMOVE else layers.__setitem__(w.source, w.value)
            rows.append(self._change_row(w.key, old, effective(layers)[0], w.source, action, user,
                                         w.description or description, batch_id, request_id))
        rows = uow.changes.append_many(rows)
        uow.values.delete_many((w.key, w.source) for w in writes if w.value is REMOVE)
        uow.values.put_many([
            {"key": w.key, "source": w.source, "value": w.value, "revision": row["id"],
             "updated_at": row["at"], "updated_by": row["actor"],
             "description": row["description"]}
            for w, row in zip(writes, rows) if w.value is not REMOVE])
        return [to_change(SimpleNamespace(**row)) for row in rows]

    def _change_row(self, key, old, new, source, action, user, description, batch_id, request_id):
        return {"at": utcnow(), "key": key, "old_value": old, "new_value": new, "source": source,
                "action": action, "actor": user or self.default_user, "description": description,
                "batch_id": batch_id, "request_id": request_id}

    def _change_dict(self, change: Change, include_sensitive: bool) -> dict[str, Any]:
        data = change.as_dict()
        if not include_sensitive and self.is_sensitive(change.key):
            data["old_value"] = self.mask(change.key, change.old_value)
            data["new_value"] = self.mask(change.key, change.new_value)
        return data


_engines: dict[str, ConfigurationEngine] = {}
_engines_lock = threading.Lock()


def get_configuration_engine(settings: Settings | None = None) -> ConfigurationEngine:
    """The process's engine for the configured database (LAZYCONFIG_DATABASE_URL, or an
    SQLite file in the instance folder), created on first use."""
    settings = settings or Settings.from_env()
    with _engines_lock:
        engine = _engines.get(settings.database_url)
        if engine is None:
            engine = _engines[settings.database_url] = ConfigurationEngine(settings)
        return engine


def close_configuration_engines() -> None:
    """Close every engine get_configuration_engine made (tests and shutdown use this)."""
    with _engines_lock:
        for engine in _engines.values():
            engine.close()
        _engines.clear()
