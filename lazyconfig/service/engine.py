"""ConfigurationEngine: the spec's Python API, a facade over the service modules and the
feature mixins (features.py). Reads come from the replica's immutable State; writes are
planned by planning.py, applied by writes.py, snapshots.py and rules.py, run by pipeline.py."""
from __future__ import annotations

from functools import partial
from typing import Any, Callable, Iterable, Mapping

from ..coherence.notifier import Subscription
from ..coherence.replica import Replica
from ..db.protocols import Storage
from ..domain import Change, ConfigEntry, ConfigurationValidationRule
from ..domain.documents import export_document, read_import_document
from ..domain.redaction import Redaction
from ..errors import UnknownKey
from ..settings import Settings
from . import planning, reads, rules, snapshots, validation, writes
from .apply import Author
from .compaction import ChangeLogCompaction
from .features import FeatureOperations
from .pipeline import WritePipeline
from .service_manager import Integrations
from .results import ImportResult, ResetResult, RollbackResult, UpdateResult, WriteResult, applied
from .snapshots import Retention

_MISSING = object()


class ConfigurationEngine(FeatureOperations):
    def __init__(self, *, settings: Settings, storage: Storage, replica: Replica, freshness,
                 validators: rules.Validators, load_sources: Callable[[Mapping | None], Any],
                 default_user: str, database=None, closers: Iterable[Callable] = (), context=None):
        """Built by bootstrap.bootstrap(); the parts are passed in so tests can pass fakes."""
        self.settings, self.database, self.default_user = settings, database, default_user
        self.storage, self.replica, self.freshness = storage, replica, freshness
        self.pipeline = WritePipeline(storage, replica, freshness,
                                      validation.ValueCaps.from_settings(settings))
        self.observers = self.pipeline.observers  # add a WriteObserver to hear of writes
        self._validators, self._load_sources = validators, load_sources
        self._retention = Retention(settings.snapshot_max_count, settings.snapshot_max_age_days)
        self.change_log = ChangeLogCompaction.from_settings(self.pipeline, storage, settings,
                                                            default_user)
        self.observers.add(self.change_log)  # compacts now and then, after writes
        self._closers, self._services = [self.change_log.close, *closers], Integrations()
        self.context = context or {}  # who this process is: get() answers for it (targeting.py)
        replica.follow(self._take_state)

    def close(self) -> None:
        self._services.stop()
        for close in self._closers:
            close()
        self._closers.clear()

    @property
    def revision(self) -> int:
        return self.replica.state.revision

    def get(self, key: str, default: Any = _MISSING) -> Any:
        """`key`'s value for this process's context; UnknownKey (or `default`) if unknown."""
        try:
            return self._values[key]
        except KeyError:
            if default is _MISSING:
                raise UnknownKey(key) from None
            return default

    def get_entry(self, key: str) -> ConfigEntry:
        return planning.known(self.replica.state.entries, key)

    def entries(self) -> dict[str, ConfigEntry]:
        return self.replica.state.entries.to_dict()

    def get_rule(self, key: str) -> ConfigurationValidationRule:
        return planning.known(self.replica.state.rules, key)

    def list_rules(self) -> list[ConfigurationValidationRule]:
        return sorted(self.replica.state.rules.values(), key=lambda r: r.key)

    def redaction(self, reveal: bool = False) -> Redaction:
        """How values are shown to a caller who may (`reveal`) or may not see secrets."""
        return Redaction(self.replica.state.rules, reveal)

    def validate(self, key: str, value: Any) -> list[str]:
        """The messages `value` would be refused with for `key`; [] when valid."""
        problems = reads.check(self.replica.state, key, value, self.pipeline.caps)
        if problems:
            self.observers.refused("validate", [key])
        return problems

    def validate_configuration(self) -> dict[str, list[str]]:
        """Rejected layer values, unknown names in layers, values breaking today's rules."""
        return reads.problems(self.replica.state, dict(self._services.errors))

    def get_configuration_summary(self) -> dict[str, Any]:
        """Counts, sources and validation status; sensitive values are masked."""
        return reads.summary(self.replica.state, self.validate_configuration())

    def export(self, include_sensitive: bool = False) -> dict[str, Any]:
        """Effective values and their sources as a document `import_configuration` takes."""
        state = self.replica.state
        return export_document(state.revision, state.entries,
                               self.redaction(include_sensitive).value, state.targeting)

    def get_notifications(self, limit: int = 50, since: int | None = None, key: str | None = None,
                          include_sensitive: bool = True) -> list[dict[str, Any]]:
        """Changes in revision order: the `limit` after `since`, or the newest `limit`."""
        planning.check_text("key", key)
        return reads.notifications(self.storage, self.redaction(include_sensitive), limit,
                                   since, key)

    def get_history(self, key: str, limit: int = 50, offset: int = 0,
                    include_sensitive: bool = True) -> tuple[list[dict[str, Any]], int]:
        """A key's changes, newest first, and how many there are in all."""
        self.get_rule(key)
        return reads.history(self.storage, self.redaction(include_sensitive), key, limit, offset)

    def list_snapshots(self, limit: int | None = None, offset: int = 0) -> list[dict[str, Any]]:
        return self.snapshot_page(limit or 1_000_000, offset)[0]

    def snapshot_page(self, limit: int, offset: int = 0) -> tuple[list[dict[str, Any]], int]:
        """Snapshot metadata, newest first, and the total count."""
        return reads.snapshot_page(self.storage, limit, offset)

    def get_snapshot(self, snapshot_id: int, include_sensitive: bool = True) -> dict[str, Any]:
        return reads.snapshot(self.storage, self.redaction(include_sensitive), snapshot_id)

    def diff_snapshots(self, snapshot_id: int, against: int | None = None,
                       include_sensitive: bool = True) -> dict[str, Any]:
        """Keys added, removed and changed from one snapshot to another, or to now."""
        return reads.snapshot_diff(self.storage, self.redaction(include_sensitive),
                                   snapshot_id, against)

    def set(self, key: str, value: Any, *, source: str = "runtime", user: str | None = None,
            description: str | None = None, strict: bool = False) -> bool:
        """Set one value; True when applied. An invalid value or unknown key returns False
        (and logs why), or raises with strict=True."""
        return applied(partial(self.write_values, {key: value}, source=source, user=user,
                               description=description, action="set"), key, strict)

    def update(self, updates: Mapping[str, Any], *, source: str = "runtime",
               user: str | None = None, description: str | None = None) -> UpdateResult:
        """Apply every update or none; `result.errors` names the refused keys and why."""
        return UpdateResult.of(partial(self.write_values, updates, source=source, user=user,
                                       description=description), updates)

    def write_values(self, updates: Mapping[str, Any] | Iterable[tuple[str, Any, str | None]], *,
                     source: str = "runtime", user: str | None = None,
                     description: str | None = None, action: str = "batch",
                     expected_versions: Mapping[str, int] | None = None,
                     snapshot_description: str | None = None,
                     request_id: str | None = None) -> WriteResult:
        """The strict form of set/update, for a mapping or (key, value, description) triples:
        raises UnknownKey, ValidationFailed or Conflict, or applies all in one transaction."""
        planning.check_source(source)
        items = planning.update_items(updates)
        writes.refuse_stale(self.replica, expected_versions or {})
        return self._write(partial(
            writes.write_values, items=items, source=source, action=action,
            expected_versions=expected_versions, snapshot=snapshot_description,
            retention=self._retention, author=self._author(user, description, request_id)),
            [key for key, _, _ in items], action,
            partial(planning.checked_writes, items=items, source=source))

    def unset(self, key: str, *, source: str = "runtime", user: str | None = None,
              description: str | None = None, expected_version: int | None = None,
              request_id: str | None = None) -> WriteResult:
        """Remove `key`'s value from one persisted layer (its runtime override by default)."""
        planning.check_source(source)
        expected = {} if expected_version is None else {key: expected_version}
        writes.refuse_stale(self.replica, expected)
        return self._write(partial(writes.unset, key=key, source=source,
                                   expected_version=expected_version,
                                   author=self._author(user, description, request_id)),
                           [key], "unset", None)

    def revert(self, key: str, revision: int, *, user: str | None = None,
               description: str | None = None, expected_version: int | None = None,
               request_id: str | None = None) -> WriteResult:
        """Give `key` the value it had at `revision` (a runtime override, action `revert`)."""
        reverting = writes.Reverting(self.storage, key, revision)
        return self._write(partial(writes.revert, reverting=reverting,
                                   expected_version=expected_version,
                                   author=self._author(user, description, request_id)),
                           [key], "revert", reverting.precheck)

    def reset(self, keys: Iterable[str] | None = None, *, user: str | None = None,
              description: str | None = None, expected_revision: int | None = None,
              request_id: str | None = None) -> ResetResult:
        """Remove runtime overrides (of `keys`, or all), after a safety snapshot."""
        done = self.pipeline.run(partial(
            snapshots.reset, wanted=planning.key_list(keys), retention=self._retention,
            author=self._author(user, description, request_id)), expected_revision)
        return ResetResult(*done.result, done.changes, done.revision)

    def create_snapshot(self, description: str | None = None, tags: Iterable[str] | None = None,
                        *, user: str | None = None, pinned: bool = False) -> int:
        """Capture the persisted layers; returns the new snapshot's id (retention applies)."""
        tags = planning.snapshot_tags(tags)
        return self.pipeline.run(lambda uow, state: snapshots.take_snapshot(
            uow, state, description, tags, user or self.default_user, self._retention,
            pinned).id).result

    def delete_snapshot(self, snapshot_id: int, *, user: str | None = None) -> bool:
        return self.pipeline.run(partial(snapshots.delete, snapshot_id=snapshot_id,
                                         user=user or self.default_user)).result

    def rollback_to_snapshot(self, snapshot_id: int, *, user: str | None = None,
                             keys: Iterable[str] | None = None, dry_run: bool = False,
                             expected_revision: int | None = None, description: str | None = None,
                             request_id: str | None = None) -> RollbackResult:
        """Restore the persisted layers a snapshot captured (or only `keys` of them), if
        every value passes today's rules, after a safety snapshot; dry_run only diffs."""
        restoring = snapshots.Restoring(self.storage, snapshot_id,
                                        None if keys is None else set(planning.key_list(keys)))
        done = self.pipeline.run(partial(
            snapshots.rollback, restoring=restoring, dry_run=dry_run,
            author=self._author(user, description, request_id), retention=self._retention),
            expected_revision, "rollback", restoring.precheck)
        return RollbackResult(snapshot_id, dry_run, *done.result, done.changes, done.revision)

    def import_configuration(self, document: Any, dry_run: bool = False, *,
                             user: str | None = None, expected_revision: int | None = None,
                             description: str | None = None,
                             request_id: str | None = None) -> ImportResult:
        """Apply a document's values (flat {key: value}, or an export document) as runtime
        overrides, all or nothing, after validating the whole document and taking a snapshot."""
        values = read_import_document(document)
        done = self.pipeline.run(partial(
            snapshots.import_values, values=values, dry_run=dry_run, retention=self._retention,
            author=self._author(user, description, request_id)), expected_revision, "import",
            partial(planning.import_writes, values=values))
        return ImportResult(dry_run, *done.result, done.changes, done.revision)

    def add_validation_rule(self, rule: ConfigurationValidationRule, *,
                            user: str | None = None) -> bool:
        """Add a rule: for a new key it defines the key (stored, so every process knows
        it); the validator callable is added on top, in this process only."""
        # Rules are never deleted: a key known here is stored; an unknown one may be, elsewhere.
        if rule.key not in self.replica.state.rules:
            fits = partial(rules.fitting_rule, rule=rule, validators=self._validators)
            self.pipeline.run(partial(writes.define_rule, rule=rule, validators=self._validators,
                                      external=self.replica.external,
                                      author=self._author(user, None, None)), None, "rule", fits)
        rules.add_validator(self.replica, self._validators, rule)
        return True

    def put_rule(self, rule: ConfigurationValidationRule | Mapping[str, Any], *,
                 user: str | None = None, request_id: str | None = None) -> ConfigurationValidationRule:
        """Create or replace a key's declarative rule. Its default and every persisted value
        of the key must pass it; a built-in key keeps its type and origin."""
        if not isinstance(rule, ConfigurationValidationRule):
            rule = ConfigurationValidationRule.from_record(dict(rule))
        fits = partial(rules.fitting_rule, rule=rule, validators=self._validators)
        return self.pipeline.run(partial(
            rules.put_rule, rule=rule, validators=self._validators, external=self.replica.external,
            author=self._author(user, None, request_id)), None, "rule", fits).result

    def subscribe(self, callback: Callable[[Change], object],
                  keys: Iterable[str] | None = None) -> Subscription:
        """Call `callback(change)` for every later change (of `keys`, or all), made in any
        process, in revision order, once each, on the thread that applied it."""
        return self.replica.notifier.subscribe(callback, planning.key_list(keys))

    def unsubscribe(self, subscription: Subscription | int) -> bool:
        return self.replica.notifier.unsubscribe(subscription)

    def refresh(self) -> int:
        """Catch up with writes from other processes now; returns the revision reached."""
        return self.replica.refresh()

    def catch_up(self) -> int:
        """A revision as new as every write acknowledged before the call, on any host."""
        return self.freshness.catch_up()

    def reload_sources(self, env: Mapping[str, str] | None = None) -> None:
        """Read the config file and environment again (after they changed)."""
        with self.replica.lock:
            self.replica.external = self._load_sources(env)
            self.replica.rebuild()

    def integrate_with_service_manager(self, manager=None):
        """Load the values registered services provide as the `service` layer and keep the
        two in sync both ways (see service_manager.py)."""
        return self._services.integrate(self, manager)

    def record_service_errors(self, errors: dict[str, list[str]]) -> None:
        """Replace the reported service problems of each key given; [] clears a key's."""
        self._services.record_errors(errors)

    def _author(self, user: str | None, description: str | None, request_id: str | None):
        return Author(user or self.default_user, description, request_id)

    def _write(self, operation, keys: list[str], action: str, precheck) -> WriteResult:
        done = self.pipeline.run(operation, action=action, precheck=precheck)
        return WriteResult(done.changes, done.revision,
                           {k: done.state.entries[k] for k in keys if k in done.state.entries},
                           done.result)
