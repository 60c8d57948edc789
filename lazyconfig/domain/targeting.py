"""Targeting: who a process says it is (its context), the rules that give matching
processes another value of a key, and how a key's value is decided for one context
(docs/targeting.md). Pure functions over plain data; the rules are stored as the key's
`targeting` layer and an experiment running on it as its `experiment` layer."""
from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from typing import Any, Callable, Mapping

from ..errors import InvalidDocument, ValidationFailed
from .bucketing import BUCKETS, bucket
from .experiments import variant_of
from .rollouts import ROLLOUT, in_cohort

TARGETING, EXPERIMENT = "targeting", "experiment"  # value-row sources beside SOURCES
ATTRIBUTES = ("client_id", "cluster", "host", "version", "region", "tenant", "environment")
CONTEXT_MAX_BYTES = 4096  # of a context's compact JSON
CONTEXT_MAX_ATTRIBUTES = 32
RULES_MAX, CONDITIONS_MAX, LISTED_MAX = 100, 8, 1000
SEMVER_OPS = {"semver_eq": (0,), "semver_gt": (1,), "semver_gte": (0, 1),
              "semver_lt": (-1,), "semver_lte": (-1, 0)}
OPS = ("equals", "in", "prefix", "percent", *SEMVER_OPS)
_SEMVER = re.compile(r"v?(\d{1,9})\.(\d{1,9})\.(\d{1,9})(?:-([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?")
_SCALARS = (str, int, float, bool)


def read_context(context: Any) -> dict[str, Any]:
    """`context` checked: an object of at most 32 attributes, each text, a number or a
    boolean, at most 4 KiB as JSON; InvalidDocument otherwise."""
    if context is None:
        return {}
    if not isinstance(context, Mapping):
        raise InvalidDocument("a context must be a JSON object of attribute to value, such as "
                              '{"client_id": "loader-7", "cluster": "eu-1"}')
    if len(context) > CONTEXT_MAX_ATTRIBUTES:
        raise InvalidDocument(f"a context holds at most {CONTEXT_MAX_ATTRIBUTES} attributes")
    for name, value in context.items():
        if not isinstance(name, str) or not isinstance(value, _SCALARS) or (
                isinstance(value, float) and not math.isfinite(value)):
            raise InvalidDocument(f"context attribute {name!r} must be text, a finite number "
                                  "or a boolean")
    if len(json.dumps(context, separators=(",", ":"))) > CONTEXT_MAX_BYTES:
        raise InvalidDocument(f"a context is at most {CONTEXT_MAX_BYTES} bytes of JSON")
    return dict(context)


def parse_context(text: str | None) -> dict[str, Any]:
    """A context from its JSON text (a query parameter, a header, a setting)."""
    if text is None or text == "":
        return {}
    if len(text) > CONTEXT_MAX_BYTES * 2:
        raise InvalidDocument(f"a context is at most {CONTEXT_MAX_BYTES} bytes of JSON")
    try:
        return read_context(json.loads(text))
    except ValueError:
        raise InvalidDocument("the context is not valid JSON") from None


def semver(text: Any) -> tuple | None:
    """A comparable form of a semantic version ("1.4.0", "v2.0.0-rc.1"), or None."""
    found = _SEMVER.fullmatch(text) if isinstance(text, str) else None
    if found is None:
        return None
    major, minor, patch, pre = found.groups()
    # A pre-release sorts before its release; its identifiers numerically, then as text.
    tags = (1,) if pre is None else (0, *((0, int(p), "") if p.isdigit() else (1, 0, p)
                                          for p in pre.split(".")))
    return int(major), int(minor), int(patch), tags


def _condition_problem(condition: Any) -> str | None:
    if not isinstance(condition, Mapping) or set(condition) - {"attribute", "op", "value"}:
        return "a condition is {attribute, op, value}"
    attribute, op, value = condition.get("attribute"), condition.get("op"), condition.get("value")
    if attribute not in ATTRIBUTES:
        return f"unknown attribute {attribute!r}; known: {', '.join(ATTRIBUTES)}"
    if op not in OPS:
        return f"unknown op {op!r}; known: {', '.join(OPS)}"
    if op == "equals" and not isinstance(value, _SCALARS):
        return "equals compares with text, a number or a boolean"
    if op == "in" and not (isinstance(value, list) and 0 < len(value) <= LISTED_MAX
                           and all(isinstance(v, _SCALARS) for v in value)):
        return f"in takes a list of 1 to {LISTED_MAX} texts, numbers or booleans"
    if op == "prefix" and not (isinstance(value, str) and value):
        return "prefix takes a non-empty text"
    if op in SEMVER_OPS and semver(value) is None:
        return f"{op} takes a semantic version such as 1.4.0"
    if op == "percent" and (attribute != "client_id" or isinstance(value, bool)
                            or not isinstance(value, (int, float)) or not 0 <= value <= 100):
        return "percent takes a number from 0 to 100, of client_id"
    return None


def read_rules(rules: Any) -> list[dict[str, Any]]:
    """Targeting rules checked for shape (not their values: the key's rule does that):
    a list of {when: [conditions], value, description?}; ValidationFailed naming each."""
    if not isinstance(rules, list) or len(rules) > RULES_MAX:
        raise ValidationFailed({"rules": [f"rules are a list of at most {RULES_MAX}"]})
    problems: dict[str, list[str]] = {}
    for n, rule in enumerate(rules):
        found = _rule_problems(rule)
        if found:
            problems[f"rules[{n}]"] = found
    if problems:
        raise ValidationFailed(problems)
    return [{"when": [dict(c) for c in r["when"]], "value": r["value"],
             "description": r.get("description")} for r in rules]


def read_conditions(conditions: Any, field: str) -> list[dict[str, Any]]:
    """An audience: up to 8 conditions, all of which a context must meet ([] for all)."""
    if conditions is None:
        return []
    if not isinstance(conditions, list) or len(conditions) > CONDITIONS_MAX:
        raise ValidationFailed({field: [f"a list of at most {CONDITIONS_MAX} conditions"]})
    problems = [p for p in map(_condition_problem, conditions) if p]
    if problems:
        raise ValidationFailed({field: problems})
    return [dict(c) for c in conditions]


def _rule_problems(rule: Any) -> list[str]:
    if not isinstance(rule, Mapping) or "value" not in rule or set(rule) - {
            "when", "value", "description"}:
        return ["a rule is {when: [conditions], value, description?}"]
    when = rule.get("when")
    if not isinstance(when, list) or not 0 < len(when) <= CONDITIONS_MAX:
        return [f"when is a list of 1 to {CONDITIONS_MAX} conditions"]
    if not isinstance(rule.get("description"), (str, type(None))):
        return ["description is text"]
    return [p for p in map(_condition_problem, when) if p]


def matches(condition: Mapping[str, Any], context: Mapping[str, Any], salt: str) -> bool:
    """Whether `context` meets one condition; a missing attribute meets none."""
    have = context.get(condition["attribute"])
    if have is None:
        return False
    op, value = condition["op"], condition["value"]
    if op == "equals":
        return have == value and type(have) is type(value)
    if op == "in":
        return any(have == v and type(have) is type(v) for v in value)
    if op == "prefix":
        return isinstance(have, str) and have.startswith(value)
    if op == "percent":  # grows monotonically: a client inside stays inside as it rises
        return bucket(salt, str(have)) < value * BUCKETS / 100
    mine = semver(have)
    return mine is not None and _sign(mine, semver(value)) in SEMVER_OPS[op]


def _sign(a: tuple, b: tuple) -> int:
    return (a > b) - (a < b)


def meets(conditions: list[Mapping[str, Any]], context: Mapping[str, Any], salt: str) -> bool:
    return all(matches(c, context, salt) for c in conditions)


@dataclass(frozen=True)
class Decision:
    """What decided a key's value for a context: the layer, and the rule or experiment."""

    value: Any
    layer: str  # "targeting", "experiment", or the source of the plain value
    rule: int | None = None
    experiment: int | None = None
    variant: str | None = None
    unit: str | None = None  # the context attribute an experiment assigned by
    rollout: int | None = None


@dataclass(frozen=True)
class KeyTargeting:
    """One key's targeting rules, running experiment and rollout, as stored."""

    key: str
    rules: tuple = ()
    experiment: Mapping[str, Any] | None = None
    rollout: Mapping[str, Any] | None = None

    def decide(self, context: Mapping[str, Any]) -> Decision | None:
        """The targeted value for `context`, or None when the plain value applies. Rules
        first, in order; then the experiment; then the rollout."""
        for n, rule in enumerate(self.rules):
            if meets(rule["when"], context, self.key):
                return Decision(rule["value"], TARGETING, rule=n)
        return self._experiment(context) or self._rollout(context)

    def _rollout(self, context: Mapping[str, Any]) -> Decision | None:
        rollout = self.rollout
        unit = context.get(rollout["unit"]) if rollout else None
        if unit is None or not in_cohort(rollout, str(unit)):
            return None
        return Decision(rollout["value"], ROLLOUT, rollout=rollout["id"], unit=rollout["unit"])

    def _experiment(self, context: Mapping[str, Any]) -> Decision | None:
        experiment = self.experiment
        unit = context.get(experiment["unit"]) if experiment else None
        if unit is None or not meets(experiment["audience"], context, experiment["salt"]):
            return None
        found = variant_of(experiment, str(unit))
        if found is None:
            return None
        return Decision(found["value"], EXPERIMENT, experiment=experiment["id"],
                        variant=found["name"], unit=experiment["unit"])


def key_targeting(key: str, layers: Mapping[str, Any]) -> KeyTargeting | None:
    """A key's targeting from its persisted layers, or None when it has none."""
    rules, experiment = layers.get(TARGETING), layers.get(EXPERIMENT)
    if not rules and not experiment and not layers.get(ROLLOUT):
        return None
    return KeyTargeting(key, tuple(rules or ()), experiment, layers.get(ROLLOUT))


def resolved(values: dict[str, Any], targeting: Mapping[str, KeyTargeting],
             context: Mapping[str, Any], exposed: Callable[[Decision], None]) -> dict[str, Any]:
    """`values` as `context` sees them: the plain map itself when nothing is targeted;
    `exposed` hears of each experiment that decides a value."""
    if not targeting or not context:
        return values
    seen = dict(values)
    for key, target in targeting.items():
        decision = target.decide(context)
        if decision is not None:
            seen[key] = decision.value
            if decision.experiment is not None:
                exposed(decision)
    return seen


def layer_values(source: str, value: Any) -> list[tuple[str, Any]]:
    """The configuration values a persisted layer holds, each with a label: one for a
    plain layer, one per rule of a targeting layer, one per variant of an experiment."""
    if source == TARGETING:
        return [(f"{source} rule {n}", r["value"]) for n, r in enumerate(value)]
    if source == EXPERIMENT:
        return [(f"{source} variant {v['name']}", v["value"]) for v in value["variants"]]
    if source == ROLLOUT:
        return [(f"rollout {value['id']}", value["value"])]
    return [(source, value)]
