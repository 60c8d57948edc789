"""Reading the server's JSON into records: every field is checked for presence and type as
it is read, so an answer the client cannot understand fails at once with a
MalformedResponse naming the record and the field, not later with a KeyError or a wrong
value far from the call that fetched it."""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Callable, TypeVar

from .errors import MalformedResponse

R = TypeVar("R")


def parse(raw: str | bytes, what: str) -> Any:
    """Decoded JSON text; MalformedResponse when it is not JSON."""
    try:
        return json.loads(raw)
    except ValueError as exc:
        raise MalformedResponse(f"{what} is not valid JSON: {exc}") from exc


def json_dict(data: object, what: str) -> dict[str, Any]:
    """`data` if it is a JSON object; MalformedResponse otherwise."""
    if not isinstance(data, dict):
        raise MalformedResponse(f"{what}: expected a JSON object, not {_shown(data)}")
    return data


def _shown(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


class JsonObject:
    """One JSON object of an answer, read field by field into the record `record`. A
    required field must be present; an optional one may be absent or null (None)."""

    def __init__(self, data: object, record: str):
        self.data = json_dict(data, record)
        self.record = record

    def value(self, name: str) -> Any:
        """A required field of any JSON type, null included."""
        if name not in self.data:
            raise MalformedResponse(f"{self.record}: the answer has no {name!r} field")
        return self.data[name]

    def _typed(self, name: str, kinds: tuple[type, ...], what: str, optional: bool) -> Any:
        value = self.data.get(name) if optional else self.value(name)
        if value is None and optional:
            return None
        # isinstance counts True as an int; JSON and the API never do.
        if not isinstance(value, kinds) or (isinstance(value, bool) and bool not in kinds):
            raise MalformedResponse(
                f"{self.record}: {name!r} should be {what}, not {_shown(value)}")
        return value

    def integer(self, name: str) -> int:
        found: int = self._typed(name, (int,), "an integer", False)
        return found

    def optional_integer(self, name: str) -> int | None:
        found: int | None = self._typed(name, (int,), "an integer", True)
        return found

    def optional_number(self, name: str) -> float | None:
        found: float | None = self._typed(name, (int, float), "a number", True)
        return found

    def text(self, name: str) -> str:
        found: str = self._typed(name, (str,), "a string", False)
        return found

    def optional_text(self, name: str) -> str | None:
        found: str | None = self._typed(name, (str,), "a string", True)
        return found

    def flag(self, name: str) -> bool:
        found: bool = self._typed(name, (bool,), "true or false", False)
        return found

    def mapping(self, name: str) -> dict[str, Any]:
        found: dict[str, Any] = self._typed(name, (dict,), "an object", False)
        return found

    def optional_mapping(self, name: str) -> dict[str, Any] | None:
        found: dict[str, Any] | None = self._typed(name, (dict,), "an object", True)
        return found

    def strings(self, name: str) -> tuple[str, ...]:
        found = self.optional_strings(name)
        if found is None:
            raise MalformedResponse(f"{self.record}: the answer has no {name!r} list")
        return found

    def optional_strings(self, name: str) -> tuple[str, ...] | None:
        items: list[Any] | None = self._typed(name, (list,), "a list", True)
        if items is not None and not all(isinstance(item, str) for item in items):
            raise MalformedResponse(
                f"{self.record}: {name!r} should be a list of strings, not {_shown(items)}")
        return None if items is None else tuple(items)

    def moment(self, name: str) -> datetime:
        found = self.optional_moment(name)
        if found is None:
            raise MalformedResponse(f"{self.record}: the answer has no {name!r} time")
        return found

    def optional_moment(self, name: str) -> datetime | None:
        """An ISO 8601 date and time, as the API writes them."""
        text = self.optional_text(name)
        try:
            return None if text is None else datetime.fromisoformat(text)
        except ValueError:
            raise MalformedResponse(
                f"{self.record}: {name!r} should be a date and time, not {_shown(text)}"
            ) from None

    def nested(self, name: str, read: Callable[[object], R]) -> R:
        """A required object field, read by `read` (a record's from_json)."""
        found = self.value(name)
        try:
            return read(found)
        except MalformedResponse as exc:
            raise MalformedResponse(f"{self.record}.{name}: {exc.message}") from None

    def records(self, name: str, read: Callable[[object], R]) -> tuple[R, ...]:
        """A required list of objects, each read by `read` (a record's from_json)."""
        items: list[Any] = self._typed(name, (list,), "a list", False)
        try:
            return tuple(read(item) for item in items)
        except MalformedResponse as exc:
            raise MalformedResponse(f"{self.record}.{name}: {exc.message}") from None


@dataclass(frozen=True, kw_only=True)
class Record:
    """What every record of an answer keeps: its JSON object, whole, so that nothing the
    server sent is lost (`repr` and `==` leave it out); `record["field"]` reads it, as the
    client's dicts did before it returned records."""

    json: dict[str, Any] = field(repr=False, compare=False)

    def __getitem__(self, name: str) -> Any:
        return self.json[name]
