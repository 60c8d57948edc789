"""Value types and validation rules: what a key may hold, and the messages when it may not."""
from __future__ import annotations

import json
import math
import re
import unicodedata
from dataclasses import dataclass, field, fields
from enum import Enum
from typing import Any, Callable, Iterable

from .limits import KEY_MAX, PATTERN_MAX, UNIT_MAX, text_problem, value_problem
from .patterns import Matcher, compile_pattern, match_problem

# Always fullmatch: with match and `$`, "load_timeout\n" passed as a key of its own.
KEY_PATTERN = re.compile(r"[A-Za-z_][A-Za-z0-9_.\-]{0,%d}" % (KEY_MAX - 1))
MASK = "***"
ORIGINS = ("builtin", "custom")


class ValueType(str, Enum):
    BOOL = "bool"
    INT = "int"
    FLOAT = "float"
    STRING = "string"
    ENUM = "enum"
    JSON = "json"


_TRUE = {"true", "1", "yes", "on"}
_FALSE = {"false", "0", "no", "off"}


def _number(x: float) -> str:
    """A bound as people write it: 1125899906842624, not 1.1259e+15; 0.5, not 0.500000."""
    return str(int(x)) if float(x).is_integer() else repr(float(x))


def _type_name(value: Any) -> str:
    return "null" if value is None else type(value).__name__


def lookalike(key: str, keys: Iterable[str]) -> str | None:
    """Another of `keys` that `key` differs from only in case, whitespace or Unicode form
    (NFKC), or None: two such keys read the same in a listing, so one may not be defined
    beside the other."""
    def folded(name: str) -> str:
        return "".join(unicodedata.normalize("NFKC", name).casefold().split())
    wanted = folded(key)
    return next((other for other in keys if other != key and folded(other) == wanted), None)


def _infer_type(default: Any) -> ValueType:
    if isinstance(default, bool):
        return ValueType.BOOL
    if isinstance(default, int):
        return ValueType.INT
    if isinstance(default, float):
        return ValueType.FLOAT
    if isinstance(default, str):
        return ValueType.STRING
    return ValueType.JSON


@dataclass
class ConfigurationValidationRule:
    """The rule a key's values must follow; defining one for a new key creates that key.

    The first five fields are the spec's constructor. The keyword fields after them are the
    declarative part, stored in the database so that every process enforces them; a
    `validator` callable lives only in the process that added it.
    """

    key: str
    validator: Callable[[Any], Any] | None = None
    error_message: str | None = None
    required: bool = False
    default_value: Any = None
    value_type: ValueType | None = None
    min_value: float | None = None
    max_value: float | None = None
    min_exclusive: bool = False
    choices: tuple[str, ...] | None = None
    pattern: str | None = None
    sensitive: bool = False
    description: str = ""
    unit: str | None = None
    origin: str = "custom"
    _matches: Matcher | None = field(default=None, init=False, repr=False, compare=False)
    # Why RE2 refuses `pattern`: such a rule cannot be defined (storage_problems), and one
    # stored before we used RE2 refuses every string until it is defined again.
    pattern_problem: str | None = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not isinstance(self.key, str) or not KEY_PATTERN.fullmatch(self.key):
            raise ValueError(f"invalid key name {self.key!r}: use letters, digits, '_', '.', "
                             f"'-', at most {KEY_MAX} characters")
        self.value_type = ValueType(self.value_type or _infer_type(self.default_value))
        if self.choices is not None:
            self.choices = tuple(self.choices)
            if self.value_type is ValueType.STRING:
                self.value_type = ValueType.ENUM
        if self.value_type is ValueType.ENUM and not self.choices:
            raise ValueError(f"{self.key}: an enum rule needs choices")
        if self.pattern and len(self.pattern) > PATTERN_MAX:  # never compiled at all
            self.pattern_problem = f"must be at most {PATTERN_MAX} characters"
        elif self.pattern:
            self._matches, self.pattern_problem = compile_pattern(self.pattern)

    def storage_problems(self) -> list[str]:
        """Why this rule cannot be defined as given: texts the database cannot store
        (limits.py), a pattern RE2 refuses; [] when it can. Checked when a rule is defined,
        not here: a rule read back from the database is kept."""
        texts = {"description": (self.description, None), "unit": (self.unit, UNIT_MAX),
                 "pattern": (self.pattern, PATTERN_MAX),
                 "error_message": (self.error_message, None)}
        problems = [f"{name} {problem}" for name, (text, limit) in texts.items()
                    if text is not None and (problem := text_problem(text, limit))]
        if self.choices is not None and (problem := value_problem(list(self.choices))):
            problems.append(f"choices {problem}")
        if self.origin not in ORIGINS:
            problems.append(f"origin must be one of {', '.join(ORIGINS)}")
        if self.pattern_problem and not any(p.startswith("pattern ") for p in problems):
            problems.append(f"pattern {self.pattern_problem}")
        return problems

    # -- checking -------------------------------------------------------------------------
    def check(self, value: Any) -> tuple[Any, list[str]]:
        """Return the value as it would be stored (an int becomes a float for a float key)
        and the list of broken rules; an empty list means the value is valid."""
        value, problem = self._check_type(value)
        errors = [problem] if problem else self._check_bounds(value)
        if not errors and self.validator is not None:
            errors = self._run_validator(value)
        elif errors and self.error_message:
            errors = [f"{self.error_message} ({errors[0]})"] + errors[1:]
        return value, errors

    def _check_type(self, value: Any) -> tuple[Any, str | None]:
        t = self.value_type
        if value is None:
            if t is ValueType.JSON and not self.required:
                return None, None
            return None, "a value is required" if self.required else "must not be null"
        if t is ValueType.BOOL and not isinstance(value, bool):
            return value, f"must be a boolean, got {_type_name(value)}"
        if t is ValueType.INT and (isinstance(value, bool) or not isinstance(value, int)):
            return value, f"must be an integer, got {_type_name(value)}"
        if t is ValueType.FLOAT:
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                return value, f"must be a number, got {_type_name(value)}"
            try:
                value = float(value)
            except OverflowError:
                return value, "is too large"
            if not math.isfinite(value):
                return value, "must be a finite number (NaN and infinity are not allowed)"
        if t in (ValueType.STRING, ValueType.ENUM) and not isinstance(value, str):
            return value, f"must be a string, got {_type_name(value)}"
        if problem := value_problem(value):  # first: json.dumps recurses per level
            return value, problem
        if t is ValueType.JSON:
            try:
                json.dumps(value, allow_nan=False)
            except (TypeError, ValueError) as exc:
                return value, f"must be JSON-serialisable ({exc})"
        return value, None

    def _check_bounds(self, value: Any) -> list[str]:
        errors = []
        if self.value_type in (ValueType.INT, ValueType.FLOAT):
            low, high = self.min_value, self.max_value
            if low is not None and (value <= low if self.min_exclusive else value < low):
                errors.append(f"must be {'greater than' if self.min_exclusive else 'at least'} {_number(low)}")
            if high is not None and value > high:
                errors.append(f"must be at most {_number(high)}")
        if isinstance(value, str):
            if self.choices is not None and value not in self.choices:
                got = "" if self.sensitive else f", got {value!r}"  # never echo a secret
                errors.append(f"must be one of {', '.join(self.choices)}{got}")
            if self.pattern_problem:
                errors.append(f"cannot be checked: the rule's pattern {self.pattern_problem}"
                              "; define the rule again")
            elif self._matches is not None and (
                    problem := match_problem(self._matches, self.pattern, value)):
                errors.append(problem)
            if self.required and not value:
                errors.append("must not be empty")
        return errors

    def _run_validator(self, value: Any) -> list[str]:
        try:
            ok = self.validator(value)
        except Exception as exc:  # a validator that raises is a failed validation, never a crash
            return [f"{self.error_message or 'custom validation failed'} "
                    f"(validator raised {type(exc).__name__}: {exc})"]
        return [] if ok else [self.error_message or "custom validation failed"]

    # -- parsing text from environment variables and config files ---------------------------
    def parse(self, raw: Any) -> Any:
        """Turn text from an env var or config file into the key's type (ValueError if it
        cannot be). Non-text values from typed files (YAML, TOML, JSON) pass unchanged."""
        if not isinstance(raw, str) or self.value_type in (ValueType.STRING, ValueType.ENUM):
            return raw
        text = raw.strip()
        if self.value_type is ValueType.BOOL:
            if text.lower() in _TRUE:
                return True
            if text.lower() in _FALSE:
                return False
            raise ValueError(f"cannot read {raw!r} as a boolean")
        if self.value_type is ValueType.INT:
            return int(text)
        if self.value_type is ValueType.FLOAT:
            return float(text)
        return json.loads(text)

    # -- records --------------------------------------------------------------------------
    def to_record(self) -> dict[str, Any]:
        """The declarative metadata, as stored in `config_rules` and shown by the API."""
        return {
            "key": self.key, "value_type": self.value_type.value, "default": self.default_value,
            "min_value": self.min_value, "max_value": self.max_value,
            "min_exclusive": self.min_exclusive,
            "choices": list(self.choices) if self.choices is not None else None,
            "pattern": self.pattern, "required": self.required, "sensitive": self.sensitive,
            "description": self.description, "unit": self.unit,
            "error_message": self.error_message, "origin": self.origin,
        }

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> "ConfigurationValidationRule":
        names = {f.name for f in fields(cls) if f.init}
        kwargs = {k: v for k, v in record.items() if k in names}
        kwargs["default_value"] = record.get("default")
        return cls(**kwargs)

    def masked(self, value: Any) -> Any:
        return MASK if self.sensitive and value is not None else value
