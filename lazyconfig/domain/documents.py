"""The documents lazyconfig hands out and takes in: exports, imports and layer diffs."""
from __future__ import annotations

from typing import Any, Callable, Mapping

from ..errors import InvalidDocument
from .model import SOURCES, ConfigEntry, same
from .targeting import KeyTargeting, read_rules

EXPORT_VERSION = 1


class ImportValues(dict):
    """An import document's {key: value}; `targeting` holds the {key: rules} it carries
    (an export document's `targeting` field), applied with the values."""

    targeting: dict[str, list] = {}


def export_document(revision: int, entries: Mapping[str, ConfigEntry],
                    mask: Callable[[str, Any], Any],
                    targeting: Mapping[str, KeyTargeting] | None = None) -> dict[str, Any]:
    """Values and sources; with `targeting`, each targeted key's rules (values masked)
    under `targeting`, a field present only when some key has rules."""
    keys = sorted(entries)
    document = {"version": EXPORT_VERSION, "revision": revision,
                "values": {k: mask(k, entries[k].value) for k in keys},
                "sources": {k: entries[k].source for k in keys}}
    rules = {k: [{**r, "value": mask(k, r["value"])} for r in t.rules]
             for k, t in sorted((targeting or {}).items()) if t.rules}
    if rules:
        document["targeting"] = rules
    return document


EXPORT_FIELDS = frozenset({"version", "revision", "values", "sources", "targeting"})
_SHAPES = ("(a document holding version, revision, values or sources is read as an export "
           "document; a flat document holds only configuration keys)")


def read_import_document(document: Any) -> ImportValues:
    """The values an import document asks for, {key: value}. It has one of two shapes:

    - an export document, {"version": 1, "values": {key: value}, "revision": ...,
      "sources": ..., "targeting": ...}: a mapping holding any of the export fields
      (version, revision, values, sources, targeting) is read as one, and must be a whole
      one: version 1, a `values` mapping, no other fields;
    - a flat mapping of key to value, as a config file holds: any other mapping. A value
      may itself be a mapping or list (for a `json` key).

    So a key named like an export field is imported only inside an export document's
    `values`. Keys must be strings; the values are checked against the rules later.
    """
    if not isinstance(document, Mapping):
        raise InvalidDocument("an import document must be a JSON object: a mapping of key to "
                              "value, or an export document")
    exported = bool(document.keys() & EXPORT_FIELDS)
    values = ImportValues(_export_values(document) if exported else document)
    named = [key for key in values if not isinstance(key, str)]
    if named:
        raise InvalidDocument(f"configuration keys are text, not {named[0]!r} "
                              f"({type(named[0]).__name__}; in YAML, quote the key)")
    if exported and "targeting" in document:
        values.targeting = _targeting(document["targeting"])
    return values


def _targeting(found: Any) -> dict[str, list]:
    if not isinstance(found, Mapping) or not all(isinstance(k, str) for k in found):
        raise InvalidDocument("an export document's 'targeting' is an object of key to rules")
    return {key: read_rules(rules) for key, rules in found.items()}


def _export_values(document: Mapping[Any, Any]) -> dict[str, Any]:
    version = document.get("version")
    if version != EXPORT_VERSION or isinstance(version, bool):
        raise InvalidDocument(f"unsupported import document version {version!r}; "
                              f"expected {EXPORT_VERSION} {_SHAPES}")
    values = document.get("values")
    if not isinstance(values, Mapping):
        raise InvalidDocument("an import document needs a 'values' object of key to value "
                              + _SHAPES)
    unexpected = set(document) - EXPORT_FIELDS
    if unexpected:
        raise InvalidDocument("unexpected fields in import document: "
                              f"{', '.join(sorted(map(str, unexpected)))} {_SHAPES}")
    return dict(values)


def _same_layers(a: Mapping[str, Any], b: Mapping[str, Any]) -> bool:
    return a.keys() == b.keys() and all(same(a[s], b[s]) for s in a)


def _top(layers: Mapping[str, Any]) -> Any:
    return next((layers[s] for s in reversed(SOURCES) if s in layers), None)


def layer_diff(old: Mapping[str, dict], new: Mapping[str, dict],
               mask: Callable[[str, Any], Any]) -> dict[str, list[dict[str, Any]]]:
    """Keys added, removed and changed between two sets of persisted layers
    ({key: {source: value}}); each with the top old and new value and both layer sets."""
    found: dict[str, list[dict[str, Any]]] = {"added": [], "removed": [], "changed": []}
    for key in sorted(set(old) | set(new)):
        before, after = old.get(key, {}), new.get(key, {})
        if _same_layers(before, after):
            continue
        kind = "added" if not before else "removed" if not after else "changed"
        found[kind].append({
            "key": key, "old_value": mask(key, _top(before)), "new_value": mask(key, _top(after)),
            "old_layers": {s: mask(key, v) for s, v in before.items()},
            "new_layers": {s: mask(key, v) for s, v in after.items()}})
    return found
