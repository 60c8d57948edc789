"""Config migrations: the pending steps (domain/key_migrations.py) applied to every
persisted layer, every snapshot's stored layers and every stored template, in one
transaction through the write pipeline, checked against today's rules; each step recorded
so it runs once, the value changes logged with action `migrate` (docs/config-migrations.md)."""
from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import partial
from typing import Any, Iterable

from ..db.base import utcnow
from ..db.protocols import UnitOfWork
from ..domain import WRITABLE_SOURCES
from ..domain.key_migrations import RELEASE_STEPS, Layers, Step
from ..domain.limits import STEP_ID_MAX
from ..domain.model import Change, same
from ..domain.redaction import Redaction
from ..domain.state import State
from ..domain.templates import define
from ..errors import ConfigurationError, InvalidDocument, ValidationFailed
from . import planning
from .apply import Author, apply
from .planning import REMOVE, LayerWrite
from .results import _Fields

log = logging.getLogger(__name__)


@dataclass(frozen=True, eq=False)
class MigrationResult(_Fields):
    dry_run: bool
    steps: list[str]  # the steps applied now (or that a dry run would apply), in order
    diff: list[dict[str, Any]]  # what they do to effective values (sensitive ones masked)
    snapshots: list[int]  # snapshots whose stored layers changed
    templates: list[str]  # stored templates that changed
    changes: list[Change]
    revision: int


def check_steps(steps: Iterable[Step]) -> tuple[Step, ...]:
    steps = tuple(steps)
    ids = [step.id for step in steps]
    if len(set(ids)) != len(ids) or not all(
            isinstance(i, str) and 0 < len(i) <= STEP_ID_MAX for i in ids):
        raise InvalidDocument(f"config-migration steps need distinct ids of 1 to "
                              f"{STEP_ID_MAX} characters")
    return steps


def migrated(data: Layers, steps: Iterable[Step]) -> Layers:
    for step in steps:
        data = step.layers(data)
    return data


def layer_writes(before: Layers, after: Layers) -> list[LayerWrite]:
    """The writes that turn the persisted layers `before` into `after`."""
    writes = []
    for key in sorted(set(before) | set(after)):
        old, new = before.get(key, {}), after.get(key, {})
        for source in WRITABLE_SOURCES:
            if source in old and source not in new:
                writes.append(LayerWrite(key, source, REMOVE))
            elif source in new and (source not in old or not same(old[source], new[source])):
                writes.append(LayerWrite(key, source, new[source]))
    return writes


def check_values(state: State, writes: list[LayerWrite], gone: set[str]) -> None:
    """ValidationFailed naming every value the migration would leave that today's rules
    refuse, or that lands on a key no rule defines."""
    errors: dict[str, list[str]] = {}
    for w in writes:
        rule = state.rules.get(w.key)
        if w.value is REMOVE:
            continue
        if rule is None or w.key in gone:
            errors.setdefault(w.key, []).append("the key is not defined: define it first")
        else:
            errors.setdefault(w.key, []).extend(
                f"{w.source} value: {m}" for m in rule.check(w.value)[1])
    errors = {key: problems for key, problems in errors.items() if problems}
    if errors:
        raise ValidationFailed(errors, "the config migration was refused; nothing was "
                               "changed: " + "; ".join(f"{k}: {', '.join(m)}"
                                                       for k, m in errors.items()))


def migrated_templates(uow: UnitOfWork, state: State, steps: list[Step],
                       gone: set[str]) -> list[dict[str, Any]]:
    """The stored templates' records the steps change, checked as on create."""
    changed = []
    for record in uow.templates.all():
        values, derived = record["values"], record["derived"]
        for step in steps:
            values, derived = step.template(values, derived)
        if values == record["values"] and derived == record["derived"]:
            continue
        new = {**record, "values": values, "derived": derived, "version": record["version"] + 1}
        try:
            template = define({k: new[k] for k in ("name", "description", "params", "values",
                                                   "derived")}, set(state.rules) - gone)
            resolved = template.resolve()
        except ConfigurationError as exc:
            raise ValidationFailed({f"template {record['name']}": [exc.message]}) from None
        problems = [f"{key}: {m}" for key, value in resolved.items()
                    for m in state.rules[key].check(value)[1]]
        if problems:
            raise ValidationFailed({f"template {record['name']}": problems})
        changed.append(new)
    return changed


def migrate(uow: UnitOfWork, state: State, *, steps: tuple[Step, ...], dry_run: bool,
            author: Author) -> tuple[list[str], list[dict], list[int], list[str]]:
    applied = uow.key_migrations.applied()
    pending = [step for step in steps if step.id not in applied]
    gone = set().union(*(step.gone() for step in pending)) if pending else set()
    undefined = sorted(set().union(*(s.needs() for s in pending)) - set(state.rules))
    if undefined:
        raise ValidationFailed({key: ["the key is not defined: the release's catalog must "
                                      "define it before the steps run"] for key in undefined})
    before = state.persisted.to_dict()
    after = migrated(before, pending)
    gone -= set(after)
    writes = layer_writes(before, after)
    check_values(state, writes, gone)
    templates = migrated_templates(uow, state, pending, gone)
    snapshots = []
    for snapshot_id, _, _ in uow.snapshots.retention_listing():
        data = uow.snapshots.get(snapshot_id).data
        new = migrated(data, pending)
        if new != data:
            snapshots.append((snapshot_id, new))
    diff = planning.diff(state, writes, Redaction(state.rules, reveal=False))
    report = ([s.id for s in pending], diff, sorted(i for i, _ in snapshots),
              [t["name"] for t in templates])
    if dry_run or not pending:
        return report
    _write(uow, state, pending, writes, gone, templates, snapshots, author)
    return report


def _write(uow: UnitOfWork, state: State, pending: list[Step], writes: list[LayerWrite],
           gone: set[str], templates: list[dict], snapshots: list[tuple[int, Layers]],
           author: Author) -> None:
    changes = apply(uow, state, writes, "migrate", author,
                    "config migration " + ", ".join(step.id for step in pending))
    uow.rules.delete(sorted(gone & set(state.rules)))
    now = utcnow()
    for record in templates:
        uow.templates.put(record, now)
    for snapshot_id, data in snapshots:
        uow.snapshots.replace_data(snapshot_id, data)
    revision = changes[-1].revision if changes else state.revision
    for step in pending:
        uow.key_migrations.record(step.id, step.description, now, author.user, revision)
        log.info("config migration step %s applied by %s", step.id, author.user)


class KeyMigrationOperations:
    """The engine's config-migration method (ConfigurationEngine inherits it)."""

    key_migrations: tuple[Step, ...] = RELEASE_STEPS  # bootstrap(key_migrations=) replaces

    def migrate_configuration(self, steps: Iterable[Step] | None = None, dry_run: bool = False,
                              *, user: str | None = None) -> MigrationResult:
        """Apply the steps (default: this release's) not yet applied to this database, to
        values, snapshots and templates, all or nothing; dry_run only reports."""
        steps = check_steps(self.key_migrations if steps is None else steps)
        done = self.pipeline.run(partial(migrate, steps=steps, dry_run=dry_run,
                                         author=self._author(user, None, None)),
                                 action="migrate")
        return MigrationResult(dry_run, *done.result, done.changes, done.revision)
