"""Config migrations: declarative, versioned steps that carry stored values across a change
of the key catalog between releases (docs/config-migrations.md).

A step works on plain data: the persisted layers ({key: {source: value}}, as the values
table and every snapshot hold them) and a template's literal `values` and `derived`
expressions. The service applies the pending steps to all of them in one transaction,
checks the result against today's rules, and records each step so it runs once.

`RELEASE_STEPS` are this release's steps, applied by `lazyconfig config migrate` and when an
engine starts with LAZYCONFIG_AUTO_MIGRATE on. A release that renamed a key and changed its
unit from seconds to milliseconds would declare, in order (ids never change once shipped):

    RELEASE_STEPS = (
        Rename("2027.1-cache-ttl-rename", old="cache_ttl", new="cache_ttl_ms"),
        Transform("2027.1-cache-ttl-ms", key="cache_ttl_ms", converter="scale",
                  args={"factor": 1000, "round": "int"}),
    )
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

from ..errors import InvalidDocument

Layers = dict[str, dict[str, Any]]


def _scale(value: Any, factor: float, **options: Any) -> Any:
    """A number times `factor`: with round="int" a whole number, an int times an int an int,
    else a float; anything else is left for the rules to refuse."""
    if type(value) not in (int, float):
        return value
    scaled = value * factor
    if options.get("round") == "int":
        return int(round(scaled))
    return scaled if type(value) is int and type(factor) is int else float(scaled)


def _map_members(value: Any, mapping: Mapping[str, Any]) -> Any:
    """An enum member renamed: a value `mapping` names becomes its new name."""
    return mapping.get(value, value) if isinstance(value, str) else value


CONVERTERS: dict[str, Callable[..., Any]] = {"scale": _scale, "map_members": _map_members}


@dataclass(frozen=True)
class Step:
    """One versioned step; `id` is recorded once applied."""

    id: str
    description: str | None = None

    def gone(self) -> set[str]:
        """The keys this step leaves without values, whose rules it removes."""
        return set()

    def needs(self) -> set[str]:
        """The keys that must be defined (by the release's catalog) before it runs."""
        return set()

    def layers(self, data: Layers) -> Layers:
        raise NotImplementedError

    def template(self, values: dict, derived: dict) -> tuple[dict, dict]:
        raise NotImplementedError


@dataclass(frozen=True)
class Rename(Step):
    """A key renamed: its values (every layer) move to `new`; `new` keeps values of its own."""

    old: str = ""
    new: str = ""

    def gone(self) -> set[str]:
        return {self.old}

    def needs(self) -> set[str]:
        return {self.new}

    def layers(self, data: Layers) -> Layers:
        moved = {key: layers for key, layers in data.items() if key != self.old}
        if self.old in data:
            moved[self.new] = {**data[self.old], **data.get(self.new, {})}
        return moved

    def template(self, values: dict, derived: dict) -> tuple[dict, dict]:
        return _renamed(values, self.old, self.new), _renamed(derived, self.old, self.new)


def _renamed(items: dict, old: str, new: str) -> dict:
    found = {key: value for key, value in items.items() if key != old}
    if old in items and new not in items:
        found[new] = items[old]
    return found


@dataclass(frozen=True)
class Transform(Step):
    """A key's values converted by a named converter (CONVERTERS) with `args`: `scale`
    {factor, round?} for a unit change, `map_members` {mapping} for renamed enum members."""

    key: str = ""
    converter: str = "scale"
    args: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.converter not in CONVERTERS:
            raise InvalidDocument(f"step {self.id}: no converter {self.converter!r}; "
                                  f"known: {', '.join(sorted(CONVERTERS))}")
        wanted = {"scale": "factor", "map_members": "mapping"}[self.converter]
        if wanted not in self.args:
            raise InvalidDocument(f"step {self.id}: {self.converter} needs {wanted!r}")

    def needs(self) -> set[str]:
        return {self.key}

    def convert(self, value: Any) -> Any:
        return CONVERTERS[self.converter](value, **self.args)

    def layers(self, data: Layers) -> Layers:
        return {key: ({source: self.convert(v) for source, v in layers.items()}
                      if key == self.key else layers) for key, layers in data.items()}

    def template(self, values: dict, derived: dict) -> tuple[dict, dict]:
        values = {k: self.convert(v) if k == self.key else v for k, v in values.items()}
        if self.key in derived and self.converter == "scale":
            derived = {**derived, self.key: _scaled_expression(derived[self.key], self.args)}
        return values, derived


def _scaled_expression(text: str, args: Mapping[str, Any]) -> str:
    scaled = f"({text}) * {args['factor']!r}"
    return f"round({scaled})" if args.get("round") == "int" else scaled


@dataclass(frozen=True)
class Merge(Step):
    """Keys merged into `into`: in each layer, `into` takes the value of the first of
    `keys` that has one there (its own value first, if it had one); `keys` go."""

    keys: tuple[str, ...] = ()
    into: str = ""

    def gone(self) -> set[str]:
        return set(self.keys) - {self.into}

    def needs(self) -> set[str]:
        return {self.into}

    def layers(self, data: Layers) -> Layers:
        merged = {key: layers for key, layers in data.items() if key not in self.keys}
        layers: dict[str, Any] = {}
        for key in reversed((self.into, *self.keys)):
            layers.update(data.get(key, {}))
        if layers:
            merged[self.into] = layers
        return merged

    def template(self, values: dict, derived: dict) -> tuple[dict, dict]:
        for key in self.keys:
            values, derived = _renamed(values, key, self.into), _renamed(derived, key, self.into)
        return values, derived


@dataclass(frozen=True)
class Retire(Step):
    """A key retired: its values and its rule go."""

    key: str = ""

    def gone(self) -> set[str]:
        return {self.key}

    def layers(self, data: Layers) -> Layers:
        return {key: layers for key, layers in data.items() if key != self.key}

    def template(self, values: dict, derived: dict) -> tuple[dict, dict]:
        return ({k: v for k, v in values.items() if k != self.key},
                {k: v for k, v in derived.items() if k != self.key})


RELEASE_STEPS: tuple[Step, ...] = ()  # none yet: the catalog has not changed since 1.0
