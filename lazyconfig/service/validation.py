"""Validation before the write lock (docs/architecture.md, "Validation and the write lock").

A write's values are checked against the rules this process holds before the write takes
the database-wide lock; a custom validator, a pattern or a large value then costs its time
outside it. Inside the transaction, on the caught-up state, each check is only a look-up:
the verdict holds if the key's rule is the one it was checked against and the value the
same object. Otherwise the rule (or the key's stored values) changed in between:
`RulesMoved` ends the transaction, and the write is checked again, outside the lock.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Callable

from ..domain import ConfigurationValidationRule
from ..domain.rules import ValueType
from ..errors import ValueTooLarge
from ..settings import Settings

Rule = ConfigurationValidationRule
Check = Callable[[Rule, Any], tuple[Any, list[str]]]


class RulesMoved(Exception):
    """A verdict made before the lock does not fit the caught-up state: check again."""


@dataclass(frozen=True)
class ValueCaps:
    """The longest value a key of each type may hold, in characters: a string's own, a
    json value's compact JSON text. Other types are small by nature."""

    string: int
    json: int

    @classmethod
    def from_settings(cls, settings: Settings) -> "ValueCaps":
        return cls(settings.max_string_value, settings.max_json_value)

    def problem(self, rule: Rule, value: Any) -> str | None:
        if rule.value_type in (ValueType.STRING, ValueType.ENUM) and isinstance(value, str):
            size, cap = len(value), self.string
        elif rule.value_type is ValueType.JSON and value is not None:
            size = len(json.dumps(value, ensure_ascii=False, separators=(",", ":")))
            cap = self.json
        else:
            return None
        if size <= cap:
            return None
        return (f"is {size} characters long; a {rule.value_type.value} value may be at most "
                f"{cap}")


def checked(rule: Rule, value: Any) -> tuple[Any, list[str]]:
    """The check made where no verdicts are kept (pure planning, and memory-only paths)."""
    return rule.check(value)


class Verdicts:
    """Checks made before the lock (`check` records them), then, once `sealed`, only
    looked up: a miss raises RulesMoved."""

    def __init__(self, caps: ValueCaps):
        self._caps = caps
        self._seen: dict[tuple[str, int], tuple[Rule, Any, Any]] = {}
        self._sealed = False

    def seal(self) -> "Verdicts":
        self._sealed = True
        return self

    def check(self, rule: Rule, value: Any) -> tuple[Any, list[str]]:
        """(the value as stored, its problems), as `rule.check`; ValueTooLarge for a value
        over its type's cap."""
        seen = self._seen.get((rule.key, id(value)))
        if self._sealed:
            if seen is None or seen[1] is not value or not (seen[0] is rule or seen[0] == rule):
                raise RulesMoved(rule.key)
            verdict = seen[2]
        else:
            verdict = self._judge(rule, value)
            self._seen[(rule.key, id(value))] = (rule, value, verdict)
        if isinstance(verdict, ValueTooLarge):
            raise verdict
        return verdict

    def _judge(self, rule: Rule, value: Any) -> Any:
        stored, problems = rule.check(value)
        too_large = None if problems else self._caps.problem(rule, stored)
        if too_large:
            return ValueTooLarge({rule.key: [too_large]})
        return stored, problems
