"""Reading and changing values: get, set, list, validate, history, reset, export, import."""
from __future__ import annotations

import json
from pathlib import Path

import click
import yaml

from ..errors import InvalidDocument, ValidationFailed
from .output import Progress, diff_rows, echo_json, table, text
from .root import Session, pass_session, root

json_option = click.option("--json", "as_json", is_flag=True, help="print JSON for machines")


def parse_value(session: Session, key: str, raw: str):
    """Command-line text as the key's type: `30` for a float key is 30.0, `off` a boolean."""
    rule = session.engine.get_rule(key)
    try:
        return rule.parse(raw)
    except ValueError as exc:
        raise ValidationFailed({key: [f"cannot read {raw!r} as {rule.value_type.value}: {exc}"]}) \
            from exc


def _entry_dict(session: Session, key: str, show_sensitive: bool) -> dict:
    entry = session.engine.get_entry(key)
    value = session.engine.redaction(show_sensitive).value(key, entry.value)
    return {"key": key, "value": value, "source": entry.source, "version": entry.version,
            "updated_at": entry.updated_at, "updated_by": entry.updated_by}


@root.command()
@click.argument("key")
@json_option
@pass_session
def get(session: Session, key: str, as_json: bool) -> None:
    """Print KEY's effective value (with --json: also its source and version)."""
    if as_json:
        echo_json(_entry_dict(session, key, show_sensitive=True))
    else:
        click.echo(text(session.engine.get(key)))


# Negative numbers are values, not options: `lazyconfig set KEY -1`.
VALUE_ARGS = {"ignore_unknown_options": True}


@root.command("set", context_settings=VALUE_ARGS)
@click.argument("key")
@click.argument("value")
@click.option("--source", default="runtime", show_default=True,
              type=click.Choice(["runtime", "service"]))
@click.option("--description", "-m", help="why: recorded in the change log")
@pass_session
def set_value(session: Session, key: str, value: str, source: str, description: str | None) -> None:
    """Set KEY to VALUE, read as the key's type (refused, changing nothing, when invalid)."""
    parsed = parse_value(session, key, value)
    changes = session.engine.write_values({key: parsed}, source=source, user=session.actor,
                                          description=description, action="set")
    click.echo(f"{key} = {text(session.engine.get(key))} (revision {changes[-1].revision})")


@root.command("list")
@json_option
@click.option("--show-sensitive", is_flag=True, help="print sensitive values unmasked")
@pass_session
def list_values(session: Session, as_json: bool, show_sensitive: bool) -> None:
    """Every key with its value, source, version and last writer."""
    rows = [_entry_dict(session, key, show_sensitive) for key in sorted(session.engine.entries())]
    if as_json:
        echo_json(rows)
        return
    table(("KEY", "VALUE", "SOURCE", "VERSION", "UPDATED BY"),
          [(r["key"], r["value"], r["source"], r["version"], r["updated_by"]) for r in rows])


@root.command(context_settings=VALUE_ARGS)
@click.argument("key")
@click.argument("value")
@pass_session
def validate(session: Session, key: str, value: str) -> None:
    """Check VALUE for KEY without applying it; exit 1 when it would be refused."""
    messages = session.engine.validate(key, parse_value(session, key, value))
    if messages:
        raise ValidationFailed({key: messages})
    click.echo(f"valid: {key} = {value}")


@root.command()
@click.argument("key")
@click.option("--limit", type=click.IntRange(1, 1000), default=20, show_default=True)
@click.option("--offset", type=click.IntRange(min=0), default=0)
@json_option
@pass_session
def history(session: Session, key: str, limit: int, offset: int, as_json: bool) -> None:
    """KEY's changes, newest first: values, user, description and request id."""
    items, total = session.engine.get_history(key, limit, offset)
    if as_json:
        echo_json({"key": key, "total": total, "history": items})
        return
    table(("REVISION", "AT", "ACTION", "USER", "OLD", "NEW", "DESCRIPTION", "REQUEST"),
          [(c["revision"], c["timestamp"][:19], c["action"], c["user"], c["old_value"],
            c["new_value"], c["description"], c["request_id"]) for c in items])
    click.echo(f"({len(items)} of {total} changes)", err=True)


@root.command()
@click.argument("keys", nargs=-1)
@pass_session
def reset(session: Session, keys: tuple[str, ...]) -> None:
    """Remove runtime overrides (of KEYS, or all of them) after a safety snapshot."""
    result = session.engine.reset(list(keys) or None, user=session.actor)
    click.echo(f"reset {len(result['reset'])} key(s): {', '.join(result['reset']) or 'none'} "
               f"(snapshot {result['snapshot_id']} holds the state before)")


@root.command()
@click.option("--format", "fmt", type=click.Choice(["json", "yaml"]), default="json",
              show_default=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="write to this file instead of stdout")
@click.option("--show-sensitive", is_flag=True, help="export sensitive values unmasked")
@pass_session
def export(session: Session, fmt: str, output: Path | None, show_sensitive: bool) -> None:
    """Effective values and their sources as a document `import` takes."""
    document = session.engine.export(include_sensitive=show_sensitive)
    rendered = (yaml.safe_dump(document, sort_keys=True) if fmt == "yaml"
                else json.dumps(document, indent=2, sort_keys=True) + "\n")
    if output is None:
        click.echo(rendered, nl=False)
        return
    output.write_text(rendered)
    click.echo(f"exported {len(document['values'])} values to {output}", err=True)


def read_document(path: Path):
    """A JSON or YAML document (YAML is a superset of JSON, so one parser reads both)."""
    try:
        return yaml.safe_load(path.read_text())
    except yaml.YAMLError as exc:
        raise InvalidDocument(f"{path}: cannot parse: {exc}") from exc


@root.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="show what would change; change nothing")
@pass_session
def import_document(session: Session, file: Path, dry_run: bool) -> None:
    """Apply FILE's values (an export document) as runtime overrides, all or nothing."""
    progress = Progress(2 if dry_run else 3)
    progress.step(f"reading {file}")
    document = read_document(file)
    progress.step(f"checking {len(document.get('values') or {}) if isinstance(document, dict) else 0}"
                  " values against the rules")
    plan = session.engine.import_configuration(document, dry_run=True)
    if dry_run:
        diff_rows(plan["diff"])
        return
    progress.step(f"applying {len(plan['diff'])} change(s) in one transaction")
    result = session.engine.import_configuration(document, user=session.actor,
                                                 description=f"import {file.name}")
    diff_rows(result["diff"])
    if result["changes"]:
        click.echo(f"imported: revision {result['revision']} (snapshot {result['snapshot_id']} "
                   f"holds the state before)")
