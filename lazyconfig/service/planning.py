"""Planning: what each write would do, as plain functions over the immutable State.

Each function checks one operation's rules against the state it is given, raises a domain
error if the operation may not happen, and returns the layer writes to apply. Nothing here
touches the database or the clock, so the rules are testable with a State built in memory.
"""
from __future__ import annotations

import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Iterable, Mapping

from ..domain import MASK, WRITABLE_SOURCES, ConfigurationValidationRule
from ..domain.limits import text_problem, value_problem
from ..domain.model import same
from ..domain.redaction import Redaction
from ..domain.rules import lookalike
from ..domain.state import KeyMeta, State, effective
from ..domain.targeting import TARGETING, layer_values
from ..errors import (InvalidParameter, InvalidSource, PreconditionFailed, UnknownKey,
                      UnstorableText, ValidationFailed)
from .validation import Check, checked

REMOVE = object()  # a LayerWrite value that deletes the layer


@dataclass(frozen=True)
class LayerWrite:
    key: str
    source: str
    value: Any
    description: str | None = None


def key_list(keys: Iterable[str] | str | None) -> list[str] | None:
    """`keys` as a list; one key given as a plain string is that key, not its letters."""
    if keys is None:
        return None
    return [keys] if isinstance(keys, str) else list(keys)


def snapshot_tags(tags: Iterable[str] | None) -> list[str]:
    if isinstance(tags, str):  # list("nightly") would silently tag it n, i, g, h...
        raise ValidationFailed({"tags": ["tags must be a list of strings, not one string"]})
    tags = list(tags or [])
    if not all(isinstance(tag, str) for tag in tags):
        raise ValidationFailed({"tags": ["tags must be strings"]})
    problem = value_problem(tags)
    if problem:
        raise UnstorableText({"tags": [f"each tag {problem}"]})
    return tags


def check_source(source: str) -> None:
    if source not in WRITABLE_SOURCES:
        raise InvalidSource(f"source {source!r} cannot be written; use one of "
                            f"{', '.join(WRITABLE_SOURCES)}")


def check_text(name: str, text: str | None) -> None:
    """Refuse a NUL character, which no key holds and PostgreSQL cannot even compare, the
    same way on every database."""
    if text is not None and "\x00" in text:
        raise InvalidParameter(f"{name} must not contain a NUL character")


def known(items: Mapping[str, Any], key: str) -> Any:
    """`items[key]`, or UnknownKey."""
    try:
        return items[key]
    except KeyError:
        raise UnknownKey(key) from None


def check_known(state: State, keys: Iterable[str]) -> None:
    for key in keys:
        if key not in state.rules:
            raise UnknownKey(key)


def update_items(updates: Mapping[str, Any] | Iterable[tuple[str, Any, str | None]]
                 ) -> list[tuple[str, Any, str | None]]:
    """(key, value, description) triples from a mapping or triples; a key twice is refused."""
    items = ([(k, v, None) for k, v in updates.items()] if isinstance(updates, Mapping)
             else list(updates))
    twice = sorted({k for k, n in Counter(k for k, _, _ in items).items() if n > 1})
    if twice:
        raise ValidationFailed({k: ["appears more than once in one update"] for k in twice})
    unstorable = {k: [f"description {problem}"] for k, _, text in items
                  if text is not None and (problem := text_problem(text))}
    if unstorable:
        raise UnstorableText(unstorable)
    return items


def checked_writes(state: State, items: Iterable[tuple[str, Any, str | None]],
                   source: str, check: Check = checked) -> list[LayerWrite]:
    """Every value checked against its rule (by `check`: validation.py); all the refusals
    at once, or the writes."""
    errors: dict[str, list[str]] = {}
    writes = []
    for key, value, description in items:
        rule = state.rules.get(key)
        if rule is None:
            raise UnknownKey(key)
        value, problems = check(rule, value)
        if problems:
            errors[key] = problems
        writes.append(LayerWrite(key, source, value, description))
    if errors:
        raise ValidationFailed(errors)
    return writes


def version(state: State, key: str) -> int:
    return state.meta.get(key, KeyMeta()).version


def check_versions(state: State, expected: Mapping[str, int]) -> None:
    stale = {key: version(state, key) for key, wanted in expected.items()
             if version(state, key) != wanted}
    if stale:
        detail = ", ".join(f"{k} is at version {v}, not {expected[k]}" for k, v in stale.items())
        raise PreconditionFailed(f"version mismatch: {detail}", current=stale,
                                 entries={k: state.entries[k] for k in stale if k in state.entries})


def is_stale(state: State, expected: Mapping[str, int]) -> bool:
    """Whether an expected version is older than one `state` holds: versions only grow, so
    it can no longer match, and the write can be refused without the write lock."""
    return any(wanted < version(state, key) for key, wanted in expected.items())


def check_revision(state: State, expected: int | None) -> None:
    if expected is not None and expected != state.revision:
        raise PreconditionFailed(f"expected revision {expected}, but the configuration is at "
                                 f"revision {state.revision}", current=state.revision)


def unset_writes(state: State, key: str, source: str) -> list[LayerWrite]:
    return ([LayerWrite(key, source, REMOVE)] if source in state.persisted.get(key, {})
            else [])


def reset_writes(state: State, wanted: list[str] | None) -> list[LayerWrite]:
    """The runtime overrides to remove: of `wanted`, or of every key."""
    keys = wanted if wanted is not None else sorted(state.persisted)
    return [LayerWrite(k, "runtime", REMOVE) for k in keys
            if "runtime" in state.persisted.get(k, {})]


def rollback_writes(state: State, target: Mapping[str, dict], chosen: set[str] | None,
                    snapshot_id: int, check: Check = checked) -> list[LayerWrite]:
    """The writes that give the persisted layers back as `target` (a snapshot's data) has
    them, for every key or the `chosen` ones; refused whole if a value breaks today's rules."""
    if chosen is not None:
        unknown = sorted(chosen - set(state.rules) - set(target))
        if unknown:
            raise UnknownKey(unknown[0])
    check_restorable(state, target, chosen, snapshot_id, check)
    writes = []
    for key in sorted(set(target) | set(state.persisted)):
        if chosen is None or key in chosen:
            writes += _restoring(key, state.persisted.get(key, {}), target.get(key, {}))
    return writes


def _restoring(key: str, current: Mapping[str, Any], wanted: Mapping[str, Any]) -> list[LayerWrite]:
    writes = []
    for source in (*WRITABLE_SOURCES, TARGETING):  # an experiment's layer is its own
        have, want = current.get(source, REMOVE), wanted.get(source, REMOVE)
        if want is REMOVE and have is not REMOVE:
            writes.append(LayerWrite(key, source, REMOVE))
        elif want is not REMOVE and (have is REMOVE or not same(have, want)):
            writes.append(LayerWrite(key, source, want))
    return writes


def check_restorable(state: State, target: Mapping[str, dict], chosen: set[str] | None,
                     snapshot_id: int, check: Check = checked) -> None:
    errors: dict[str, list[str]] = {}
    for key, layers in target.items():
        if chosen is not None and key not in chosen:
            continue
        rule = state.rules.get(key)
        if rule is None:
            errors[key] = ["the key no longer exists"]
            continue
        problems = [f"{label} value: {m}" for source, value in layers.items()
                    for label, held in layer_values(source, value) for m in check(rule, held)[1]]
        if problems:
            errors[key] = problems
    if errors:
        detail = "; ".join(f"{k}: {', '.join(errors[k])}" for k in sorted(errors))
        raise ValidationFailed(errors, f"snapshot {snapshot_id} cannot be restored under "
                                       f"today's rules: {detail}")


def import_writes(state: State, values: Mapping[str, Any],
                  check: Check = checked) -> list[LayerWrite]:
    """Runtime overrides for the document's values that differ from today's; a masked
    sensitive value ("***" from an export) leaves the current value alone. In key order, so
    the diff and the change log read the same whatever order the document came in. Then
    the targeting rules the document carries (`values.targeting`), for keys whose differ."""
    items = [(k, v, None) for k, v in sorted(values.items())
             if not (v == MASK and k in state.rules and state.rules[k].sensitive)]
    writes = [w for w in checked_writes(state, items, "runtime", check)
              if not same(state.values.get(w.key), w.value)]
    for key, rules in sorted(getattr(values, "targeting", {}).items()):
        masked = key in state.rules and state.rules[key].sensitive and any(
            r["value"] == MASK for r in rules)
        if not masked and rules != state.persisted.get(key, {}).get(TARGETING, []):
            writes += targeting_writes(state, key, rules or None, check)
    return writes


def targeting_writes(state: State, key: str, rules: list[dict[str, Any]] | None,
                     check: Check = checked) -> list[LayerWrite]:
    """The write of `key`'s targeting layer: `rules` with each value checked by the key's
    rule (all refusals at once), or its removal for None."""
    check_known(state, [key])
    if rules is None:
        return [LayerWrite(key, TARGETING, REMOVE)] if TARGETING in state.persisted.get(
            key, {}) else []
    return [LayerWrite(key, TARGETING, checked_items(state, key, rules, "rules", check))]


def checked_items(state: State, key: str, items: list[dict[str, Any]], field: str,
                  check: Check = checked) -> list[dict[str, Any]]:
    """`items` (targeting rules, variants: each with a `value`) with every value checked by
    `key`'s rule; all the refusals at once, named `field[n].value`."""
    check_known(state, [key])
    rule, problems, stored = state.rules[key], {}, []
    for n, item in enumerate(items):
        value, found = check(rule, item["value"])
        if found:
            problems[f"{field}[{n}].value"] = found
        stored.append({**item, "value": value})
    if problems:
        raise ValidationFailed(problems)
    return stored


def revert_writes(state: State, key: str, revision: int, found: bool,
                  value: Any, check: Check = checked) -> list[LayerWrite]:
    """A runtime override giving `key` the value the log says it had at `revision`."""
    if not 0 <= revision <= state.revision:
        raise ValidationFailed({"revision": [
            f"revision {revision} does not exist; the configuration is at revision "
            f"{state.revision}"]})
    if not found:  # never changed: its value then is its value now
        value = state.values[key]
    return checked_writes(state, [(key, value, None)], "runtime", check)


def check_rule_fits(state: State, rule: ConfigurationValidationRule,
                    check: Check = checked) -> None:
    """A rule may replace a key's rule only if its default and every persisted value pass."""
    problems = []
    if rule.default_value is not None or rule.required:
        problems += [f"default value: {m}" for m in check(rule, rule.default_value)[1]]
    for source, value in state.persisted.get(rule.key, {}).items():
        problems += [f"current {label} value: {m}" for label, held in layer_values(source, value)
                     for m in check(rule, held)[1]]
    if problems:
        raise ValidationFailed({rule.key: problems})


def check_distinct_name(state: State, key: str) -> None:
    """A new key may not differ from an existing one only in case, whitespace or Unicode
    form: both would list as the same name, and a client could write to the wrong one."""
    twin = lookalike(key, state.rules)
    if twin is not None:
        raise ValidationFailed({key: [f"reads the same as the existing key {twin!r}; keys "
                                      "must differ by more than case, whitespace or Unicode "
                                      "form"]})


def rule_record(state: State, rule: ConfigurationValidationRule) -> dict[str, Any]:
    """The stored record of a new rule for its key: a built-in key keeps type and origin;
    every text must be one the database can store."""
    old = state.rules.get(rule.key)
    problems = rule.storage_problems()
    if problems:
        raise UnstorableText({rule.key: problems})
    record = rule.to_record()
    if old is not None:
        if old.origin == "builtin" and old.value_type != rule.value_type:
            raise ValidationFailed({rule.key: [
                f"a built-in key keeps its type ({old.value_type.value})"]})
        record["origin"] = old.origin
    return record


def diff(state: State, writes: list[LayerWrite], shown: Redaction) -> list[dict[str, Any]]:
    """What `writes` would do to each key's effective value."""
    working: dict[str, dict[str, Any]] = {}
    for w in writes:
        _write_layer(working.setdefault(w.key, dict(state.entries[w.key].layers)), w)
    return [{"key": key, "old_value": shown.value(key, state.values[key]),
             "new_value": shown.value(key, effective(layers)[0]),
             "source": effective(layers)[1]} for key, layers in working.items()]


def change_rows(state: State, writes: list[LayerWrite], *, action: str, user: str,
                at: datetime, description: str | None = None,
                request_id: str | None = None) -> list[dict[str, Any]]:
    """The change-log rows of `writes`, each with the effective value before and after it."""
    batch_id = str(uuid.uuid4()) if len(writes) > 1 else None
    working: dict[str, dict[str, Any]] = {}
    rows = []
    for w in writes:
        layers = working.setdefault(w.key, dict(state.entries[w.key].layers))
        old = effective(layers)[0]
        _write_layer(layers, w)
        rows.append(change_row(w.key, old, effective(layers)[0], w.source, action, user, at,
                               w.description or description, batch_id, request_id))
    return rows


def change_row(key: str, old: Any, new: Any, source: str, action: str, user: str,
               at: datetime, description: str | None, batch_id: str | None = None,
               request_id: str | None = None) -> dict[str, Any]:
    return {"at": at, "key": key, "old_value": old, "new_value": new, "source": source,
            "action": action, "actor": user, "description": description,
            "batch_id": batch_id, "request_id": request_id}


def _write_layer(layers: dict[str, Any], write: LayerWrite) -> None:
    if write.value is REMOVE:
        layers.pop(write.source, None)
    else:
        layers[write.source] = write.value
