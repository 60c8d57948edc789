"""Gradual rollouts: the checks of a definition, and whether a unit has the new value
(docs/targeting.md, "Gradual rollouts").

A unit has the new value when bucket(salt, unit) < percent x 100, so raising the percent
only adds units: a client that has the new value keeps it as the share grows.
"""
from __future__ import annotations

import math
import secrets
from typing import Any, Mapping

from ..errors import ValidationFailed
from .bucketing import BUCKETS, bucket
from .experiments import NAME
from .limits import LABEL_MAX

ROLLOUT = "rollout"  # the value-row source of a key's rollout layer, beside SOURCES
STEPS_MAX, HEALTH_MAX, KEYS_MAX = 20, 10, 50
HOLD_MAX_S = 30 * 86_400
OPS = {"<": float.__lt__, "<=": float.__le__, ">": float.__gt__, ">=": float.__ge__}
BREACH = ("rollback", "pause")


def in_cohort(layer: Mapping[str, Any], unit: str) -> bool:
    """Whether `unit` has the rollout's new value at the layer's current percent."""
    return bucket(layer["salt"], unit) < layer["percent"] * BUCKETS / 100


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _steps_problem(steps: Any) -> str | None:
    if not isinstance(steps, list) or not 0 < len(steps) <= STEPS_MAX or not all(
            isinstance(s, Mapping) and not set(s) - {"percent", "hold_s"} for s in steps):
        return f"steps are a list of 1 to {STEPS_MAX} {{percent, hold_s}}"
    percents = [s.get("percent") for s in steps]
    if not all(_number(p) and 0 < p <= 100 for p in percents):
        return "each percent is a number above 0, at most 100"
    if any(b <= a for a, b in zip(percents, percents[1:])) or percents[-1] != 100:
        return "percents increase step by step and the last is 100"
    if not all(_number(s.get("hold_s", 0)) and 0 <= s.get("hold_s", 0) <= HOLD_MAX_S
               for s in steps):
        return f"each hold_s is a number of seconds from 0 to {HOLD_MAX_S}"
    return None


def _health_problem(rule: Any) -> str | None:
    fields = {"metric", "op", "threshold", "window_s", "min_samples"}
    if not isinstance(rule, Mapping) or set(rule) - fields:
        return "a health rule is {metric, op, threshold, window_s, min_samples}"
    metric = rule.get("metric")
    if not (isinstance(metric, str) and 0 < len(metric) <= LABEL_MAX):
        return f"metric is a name of 1 to {LABEL_MAX} characters"
    if rule.get("op") not in OPS:
        return f"unknown op {rule.get('op')!r}; known: {', '.join(OPS)}"
    if not _number(rule.get("threshold")):
        return "threshold is a finite number"
    window, samples = rule.get("window_s", 60), rule.get("min_samples", 1)
    if not (_number(window) and 0 < window <= HOLD_MAX_S):
        return f"window_s is a number of seconds above 0, at most {HOLD_MAX_S}"
    if isinstance(samples, bool) or not isinstance(samples, int) or not 0 < samples <= 1_000_000:
        return "min_samples is a whole number from 1 to 1,000,000"
    return None


def read_definition(spec: Any, units: tuple[str, ...]) -> dict[str, Any]:
    """A rollout's definition checked for shape (its values are checked by each key's rule
    in the write): ValidationFailed naming each problem."""
    if not isinstance(spec, Mapping):
        raise ValidationFailed({"rollout": ["a rollout is an object"]})
    problems: dict[str, list[str]] = {}
    changes = spec.get("changes")
    if not isinstance(changes, Mapping) or not 0 < len(changes) <= KEYS_MAX:
        problems["changes"] = [f"an object of 1 to {KEYS_MAX} keys to their new values"]
    if (found := _steps_problem(spec.get("steps"))) is not None:
        problems["steps"] = [found]
    health = spec.get("health") or []
    if not isinstance(health, list) or len(health) > HEALTH_MAX:
        problems["health"] = [f"a list of at most {HEALTH_MAX} rules"]
    elif found := [p for p in map(_health_problem, health) if p]:
        problems["health"] = found
    if spec.get("unit", "client_id") not in units:
        problems["unit"] = [f"the unit is one of {', '.join(units)}"]
    if spec.get("on_breach", "rollback") not in BREACH:
        problems["on_breach"] = ["on_breach is rollback or pause"]
    salt = spec.get("salt") or f"roll-{secrets.token_hex(6)}"
    if not (isinstance(salt, str) and NAME.fullmatch(salt)):
        problems["salt"] = ["a salt is 1 to 64 letters, digits, '_', '.' or '-'"]
    if problems:
        raise ValidationFailed(problems)
    return {"changes": dict(changes), "unit": spec.get("unit", "client_id"), "salt": salt,
            "steps": [{"percent": s["percent"], "hold_s": s.get("hold_s", 0)}
                      for s in spec["steps"]],
            "health": [{"metric": r["metric"], "op": r["op"], "threshold": r["threshold"],
                        "window_s": r.get("window_s", 60), "min_samples": r.get("min_samples", 1)}
                       for r in health],
            "on_breach": spec.get("on_breach", "rollback")}
