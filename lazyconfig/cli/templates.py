"""Templates: list, show, apply (with --param and --dry-run) and drift."""
from __future__ import annotations

import click

from .backend import Backend, BadUsage
from .output import Progress, diff_rows, echo_json, table
from .root import pass_backend, root
from .values import json_option

param_option = click.option("--param", "-p", "params", multiple=True, metavar="NAME=VALUE",
                            help="a parameter value (repeatable; default: its default)")


def _params(pairs: tuple[str, ...]) -> dict[str, str]:
    """--param NAME=VALUE pairs; the template reads each value by its declared type."""
    found = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name:
            raise BadUsage(f"--param {pair!r}: give NAME=VALUE")
        found[name] = value
    return found


@root.group()
def template() -> None:
    """Templates: named sets of values (some derived from parameters), applied as one batch.

    \b
    Example:
      lazyconfig template apply memory-constrained --param memory_budget=536870912 --dry-run
    """


@template.command("list")
@json_option
@pass_backend
def list_templates(backend: Backend, as_json: bool) -> None:
    """Every template, built-in ones first.

    \b
    Example:
      lazyconfig template list
    """
    items = backend.templates()
    if as_json:
        echo_json(items)
        return
    table(("NAME", "VERSION", "KEYS", "PARAMS", "DESCRIPTION"),
          [(t["name"] + (" (built-in)" if t["builtin"] else ""), t["version"], len(t["keys"]),
            ",".join(sorted(t["params"])), t["description"]) for t in items])


@template.command()
@click.argument("name")
@json_option
@pass_backend
def show(backend: Backend, name: str, as_json: bool) -> None:
    """A template's parameters and values.

    \b
    Example:
      lazyconfig template show throughput
    """
    found = backend.template(name)
    if as_json:
        echo_json(found)
        return
    click.echo(f"template {found['name']} version {found['version']} by {found['author']}: "
               f"{found['description'] or ''}")
    for name_, param in sorted(found["params"].items()):
        click.echo(f"param {name_} ({param['type']}, default {param['default']}): "
                   f"{param.get('description') or ''}")
    table(("KEY", "VALUE"), [(key, found["values"][key] if key in found["values"]
                              else "= " + found["derived"][key]) for key in found["keys"]])


@template.command()
@click.argument("name")
@param_option
@click.option("--dry-run", is_flag=True, help="show what would change; change nothing")
@pass_backend
def apply(backend: Backend, name: str, params: tuple[str, ...], dry_run: bool) -> None:
    """Give the template's keys its values as one atomic batch, after a safety snapshot.

    \b
    Example:
      lazyconfig template apply throughput -p memory_budget=8589934592
    """
    given = _params(params)
    progress = Progress(1 if dry_run else 2)
    progress.step(f"checking template {name} against today's rules")
    plan = backend.apply_template(name, given, dry_run=True)
    if not dry_run:
        progress.step(f"applying {len(plan['diff'])} key(s) in one transaction")
        plan = backend.apply_template(name, given, dry_run=False)
    diff_rows(plan["diff"])
    if plan["changes"]:
        click.echo(f"applied template {name} version {plan['version']}: revision "
                   f"{plan['revision']} (snapshot {plan['safety_snapshot_id']} holds the "
                   "state before)")


@template.command()
@click.argument("name")
@param_option
@json_option
@pass_backend
def drift(backend: Backend, name: str, params: tuple[str, ...], as_json: bool) -> None:
    """The keys whose value now differs from what the template would give.

    \b
    Example:
      lazyconfig template drift throughput
    """
    found = backend.template_drift(name, _params(params))
    if as_json:
        echo_json(found)
        return
    if found["in_sync"]:
        click.echo(f"no drift: every key has template {name}'s value")
        return
    table(("KEY", "TEMPLATE", "CURRENT", "SOURCE"),
          [(d["key"], d["template_value"], d["current_value"], d["source"])
           for d in found["drift"]])
