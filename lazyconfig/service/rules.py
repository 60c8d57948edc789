"""Rules: defining or changing a key's rule, and the validators this process adds to rules.

A rule's declarative part is stored, so every process knows the key; a validator callable
lives only in the process that added it, on top of the stored rule.
"""
from __future__ import annotations

import dataclasses

from ..coherence.replica import Replica
from ..db.base import utcnow
from ..db.protocols import Storage, UnitOfWork
from ..domain import BUILTIN_RULES, SOURCES, ConfigurationValidationRule
from ..domain.state import ExternalLayers, State, effective
from . import planning
from .apply import Author
from .validation import Check, checked

Rule = ConfigurationValidationRule


class Validators:
    """The validators this process added, by key; `decorate` puts them on stored rules."""

    def __init__(self) -> None:
        self._custom: dict[str, Rule] = {}

    def add(self, rule: Rule) -> None:
        self._custom[rule.key] = rule

    def decorate(self, rule: Rule, custom: Rule | None = None) -> Rule:
        custom = custom or self._custom.get(rule.key)
        if custom is None or custom.validator is None:
            return rule
        return dataclasses.replace(rule, validator=custom.validator,
                                   error_message=custom.error_message or rule.error_message,
                                   required=rule.required or custom.required)


def add_validator(replica: Replica, validators: Validators, rule: Rule) -> None:
    """Put `rule`'s validator on its key's rule in this process, if the values fit it."""
    with replica.lock:
        state = replica.state
        candidate = validators.decorate(state.rules[rule.key], rule)
        planning.check_rule_fits(state, candidate)
        validators.add(rule)
        replica.rebuild({**state.rules, rule.key: candidate}, touched=[rule.key])


def fitting_rule(state: State, *, rule: Rule, validators: Validators,
                 check: Check = checked) -> tuple[Rule, dict]:
    """(the rule as this process will hold it, its stored record), if a new key does not
    read like an existing one, the rule can be defined, and its default and every persisted
    value pass it. Run before the write lock too, as put_rule's precheck."""
    if rule.key not in state.rules:
        planning.check_distinct_name(state, rule.key)
    record = planning.rule_record(state, rule)
    new = validators.decorate(Rule.from_record(record),
                              rule if rule.validator is not None else None)
    planning.check_rule_fits(state, new, check)
    return new, record


def put_rule(uow: UnitOfWork, state: State, *, rule: Rule, validators: Validators,
             external: ExternalLayers, author: Author, check: Check = checked) -> Rule:
    """Store `rule` for its key if it fits (fitting_rule), and log the key's effective
    value before and after as a change with action `rule`."""
    old = state.rules.get(rule.key)
    new, record = fitting_rule(state, rule=rule, validators=validators, check=check)
    uow.rules.put(record, utcnow(), author.user)
    layers = {**(state.entries[rule.key].layers if old else {}),
              **external.values_for(new)[0], "default": new.default_value}
    layers = {s: layers[s] for s in SOURCES if s in layers}
    uow.changes.append_many([planning.change_row(
        rule.key, state.values.get(rule.key), effective(layers)[0], "default", "rule",
        author.user, utcnow(), "rule defined" if old is None else "rule changed",
        request_id=author.request_id)])
    return new


def seed_builtin_rules(storage: Storage) -> None:
    """Store the built-in keys' rules that the database lacks."""
    with storage.writing() as uow:
        present = uow.rules.keys()
        for rule in BUILTIN_RULES:
            if rule.key not in present:
                uow.rules.put(rule.to_record(), utcnow(), "system")
        uow.commit()
