"""The whole configuration: status, reset, export, import."""
from __future__ import annotations

import json
from pathlib import Path

import click

from ..errors import InvalidDocument
from .backend import Backend, BadUsage
from .output import Progress, diff_rows, echo_json, table
from .root import pass_backend, root
from .values import json_option

STATUS_FIELDS = ("revision", "total_values", "custom_keys", "sources", "validation_status")


@root.command()
@json_option
@pass_backend
def status(backend: Backend, as_json: bool) -> None:
    """The revision, how many keys take their value from each source, and every value that
    breaks its rule.

    \b
    Example:
      lazyconfig status
    """
    from ..domain.model import SOURCES

    summary = backend.status()
    shown = {name: summary[name] for name in STATUS_FIELDS}
    if as_json:
        echo_json(shown)
        return
    click.echo(f"revision {shown['revision']}: {shown['total_values']} keys "
               f"({shown['custom_keys']} custom)")
    counts = shown["sources"]  # lowest layer first (the server's JSON sorts by name)
    click.echo("sources: " + ", ".join(f"{source} {counts[source]}" for source in SOURCES
                                       if source in counts))
    problems = shown["validation_status"]["errors"]
    if not problems:
        click.echo("valid: every value passes its rule")
        return
    click.echo(f"{shown['validation_status']['error_count']} problem(s):")
    table(("KEY", "PROBLEM"), [(key, message) for key, messages in sorted(problems.items())
                               for message in messages])


@root.command()
@click.argument("keys", nargs=-1)
@pass_backend
def reset(backend: Backend, keys: tuple[str, ...]) -> None:
    """Remove runtime overrides (of KEYS, or all of them) after a safety snapshot.

    \b
    Example:
      lazyconfig reset load_timeout max_concurrent_loads
    """
    result = backend.reset(list(keys) or None)
    click.echo(f"reset {len(result['reset'])} key(s): {', '.join(result['reset']) or 'none'} "
               f"(snapshot {result['snapshot_id']} holds the state before)")


@root.command()
@click.option("--format", "fmt", type=click.Choice(["json", "yaml"]), default="json",
              show_default=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="write to this file instead of stdout")
@click.option("--show-sensitive", is_flag=True, help="export sensitive values unmasked")
@pass_backend
def export(backend: Backend, fmt: str, output: Path | None, show_sensitive: bool) -> None:
    """Effective values and their sources as a document `import` takes.

    \b
    Example:
      lazyconfig export --format yaml -o config.yaml
    """
    document = backend.export(show_sensitive)
    if fmt == "yaml":
        import yaml
        rendered = yaml.safe_dump(document, sort_keys=True)
    else:
        rendered = json.dumps(document, indent=2, sort_keys=True) + "\n"
    if output is None:
        click.echo(rendered, nl=False)
        return
    output.write_text(rendered)
    click.echo(f"exported {len(document['values'])} values to {output}", err=True)


def read_document(path: Path):
    """The data in a JSON, YAML or TOML file, by its suffix, with the config file layer's
    parser; a file of another name is read as YAML, which reads JSON too."""
    from ..service.formats import FORMATS, parse_document

    kind = path.suffix if path.suffix.lower().lstrip(".") in FORMATS else "yaml"
    try:
        return parse_document(path.read_bytes(), kind)
    except InvalidDocument as exc:
        raise InvalidDocument(f"{path}: {exc.message}") from exc


@root.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="show what would change; change nothing")
@click.option("--from", "kind", type=click.Choice(["env", "consul", "etcd"]),
              help="FILE is another system's export: a .env or properties file, `consul kv "
                   "export` JSON or `etcdctl get --prefix -w json` output")
@click.option("--prefix", help="with --from consul or etcd: the path prefix to take off")
@pass_backend
def import_document(backend: Backend, file: Path, dry_run: bool, kind: str | None,
                    prefix: str | None) -> None:
    """Apply FILE's values as runtime overrides, all or nothing: an export document, or a
    flat mapping of key to value (JSON, YAML or TOML, by the file's suffix); with --from,
    another system's export, whose entries naming no key are listed and left out.

    \b
    Example:
      lazyconfig import config.yaml --dry-run
      lazyconfig import --from consul --prefix config/lazyconfig/ consul.json
    """
    from ..domain.documents import read_import_document

    if kind is not None:
        foreign_import(backend, kind, file.read_bytes(), prefix, dry_run)
        return
    if prefix is not None:
        raise BadUsage("--prefix goes with --from consul or etcd")

    progress = Progress(2 if dry_run else 3)
    progress.step(f"reading {file}")
    document = read_document(file)
    # Checked here, the same way in both modes, before the engine or the server sees it.
    values = read_import_document(document)
    progress.step(f"checking {len(values)} values against the rules")
    plan = backend.import_document(document, dry_run=True)
    if dry_run:
        diff_rows(plan["diff"])
        return
    progress.step(f"applying {len(plan['diff'])} change(s) in one transaction")
    result = backend.import_document(document, dry_run=False)
    diff_rows(result["diff"])
    if result["changes"]:
        click.echo(f"imported: revision {result['revision']} (snapshot {result['snapshot_id']} "
                   f"holds the state before)")


def foreign_import(backend: Backend, kind: str, data: bytes, prefix: str | None,
                   dry_run: bool) -> None:
    """Another system's export: checked as a dry run first, then applied in one write;
    the entries that name no key are listed, then the diff."""
    plan = backend.import_from(kind, data, prefix, dry_run=True)
    unknown = [row["name"] for row in plan["report"] if row["key"] is None]
    known = len(plan["report"]) - len(unknown)
    click.echo(f"{known} entries name a key; {len(unknown)} name none"
               + (f" (first: {', '.join(unknown[:5])})" if unknown else ""), err=True)
    result = plan if dry_run else backend.import_from(kind, data, prefix, dry_run=False)
    diff_rows(result["diff"])
    if result["changes"]:
        click.echo(f"imported: revision {result['revision']} (snapshot {result['snapshot_id']} "
                   f"holds the state before)")
