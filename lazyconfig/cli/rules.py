"""Validation rules: `rules list`, `rules show KEY`, `rules set KEY [options]`."""
from __future__ import annotations

import json
from typing import Any

import click

from ..errors import UnknownKey
from .backend import BadUsage, Backend, rule_object
from .output import echo_json, table, text
from .root import pass_backend, root
from .values import complete_key, json_option

TYPES = ("bool", "int", "float", "string", "enum", "json")
SHOWN = ("type", "default", "min", "max", "min_exclusive", "choices", "pattern", "required",
         "sensitive", "unit", "description", "error_message", "origin")


@root.group()
def rules() -> None:
    """The rules values must follow; setting one for a new key creates that key.

    \b
    Example:
      lazyconfig rules show load_timeout
    """


@rules.command("list")
@json_option
@pass_backend
def list_rules(backend: Backend, as_json: bool) -> None:
    """Every key's rule: type, default, bounds or choices, origin.

    \b
    Example:
      lazyconfig rules list
    """
    found = backend.rules()
    if as_json:
        echo_json(found)
        return
    table(("KEY", "TYPE", "DEFAULT", "ALLOWED", "ORIGIN", "DESCRIPTION"),
          [(r["key"], r["type"], r["default"], allowed(r), r["origin"], r["description"])
           for r in found])


def allowed(rule: dict[str, Any]) -> str:
    """A rule's constraint in a few characters: `(0, 3600]`, `A|B|C`, `/^v[0-9]+$/`."""
    if rule["choices"]:
        return "|".join(rule["choices"])
    if rule["pattern"]:
        return f"/{rule['pattern']}/"
    low, high = rule["min"], rule["max"]
    if low is None and high is None:
        return ""
    opening = "(" if rule["min_exclusive"] else "["
    return f"{opening}{'' if low is None else text(low)}, {'' if high is None else text(high)}]"


@rules.command()
@click.argument("key", shell_complete=complete_key)
@json_option
@pass_backend
def show(backend: Backend, key: str, as_json: bool) -> None:
    """One key's rule, field by field.

    \b
    Example:
      lazyconfig rules show lazy_loading_unloading_strategy --json
    """
    _print(backend.rule(key), as_json)


def _print(rule: dict[str, Any], as_json: bool) -> None:
    if as_json:
        echo_json(rule)
        return
    click.echo(rule["key"])
    table(("FIELD", "VALUE"), [(name, rule[name]) for name in SHOWN])


@rules.command("set")
@click.argument("key", shell_complete=complete_key)
@click.option("--type", "value_type", type=click.Choice(TYPES),
              help="the values' type (a built-in key keeps its own)")
@click.option("--default", "default", metavar="VALUE", help="read as the rule's type")
@click.option("--min", "low", type=float, help="smallest value allowed")
@click.option("--max", "high", type=float, help="largest value allowed")
@click.option("--min-exclusive/--min-inclusive", default=None,
              help="whether --min itself is refused")
@click.option("--choices", metavar="A,B,…", help="the values allowed, comma-separated")
@click.option("--pattern", metavar="REGEX", help="a regular expression strings must match")
@click.option("--required/--optional", default=None, help="whether a value is required")
@click.option("--sensitive/--not-sensitive", default=None, help="mask its values")
@click.option("--description", help="what the key is for")
@click.option("--unit", help="e.g. seconds")
@click.option("--error-message", help="said when a value is refused")
@json_option
@pass_backend
def set_rule(backend: Backend, key: str, as_json: bool, default: str | None,
             **given: Any) -> None:
    """Create or change KEY's rule. Options not given keep their current setting (for a
    new key, the defaults); the default and every stored value must pass the new rule.

    \b
    Example:
      lazyconfig rules set indexer_threads --type int --default 8 --min 1 --max 64
    """
    record = {**_current(backend, key), **_options(given)}
    if default is not None:
        record["default"] = _default(record, default)
    try:
        rule = rule_object(record)  # the same words in both modes, before anything is sent
    except ValueError as exc:
        raise BadUsage(f"not a valid rule: {exc}") from exc
    if rule.pattern_problem:
        raise BadUsage(f"not a valid rule: pattern {rule.pattern_problem}")
    _print(backend.put_rule(key, record), as_json)


def _current(backend: Backend, key: str) -> dict[str, Any]:
    try:
        return backend.rule(key)
    except UnknownKey:
        return {"key": key}


def _options(given: dict[str, Any]) -> dict[str, Any]:
    names = {"value_type": "type", "low": "min", "high": "max"}
    record = {names.get(name, name): value for name, value in given.items() if value is not None}
    if "choices" in record:
        record["choices"] = [c.strip() for c in record["choices"].split(",") if c.strip()]
    return record


def _default(record: dict[str, Any], raw: str) -> Any:
    if record.get("type"):
        try:
            return rule_object({**record, "default": None}).parse(raw)
        except ValueError as exc:
            raise BadUsage(f"--default: {exc}") from exc
    try:
        return json.loads(raw)  # no type yet: `8` is an int, `true` a boolean, `x` a string
    except ValueError:
        return raw
