"""Templates: named, versioned sets of values, some derived from typed parameters by
expressions (expressions.py). A definition is checked here for its shape; its values are
checked against the rules by the service, when it is defined and when it is applied
(docs/templates.md)."""
from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Iterable, Mapping

from ..errors import InvalidDocument
from .expressions import Expression
from .limits import KEY_MAX, TEMPLATE_NAME_MAX, text_problem, value_problem

TEMPLATE_NAME = re.compile(r"[a-z0-9][a-z0-9._-]{0,%d}" % (TEMPLATE_NAME_MAX - 1))
PARAM_NAME = re.compile(r"[a-z_][a-z0-9_]{0,31}")
PARAM_TYPES = ("int", "float", "bool", "string")
NUMBER_MAX = 2 ** 63  # a numeric parameter's magnitude: expressions stay cheap
KEYS_MAX, PARAMS_MAX = 1000, 20
FIELDS = {"name", "description", "params", "values", "derived"}
PARAM_FIELDS = {"type", "default", "description", "min", "max"}
_TRUE, _FALSE = ("true", "1", "yes", "on"), ("false", "0", "no", "off")


@dataclass(frozen=True)
class Param:
    """A template parameter: its type, default and optional numeric bounds."""

    name: str
    type: str
    default: Any
    description: str | None = None
    min: float | None = None
    max: float | None = None

    def read(self, raw: Any) -> Any:
        """`raw` (a JSON value, or text from a command line) as this parameter's value."""
        value = _from_text(self.type, raw) if isinstance(raw, str) and self.type != "string" \
            else raw
        if self.type == "float" and type(value) is int:
            value = float(value)
        if type(value) is not {"int": int, "float": float, "bool": bool,
                               "string": str}[self.type]:
            raise InvalidDocument(f"parameter {self.name!r} must be of type {self.type}")
        if self.type in ("int", "float"):
            # abs() first: isfinite() of an int past a float's range raises.
            if abs(value) > NUMBER_MAX or not math.isfinite(value):
                raise InvalidDocument(f"parameter {self.name!r} must be a finite number of "
                                      f"magnitude at most 2**63")
            if (self.min is not None and value < self.min) or (
                    self.max is not None and value > self.max):
                raise InvalidDocument(f"parameter {self.name!r} must be between {self.min} "
                                      f"and {self.max}")
        elif self.type == "string" and text_problem(value, KEY_MAX * 8):
            raise InvalidDocument(f"parameter {self.name!r} {text_problem(value, KEY_MAX * 8)}")
        return value

    def as_dict(self) -> dict[str, Any]:
        return {"type": self.type, "default": self.default, "description": self.description,
                "min": self.min, "max": self.max}


def _from_text(kind: str, raw: str) -> Any:
    try:
        if kind == "int":
            return int(raw)
        if kind == "float":
            return float(raw)
    except ValueError:
        raise InvalidDocument(f"{raw!r} is not a{'n' if kind == 'int' else ''} {kind}") from None
    if raw.strip().lower() in _TRUE + _FALSE:
        return raw.strip().lower() in _TRUE
    raise InvalidDocument(f"{raw!r} is not a bool (true or false)")


@dataclass(frozen=True)
class Template:
    """A template as stored: `values` are literal, `derived` maps keys to expressions."""

    name: str
    description: str | None
    params: dict[str, Param]
    values: dict[str, Any]
    derived: dict[str, str]
    version: int = 1
    author: str | None = None
    builtin: bool = False
    created_at: datetime | None = None
    updated_at: datetime | None = None
    _expressions: dict[str, Expression] = field(default_factory=dict, compare=False,
                                                repr=False)

    def keys(self) -> list[str]:
        return sorted({*self.values, *self.derived})

    def resolve(self, given: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """Every key's value for these parameter values (the defaults for those not given);
        InvalidDocument for an unknown or ill-typed parameter."""
        given = dict(given or {})
        unknown = sorted(set(given) - set(self.params))
        if unknown:
            raise InvalidDocument(f"template {self.name!r} has no parameter {unknown[0]!r}; "
                                  f"its parameters: {', '.join(sorted(self.params)) or 'none'}")
        params = {name: p.read(given[name]) if name in given else p.default
                  for name, p in self.params.items()}
        resolved = dict(self.values)
        for key, text in self.derived.items():
            expression = self._expressions.get(key) or Expression(text, self.params)
            resolved[key] = expression.evaluate(params)
        return {key: resolved[key] for key in sorted(resolved)}

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "description": self.description, "version": self.version,
                "author": self.author, "builtin": self.builtin,
                "created_at": self.created_at.isoformat() if self.created_at else None,
                "updated_at": self.updated_at.isoformat() if self.updated_at else None,
                "params": {n: p.as_dict() for n, p in self.params.items()},
                "values": dict(self.values), "derived": dict(self.derived)}


def define(data: Any, known_keys: Iterable[str] | None, **stored: Any) -> Template:
    """A Template from a definition ({name, description?, params?, values?, derived?}),
    checked for its shape, and its keys among `known_keys` unless that is None:
    InvalidDocument naming the first problem."""
    if not isinstance(data, Mapping):
        raise InvalidDocument("a template definition is a JSON object")
    extra = sorted(set(data) - FIELDS)
    if extra:
        raise InvalidDocument(f"a template has no field {extra[0]!r}; its fields: "
                              f"{', '.join(sorted(FIELDS))}")
    name, description = data.get("name"), data.get("description")
    if not isinstance(name, str) or not TEMPLATE_NAME.fullmatch(name):
        raise InvalidDocument("a template's name is 1 to 64 of a-z, 0-9, '.', '_' and '-', "
                              "starting with a letter or digit")
    if description is not None and text_problem(description, 4000):
        raise InvalidDocument(f"description {text_problem(description, 4000)}")
    params = _params(_mapping(data, "params"))
    values, derived = _mapping(data, "values"), _mapping(data, "derived")
    _check_keys(values, derived, None if known_keys is None else set(known_keys))
    problem = value_problem(values)
    if problem:
        raise InvalidDocument(f"a template value {problem}")
    expressions = {key: Expression(text, params) for key, text in derived.items()}
    return Template(name, description, params, dict(values), dict(derived),
                    _expressions=expressions, **stored)


def _mapping(data: Mapping, name: str) -> dict:
    found = data.get(name) or {}
    if not isinstance(found, Mapping):
        raise InvalidDocument(f"a template's {name} is a JSON object")
    return dict(found)


def _check_keys(values: dict, derived: dict, known: set[str] | None) -> None:
    keys = [*values, *derived]
    if not keys:
        raise InvalidDocument("a template sets at least one key (values or derived)")
    if len(keys) > KEYS_MAX:
        raise InvalidDocument(f"a template sets at most {KEYS_MAX} keys")
    both = sorted(set(values) & set(derived))
    if both:
        raise InvalidDocument(f"key {both[0]!r} is both in values and in derived")
    unknown = [] if known is None else sorted(set(keys) - known)
    if unknown:
        raise InvalidDocument(f"unknown configuration key in the template: {unknown[0]!r}")


def _params(declared: dict) -> dict[str, Param]:
    if len(declared) > PARAMS_MAX:
        raise InvalidDocument(f"a template has at most {PARAMS_MAX} parameters")
    params = {}
    for name, spec in declared.items():
        if not PARAM_NAME.fullmatch(name) or name in ("min", "max", "round"):
            raise InvalidDocument(f"parameter name {name!r} must be 1 to 32 of a-z, 0-9 and "
                                  "'_', not starting with a digit, and not min, max or round")
        if not isinstance(spec, Mapping) or spec.get("type") not in PARAM_TYPES:
            raise InvalidDocument(f"parameter {name!r} declares a type, one of "
                                  f"{', '.join(PARAM_TYPES)}")
        extra = sorted(set(spec) - PARAM_FIELDS)
        if extra or "default" not in spec:
            raise InvalidDocument(f"parameter {name!r} has a type and a default, and may have "
                                  "a description, min and max; nothing else")
        params[name] = _param(name, spec)
    return params


def _param(name: str, spec: Mapping) -> Param:
    bounds = [spec.get("min"), spec.get("max")]
    if any(b is not None and (type(b) not in (int, float) or not math.isfinite(b))
           for b in bounds) or (bounds != [None, None] and spec["type"] not in ("int", "float")):
        raise InvalidDocument(f"parameter {name!r}: min and max are finite numbers, for a "
                              "number parameter")
    description = spec.get("description")
    if description is not None and text_problem(description, 4000):
        raise InvalidDocument(f"parameter {name!r}: description {text_problem(description, 4000)}")
    # Bounds are floats (as JSON numbers with a fraction), whichever way they were written.
    bounds = [None if b is None else float(b) for b in bounds]
    param = Param(name, spec["type"], None, description, *bounds)
    return Param(name, spec["type"], param.read(spec["default"]), description, *bounds)
