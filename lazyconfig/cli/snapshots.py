"""Snapshots: create, list, show, rollback, delete; and `diff A [B]` between two of them."""
from __future__ import annotations

import click

from .backend import Backend
from .output import Progress, diff_rows, echo_json, table, text
from .root import pass_backend, root
from .values import json_option


@root.group()
def snapshot() -> None:
    """Snapshots of the persisted values, and rolling back to them.

    \b
    Example:
      lazyconfig snapshot list
    """


@snapshot.command()
@click.option("--description", "-m", help="what the snapshot is for")
@click.option("--tag", "-t", "tags", multiple=True, help="a tag (repeatable)")
@click.option("--pin", is_flag=True, help="exempt it from retention")
@pass_backend
def create(backend: Backend, description: str | None, tags: tuple[str, ...], pin: bool) -> None:
    """Capture the persisted layers now; prints the new snapshot's id.

    \b
    Example:
      lazyconfig snapshot create -m "before tuning" -t tuning
    """
    click.echo(backend.create_snapshot(description, list(tags), pin))


@snapshot.command("list")
@click.option("--limit", type=click.IntRange(1, 1000), default=20, show_default=True)
@json_option
@pass_backend
def list_snapshots(backend: Backend, limit: int, as_json: bool) -> None:
    """Snapshots, newest first.

    \b
    Example:
      lazyconfig snapshot list --limit 5
    """
    items, total = backend.snapshots(limit)
    if as_json:
        echo_json(items)
        return
    table(("ID", "TAKEN", "BY", "REVISION", "KEYS", "TAGS", "DESCRIPTION"),
          [(s["id"], s["timestamp"][:19], s["created_by"], s["revision"], s["key_count"],
            ",".join(s["tags"]) + (" (pinned)" if s["pinned"] else ""), s["description"])
           for s in items])
    click.echo(f"({len(items)} of {total} snapshots)", err=True)


@snapshot.command()
@click.argument("snapshot_id", type=int)
@json_option
@pass_backend
def show(backend: Backend, snapshot_id: int, as_json: bool) -> None:
    """A snapshot's metadata and the values it holds.

    \b
    Example:
      lazyconfig snapshot show 3
    """
    info = backend.snapshot(snapshot_id)
    if as_json:
        echo_json(info)
        return
    click.echo(f"snapshot {info['id']}: {info['description'] or ''}\n"
               f"taken {info['timestamp']} by {info['created_by']} at revision {info['revision']}"
               f"; tags: {', '.join(info['tags']) or 'none'}")
    table(("KEY", "SOURCE", "VALUE"), [(key, source, value)
                                       for key, layers in sorted(info["values"].items())
                                       for source, value in layers.items()])


@snapshot.command()
@click.argument("snapshot_id", type=int)
@click.option("--key", "-k", "keys", multiple=True, help="restore only this key (repeatable)")
@click.option("--dry-run", is_flag=True, help="show what would change; change nothing")
@pass_backend
def rollback(backend: Backend, snapshot_id: int, keys: tuple[str, ...], dry_run: bool) -> None:
    """Restore a snapshot's values (or only --key ones) atomically, after a safety snapshot.

    \b
    Example:
      lazyconfig snapshot rollback 3 -k load_timeout --dry-run
    """
    checked_then_applied(lambda run: backend.rollback(snapshot_id, list(keys) or None,
                                                      dry_run=run),
                         dry_run, f"checking snapshot {snapshot_id} against today's rules",
                         f"rolled back to snapshot {snapshot_id}")


def checked_then_applied(write, dry_run: bool, checking: str, done: str) -> None:
    """A restoring write (`write(dry_run)`): its dry run first, then, unless only that was
    asked for, the write; the diff, and what took the state before."""
    progress = Progress(1 if dry_run else 2)
    progress.step(checking)
    plan = write(True)
    if not dry_run:
        progress.step(f"restoring {len(plan['diff'])} key(s) in one transaction")
        plan = write(False)
    diff_rows(plan["diff"])
    if plan["changes"]:
        click.echo(f"{done}: revision {plan['revision']} "
                   f"(snapshot {plan['safety_snapshot_id']} holds the state before)")


@root.command()
@click.option("--at-revision", type=click.IntRange(min=0), required=True,
              help="the past revision whose values to make current")
@click.option("--key", "-k", "keys", multiple=True, help="restore only this key (repeatable)")
@click.option("--dry-run", is_flag=True, help="show what would change; change nothing")
@pass_backend
def restore(backend: Backend, at_revision: int, keys: tuple[str, ...], dry_run: bool) -> None:
    """Make the values of a past revision (or only --key ones) current, atomically, after a
    safety snapshot: like a rollback to a snapshot never taken.

    \b
    Example:
      lazyconfig restore --at-revision 12 --dry-run
    """
    checked_then_applied(lambda run: backend.restore(at_revision, list(keys) or None,
                                                     dry_run=run),
                         dry_run, f"reading revision {at_revision} and checking it against "
                                  "today's rules", f"restored revision {at_revision}")


@snapshot.command()
@click.argument("snapshot_id", type=int)
@pass_backend
def delete(backend: Backend, snapshot_id: int) -> None:
    """Delete a snapshot.

    \b
    Example:
      lazyconfig snapshot delete 3
    """
    backend.delete_snapshot(snapshot_id)
    click.echo(f"deleted snapshot {snapshot_id}")


class SnapshotOrCurrent(click.ParamType):
    name = "ID|current"

    def convert(self, value, param, ctx):
        if value is None or value == "current" or isinstance(value, int):
            return None if value == "current" else value
        try:
            return int(value)
        except ValueError:
            self.fail(f"{value!r} is neither a snapshot id nor 'current'", param, ctx)


@root.command()
@click.argument("a", type=int)
@click.argument("b", type=SnapshotOrCurrent(), default="current")
@json_option
@pass_backend
def diff(backend: Backend, a: int, b: int | None, as_json: bool) -> None:
    """Keys added, removed and changed from snapshot A to snapshot B (default: the current
    configuration).

    \b
    Example:
      lazyconfig diff 3 current
    """
    result = backend.diff(a, b)
    if as_json:
        echo_json(result)
        return
    marks = (("added", "+"), ("removed", "-"), ("changed", "~"))
    rows = [(mark, d["key"], text(d["old_value"]) if kind != "added" else "",
             text(d["new_value"]) if kind != "removed" else "")
            for kind, mark in marks for d in result[kind]]
    if not rows:
        click.echo(f"no differences between snapshot {a} and {result['to']}")
        return
    table(("", "KEY", f"IN {a}", f"IN {result['to']}".upper()), rows)
