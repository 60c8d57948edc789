"""Other systems' exports, read as (name, text) pairs: a flat .env or Java properties file,
Consul's `consul kv export` JSON and etcd's `etcdctl get --prefix -w json`. Only reading:
mapping the names onto our keys and parsing the texts by type is service/importers.py's
(docs/importers.md)."""
from __future__ import annotations

import base64
import binascii
import json
from typing import Any, Callable

from ..errors import InvalidDocument

MAX_BYTES = 16 << 20  # a file larger than this is refused unread
MAX_ENTRIES = 100_000
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\", "'": "'"}

Entry = tuple[str, str]  # (the name in the file, the value's text)


def read_env(data: bytes) -> list[Entry]:
    """`NAME=value` lines (also `export NAME=value` and properties' `name: value`); `#` and
    `!` start comment lines; a value in double quotes takes backslash escapes, one in single
    quotes is literal, an unquoted one ends at ` #`."""
    entries = []
    for number, line in enumerate(_text(data).splitlines(), 1):
        line = line.strip()
        if not line or line[0] in "#!":
            continue
        if line.startswith("export "):
            line = line[len("export "):].lstrip()
        cut = min((i for i in (line.find("="), line.find(":")) if i > 0), default=-1)
        if cut < 0:
            raise InvalidDocument(f"line {number}: expected NAME=value")
        entries.append((line[:cut].strip(), _unquoted(line[cut + 1:].strip(), number)))
    return _bounded(entries)


def _unquoted(value: str, number: int) -> str:
    if value[:1] in ("'", '"'):
        quote = value[0]
        if len(value) < 2 or not value.endswith(quote):
            raise InvalidDocument(f"line {number}: unterminated {quote} quote")
        inner = value[1:-1]
        return inner if quote == "'" else _unescaped(inner)
    comment = value.find(" #")
    return value if comment < 0 else value[:comment].rstrip()


def _unescaped(text: str) -> str:
    out, chars = [], iter(text)
    for char in chars:
        if char == "\\":
            escaped = next(chars, "")
            char = _ESCAPES.get(escaped, "\\" + escaped)  # an unknown escape stays as written
        out.append(char)
    return "".join(out)


def read_consul(data: bytes) -> list[Entry]:
    """`consul kv export`: a JSON list of {key, flags, value (base64)}; folder entries
    (a key ending in `/` with no value) hold no value and are skipped."""
    items = _json(data)
    if not isinstance(items, list):
        raise InvalidDocument("a consul export is a JSON list of {key, flags, value}")
    entries = []
    for n, item in enumerate(items):
        key = _field(item, "key", n)
        if item.get("value") is None and key.endswith("/"):
            continue
        entries.append((key, _decoded(_field(item, "value", n), f"entry {n} value")))
    return _bounded(entries)


def read_etcd(data: bytes) -> list[Entry]:
    """`etcdctl get --prefix -w json`: {header, kvs: [{key, value (both base64),
    create_revision, mod_revision, version}]}; no `kvs` means no keys."""
    answer = _json(data)
    if not isinstance(answer, dict) or not isinstance(answer.get("kvs", []), list):
        raise InvalidDocument("an etcd answer is a JSON object with a `kvs` list")
    return _bounded([(_decoded(_field(item, "key", n), f"kvs[{n}] key"),
                      _decoded(item.get("value", ""), f"kvs[{n}] value"))
                     for n, item in enumerate(answer.get("kvs", []))])


READERS: dict[str, Callable[[bytes], list[Entry]]] = {
    "env": read_env, "consul": read_consul, "etcd": read_etcd}


def read_foreign(kind: str, data: bytes) -> list[Entry]:
    """The (name, text) pairs of an export in format `kind`; InvalidDocument when it is
    not one (too large, not UTF-8, bad JSON, bad base64, a missing field)."""
    if kind not in READERS:
        raise InvalidDocument(f"unknown import format {kind!r}: use one of "
                              f"{', '.join(['json', *READERS])}")
    if len(data) > MAX_BYTES:
        raise InvalidDocument(f"an import file is at most {MAX_BYTES >> 20} MiB")
    return READERS[kind](data)


def _text(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InvalidDocument(f"the file is not UTF-8 text: {exc}") from exc


def _json(data: bytes) -> Any:
    try:
        return json.loads(_text(data))
    except (json.JSONDecodeError, RecursionError) as exc:
        raise InvalidDocument(f"cannot parse JSON: {exc}") from exc


def _field(item: Any, name: str, n: int) -> str:
    if not isinstance(item, dict) or not isinstance(item.get(name), str):
        raise InvalidDocument(f"entry {n}: `{name}` must be a string")
    return item[name]


def _decoded(text: Any, where: str) -> str:
    if not isinstance(text, str):
        raise InvalidDocument(f"{where} must be a base64 string")
    try:
        return base64.b64decode(text, validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError) as exc:
        raise InvalidDocument(f"{where} is not base64 of UTF-8 text: {exc}") from exc


def _bounded(entries: list[Entry]) -> list[Entry]:
    if len(entries) > MAX_ENTRIES:
        raise InvalidDocument(f"an import file holds at most {MAX_ENTRIES:,} entries")
    return entries
