"""Reading and changing values: get, set, list, validate, history, revert."""
from __future__ import annotations

import click

from ..errors import ConfigurationError, ValidationFailed
from .backend import Backend, masked, rule_object
from .output import echo_json, table, text
from .root import pass_backend, root

json_option = click.option("--json", "as_json", is_flag=True, help="print JSON for machines")
ENTRY_FIELDS = ("key", "value", "source", "version", "updated_at", "updated_by")


def complete_key(ctx, param, incomplete: str) -> list[str]:
    """Shell completion of KEY: the built-in keys (custom ones would need the database)."""
    from ..domain.catalog import BUILTIN_RULES
    return [rule.key for rule in BUILTIN_RULES if rule.key.startswith(incomplete)]


key_argument = click.argument("key", shell_complete=complete_key)


def parse_value(backend: Backend, key: str, raw: str):
    """Command-line text as the key's type: `30` for a float key is 30.0, `off` a boolean."""
    rule = rule_object(backend.rule(key))
    try:
        return rule.parse(raw)
    except ValueError as exc:
        raise ValidationFailed({key: [f"cannot read {raw!r} as {rule.value_type.value}: {exc}"]}) \
            from exc


def _shown(entry: dict, show_sensitive: bool) -> dict:
    value = masked(entry["value"], entry["sensitive"], show_sensitive)
    return {**{name: entry[name] for name in ENTRY_FIELDS}, "value": value}


@root.command()
@key_argument
@json_option
@click.option("--at-revision", type=click.IntRange(min=0),
              help="the value at this past revision, as the change log recorded it")
@pass_backend
def get(backend: Backend, key: str, as_json: bool, at_revision: int | None) -> None:
    """Print KEY's effective value (with --json: also its source and version).

    \b
    Example:
      lazyconfig get lazy_loading_unloading_check_interval --json
      lazyconfig get max_concurrent_loads --at-revision 12
    """
    if at_revision is not None:
        entry = past_entry(backend, key, at_revision)
    elif as_json:
        entry = backend.entry(key)
    else:
        click.echo(text(backend.value(key)))
        return
    if as_json:
        echo_json(_shown(entry, show_sensitive=True))
    else:
        click.echo(text(entry["value"]))


def past_entry(backend: Backend, key: str, revision: int) -> dict:
    """KEY's entry at a past revision; UnknownKey if it was not defined then."""
    found = {e["key"]: e for e in backend.values_at(revision)["values"]}
    if key not in found:
        backend.entry(key)  # unknown today: the usual error
        raise ConfigurationError(f"{key} was not defined yet at revision {revision}")
    return found[key]


# Negative numbers are values, not options: `lazyconfig set KEY -1`.
VALUE_ARGS = {"ignore_unknown_options": True}


@root.command("set", context_settings=VALUE_ARGS)
@key_argument
@click.argument("value")
@click.option("--source", default="runtime", show_default=True,
              type=click.Choice(["runtime", "service"]))
@click.option("--description", "-m", help="why: recorded in the change log")
@pass_backend
def set_value(backend: Backend, key: str, value: str, source: str,
              description: str | None) -> None:
    """Set KEY to VALUE, read as the key's type (refused, changing nothing, when invalid).

    \b
    Example:
      lazyconfig set lazy_loading_unloading_check_interval 30 -m "faster checks"
    """
    written = backend.set(key, parse_value(backend, key, value), source, description)
    if isinstance(written, dict):  # a policy covers the key: held for approval
        from .change_requests import held_line
        click.echo(held_line(written))
        return
    click.echo(f"{key} = {text(written.value)} (revision {written.revision})")


@root.command("list")
@json_option
@click.option("--show-sensitive", is_flag=True, help="print sensitive values unmasked")
@pass_backend
def list_values(backend: Backend, as_json: bool, show_sensitive: bool) -> None:
    """Every key with its value, source, version and last writer.

    \b
    Example:
      lazyconfig list --json
    """
    rows = [_shown(entry, show_sensitive) for entry in backend.entries()]
    if as_json:
        echo_json(rows)
        return
    table(("KEY", "VALUE", "SOURCE", "VERSION", "UPDATED BY"),
          [(r["key"], r["value"], r["source"], r["version"], r["updated_by"]) for r in rows])


@root.command(context_settings=VALUE_ARGS)
@key_argument
@click.argument("value")
@pass_backend
def validate(backend: Backend, key: str, value: str) -> None:
    """Check VALUE for KEY without applying it; exit 1 when it would be refused.

    \b
    Example:
      lazyconfig validate lazy_loading_unloading_strategy FAST
    """
    messages = backend.validate(key, parse_value(backend, key, value))
    if messages:
        raise ValidationFailed({key: messages})
    click.echo(f"valid: {key} = {value}")


@root.command()
@key_argument
@click.option("--limit", type=click.IntRange(1, 1000), default=20, show_default=True)
@click.option("--offset", type=click.IntRange(min=0), default=0)
@json_option
@pass_backend
def history(backend: Backend, key: str, limit: int, offset: int, as_json: bool) -> None:
    """KEY's changes, newest first: values, user, description and request id.

    \b
    Example:
      lazyconfig history load_timeout --limit 5
    """
    items, total = backend.history(key, limit, offset)
    if as_json:
        echo_json({"key": key, "total": total, "history": items})
        return
    table(("REVISION", "AT", "ACTION", "USER", "OLD", "NEW", "DESCRIPTION", "REQUEST"),
          [(c["revision"], c["timestamp"][:19], c["action"], c["user"], c["old_value"],
            c["new_value"], c["description"], c["request_id"]) for c in items])
    click.echo(f"({len(items)} of {total} changes)", err=True)


@root.command()
@key_argument
@click.argument("revision", type=click.IntRange(min=0))
@click.option("--description", "-m", help="why: recorded in the change log")
@pass_backend
def revert(backend: Backend, key: str, revision: int, description: str | None) -> None:
    """Give KEY back the value it had at REVISION (a runtime override; `history` shows
    the revisions).

    \b
    Example:
      lazyconfig revert load_timeout 12 -m "undo the change"
    """
    written = backend.revert(key, revision, description)
    click.echo(f"{key} = {text(written.value)} (revision {written.revision})")
