"""Templates: the engine's template operations (a mixin of ConfigurationEngine) and the
writes they make. Applying one is a batch of runtime overrides like an import: checked
against today's rules before the write lock, all or nothing, after a safety snapshot, with
change-log action `template` (docs/templates.md)."""
from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import partial
from typing import Any, Mapping

from ..db.base import utcnow
from ..db.protocols import Storage, UnitOfWork
from ..domain.model import Change, same
from ..domain.redaction import Redaction
from ..domain.state import State
from ..domain.template_catalog import builtin_templates
from ..domain.templates import Template, define
from ..errors import Conflict, InvalidDocument, TemplateNotFound, ValidationFailed
from . import planning
from .apply import Author, apply
from .results import _Fields
from .snapshots import Retention, take_snapshot
from .validation import Check, checked

log = logging.getLogger(__name__)
BUILTIN = builtin_templates()


@dataclass(frozen=True, eq=False)
class TemplateResult(_Fields):
    name: str
    version: int  # of the template applied
    dry_run: bool
    diff: list[dict[str, Any]]
    safety_snapshot_id: int | None  # None for a dry run, or when nothing changed
    changes: list[Change]
    revision: int


def stored(record: Mapping[str, Any]) -> Template:
    """A Template from its stored record; keys are checked when it is applied, not here, so
    a template naming a key retired since still reads."""
    return define({name: record[name] for name in ("name", "description", "params", "values",
                                                   "derived")}, None,
                  version=record["version"], author=record["author"],
                  created_at=record["created_at"], updated_at=record["updated_at"])


def load(uow: UnitOfWork, name: str) -> Template:
    """A built-in or stored template; TemplateNotFound."""
    if name in BUILTIN:
        return BUILTIN[name]
    record = uow.templates.get(name)
    if record is None:
        raise TemplateNotFound(name)
    return stored(record)


def shown(template: Template, redaction: Redaction) -> dict[str, Any]:
    """A template as a caller may see it: sensitive keys' values (and formulas) masked."""
    data = template.as_dict()
    data["values"] = {k: redaction.value(k, v) for k, v in template.values.items()}
    data["derived"] = {k: redaction.value(k, v) for k, v in template.derived.items()}
    data["keys"] = template.keys()
    return data


def template_writes(state: State, resolved: Mapping[str, Any],
                    check: Check = checked) -> list[planning.LayerWrite]:
    """The runtime overrides giving each key the template's value, for the keys whose
    effective value differs; refused whole if any value breaks today's rules."""
    gone = sorted(key for key in resolved if key not in state.rules)
    if gone:
        raise ValidationFailed({key: ["the key no longer exists"] for key in gone})
    items = [(key, value, None) for key, value in resolved.items()]
    return [w for w in planning.checked_writes(state, items, "runtime", check)
            if not same(state.values.get(w.key), w.value)]


def checked_definition(state: State, definition: Any) -> Template:
    """A definition checked for its shape, its keys, and its values with every parameter
    at its default against today's rules."""
    template = define(definition, state.rules)
    if template.name in BUILTIN:
        raise Conflict(f"{template.name!r} is a built-in template; choose another name")
    template_writes(state, template.resolve())
    return template


def save(uow: UnitOfWork, state: State, *, definition: Any, replacing: str | None,
         author: Author) -> Template:
    """Create a template (replacing=None) or replace the one named `replacing`."""
    template = checked_definition(state, definition)
    existing = uow.templates.get(template.name)
    if replacing is None and existing is not None:
        raise Conflict(f"template {template.name!r} already exists; PUT replaces it")
    if replacing is not None and existing is None:
        raise TemplateNotFound(template.name)
    record = {**template.as_dict(), "author": author.user,
              "version": 1 if existing is None else existing["version"] + 1}
    uow.templates.put(record, utcnow())
    log.info("template %s version %s saved by %s", template.name, record["version"],
             author.user)
    return stored(uow.templates.get(template.name))


def delete(uow: UnitOfWork, state: State, *, name: str, author: Author) -> None:
    if name in BUILTIN:
        raise Conflict(f"{name!r} is a built-in template; it cannot be deleted")
    if not uow.templates.delete(name):
        raise TemplateNotFound(name)
    log.info("template %s deleted by %s", name, author.user)


class Applying:
    """A template and its resolved values, read and checked before the write lock; under
    it, the template is read again and, if it changed, resolved again (then its values miss
    their verdicts, and the pipeline checks them once more)."""

    def __init__(self, storage: Storage, name: str, params: Mapping[str, Any] | None):
        self._storage, self.name, self.params = storage, name, params
        self.template: Template | None = None
        self.resolved: dict[str, Any] = {}

    def precheck(self, state: State, check: Check) -> None:
        with self._storage.reading() as uow:
            template = load(uow, self.name)
        # Kept only once resolved: a refused parameter is refused again under the lock.
        self.template, self.resolved = template, template.resolve(self.params)
        template_writes(state, self.resolved, check)

    def current(self, uow: UnitOfWork) -> tuple[Template, dict[str, Any]]:
        template = load(uow, self.name)
        if self.template is not None and template.as_dict() == self.template.as_dict():
            return self.template, self.resolved
        return template, template.resolve(self.params)


def apply_template(uow: UnitOfWork, state: State, *, applying: Applying, dry_run: bool,
                   author: Author, retention: Retention,
                   check: Check = checked) -> tuple[int, list[dict[str, Any]], int | None]:
    """(template version, diff, safety snapshot id); the diff masks sensitive values."""
    template, resolved = applying.current(uow)
    writes = template_writes(state, resolved, check)
    diff = planning.diff(state, writes, Redaction(state.rules, reveal=False))
    if dry_run or not writes:
        return template.version, diff, None
    safety = take_snapshot(uow, state, f"Before template {template.name}",
                           ["auto", "template"], author.user, retention)
    apply(uow, state, writes, "template", author,
          f"template {template.name} version {template.version}")
    return template.version, diff, safety.id


class TemplateOperations:
    """The engine's template methods (ConfigurationEngine inherits them)."""

    def list_templates(self, include_sensitive: bool = True) -> list[dict[str, Any]]:
        """Built-in templates, then stored ones, by name."""
        with self.storage.reading() as uow:
            found = [*BUILTIN.values(), *(stored(r) for r in uow.templates.all())]
        return [shown(t, self.redaction(include_sensitive)) for t in found]

    def get_template(self, name: str, include_sensitive: bool = True) -> dict[str, Any]:
        with self.storage.reading() as uow:
            return shown(load(uow, name), self.redaction(include_sensitive))

    def create_template(self, definition: Mapping[str, Any], *,
                        user: str | None = None) -> dict[str, Any]:
        """Store a new template (version 1), checked: its shape and keys (InvalidDocument),
        its values at the parameters' defaults against today's rules (ValidationFailed)."""
        return self._save(definition, None, user)

    def replace_template(self, name: str, definition: Mapping[str, Any], *,
                         user: str | None = None) -> dict[str, Any]:
        """Replace a stored template (its version grows by one), checked as on create."""
        definition = {"name": name, **definition}
        if definition["name"] != name:
            raise InvalidDocument(f"the body names template {definition['name']!r}, the "
                                  f"path {name!r}")
        return self._save(definition, name, user)

    def delete_template(self, name: str, *, user: str | None = None) -> None:
        self.pipeline.run(partial(delete, name=name, author=self._author(user, None, None)))

    def apply_template(self, name: str, params: Mapping[str, Any] | None = None,
                       dry_run: bool = False, *, user: str | None = None,
                       expected_revision: int | None = None, description: str | None = None,
                       request_id: str | None = None) -> TemplateResult:
        """Give the template's keys its values (for `params`, else the defaults) as runtime
        overrides, all or none, after a safety snapshot; dry_run only diffs."""
        if params is not None and not isinstance(params, Mapping):
            raise InvalidDocument("params is a JSON object of parameter values")
        applying = Applying(self.storage, name, params)
        done = self.pipeline.run(partial(
            apply_template, applying=applying, dry_run=dry_run, retention=self._retention,
            author=self._author(user, description, request_id)), expected_revision,
            "template", applying.precheck)
        return TemplateResult(name, done.result[0], dry_run, done.result[1], done.result[2],
                              done.changes, done.revision)

    def template_drift(self, name: str, params: Mapping[str, Any] | None = None,
                       include_sensitive: bool = True) -> dict[str, Any]:
        """The keys whose effective value differs from what the template would give."""
        with self.storage.reading() as uow:
            template = load(uow, name)
        state, redaction = self.replica.state, self.redaction(include_sensitive)
        drift = []
        for key, value in template.resolve(params).items():
            rule, entry = state.rules.get(key), state.entries.get(key)
            wanted = value if rule is None else rule.check(value)[0]
            if entry is None or not same(entry.value, wanted):
                drift.append({"key": key, "template_value": redaction.value(key, wanted),
                              "current_value": None if entry is None
                              else redaction.value(key, entry.value),
                              "source": None if entry is None else entry.source})
        return {"name": name, "version": template.version, "drift": drift,
                "in_sync": not drift}

    def _save(self, definition: Any, replacing: str | None, user: str | None) -> dict[str, Any]:
        saved = self.pipeline.run(partial(save, definition=definition, replacing=replacing,
                                          author=self._author(user, None, None))).result
        return shown(saved, self.redaction(True))
