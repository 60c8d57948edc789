"""Four-eyes change requests and the policies that call for them: `lazyconfig
change-request list|show|approve|reject|apply|cancel` and `lazyconfig policy set|show`
(docs/change-requests.md)."""
from __future__ import annotations

from typing import Any

import click

from .backend import DECISIONS, Backend, BadUsage
from .output import echo_json, table, text
from .root import pass_backend, root
from .values import json_option

STATES = ("pending", "approved", "applied", "refused", "rejected", "cancelled", "review",
          "reviewed")


def held_line(record: dict[str, Any]) -> str:
    """What `set` says of a write held as a change request."""
    approvals = record["approvals_needed"]
    needs = f"needs {approvals} approval{'s' * (approvals != 1)}" if approvals else "approved"
    when = f", scheduled at {record['scheduled_at']}" if record.get("scheduled_at") else ""
    return (f"held as change request {record['id']} ({record['state']}: {needs}{when}); "
            f"see: lazyconfig change-request show {record['id']}")


def _show(record: dict[str, Any]) -> None:
    click.echo(f"change request {record['id']}: {record['state']}, by {record['author']}"
               f" ({len(record['approved_by'])} of {record['approvals_needed']} approvals"
               f"{': ' + ', '.join(record['approved_by']) if record['approved_by'] else ''})")
    for name in ("description", "scheduled_at", "break_glass", "reason", "applied_revision"):
        if record.get(name) is not None:
            click.echo(f"  {name}: {record[name]}")
    table(("KEY", "BEFORE", "AFTER", "EXPECTED VERSION"),
          [(d["key"], text(d["before"]), "(unset)" if d["unset"] else text(d["after"]),
            record["expected_versions"].get(d["key"])) for d in record["diff"]])


@root.group("change-request")
def change_request() -> None:
    """Writes held for approval (four eyes) or scheduled: list, show and decide them.

    \b
    Example:
      lazyconfig change-request list --state pending
      lazyconfig change-request approve 12
    """


@change_request.command("list")
@click.option("--state", type=click.Choice(STATES), help="only requests in this state "
              "(review: break-glass writes awaiting review)")
@json_option
@pass_backend
def list_requests(backend: Backend, state: str | None, as_json: bool) -> None:
    """Change requests, newest first.

    \b
    Example:
      lazyconfig change-request list --state pending
    """
    items = backend.change_requests(state)
    if as_json:
        echo_json(items)
        return
    table(("ID", "STATE", "AUTHOR", "KEYS", "APPROVALS", "SCHEDULED AT"),
          [(r["id"], r["state"], r["author"], ", ".join(d["key"] for d in r["diff"]),
            f"{len(r['approved_by'])}/{r['approvals_needed']}", r["scheduled_at"])
           for r in items])


@change_request.command("show")
@click.argument("change_id", type=int)
@json_option
@pass_backend
def show_request(backend: Backend, change_id: int, as_json: bool) -> None:
    """One change request: its diff, the versions it expects, approvals and state.

    \b
    Example:
      lazyconfig change-request show 12
    """
    record = backend.change_request(change_id)
    echo_json(record) if as_json else _show(record)


def _decision(verb: str, summary: str) -> None:
    example = f"lazyconfig change-request {verb} 12" + (" --reason 'not now'"
                                                        if verb == "reject" else "")
    @change_request.command(verb, help=f"{summary}\n\n\b\nExample:\n  {example}")
    @click.argument("change_id", type=int)
    @click.option("--reason", help="why (recorded with a rejection)")
    @json_option
    @pass_backend
    def decide(backend: Backend, change_id: int, reason: str | None, as_json: bool) -> None:
        record = backend.decide(change_id, verb, reason)
        echo_json(record) if as_json else _show(record)


for _verb, _summary in zip(DECISIONS, (
        "Approve a request's present content (never your own).",
        "Reject an open request (someone other than its author).",
        "Apply an approved request now (refused if a key moved since).",
        "Withdraw an open request (its author, or an admin).")):
    _decision(_verb, _summary)


@root.group()
def policy() -> None:
    """Which keys need approval before a write applies, and how many approvals.

    \b
    Example:
      lazyconfig policy set 'payments_*=2' 'feature_*=1'
    """


@policy.command("set")
@click.argument("rules", nargs=-1, metavar="PATTERN=APPROVALS...")
@pass_backend
def set_policy(backend: Backend, rules: tuple[str, ...]) -> None:
    """Replace every rule (none given: lift every policy). Admin only.

    \b
    Example:
      lazyconfig policy set 'payments_*=2'
    """
    parsed = []
    for rule in rules:
        pattern, sep, count = rule.rpartition("=")
        if not sep or not pattern or not count.isdigit():
            raise BadUsage(f"{rule!r}: give PATTERN=APPROVALS, e.g. 'payments_*=2'")
        parsed.append({"pattern": pattern, "approvals": int(count)})
    stored = backend.set_policies(parsed)
    click.echo(f"{len(stored)} polic{'y' if len(stored) == 1 else 'ies'} set")


@policy.command("show")
@json_option
@pass_backend
def show_policy(backend: Backend, as_json: bool) -> None:
    """The rules in force.

    \b
    Example:
      lazyconfig policy show --json
    """
    rules = backend.policies()
    if as_json:
        echo_json(rules)
        return
    table(("PATTERN", "APPROVALS", "SET BY", "SET AT"),
          [(r["pattern"], r["approvals"], r["created_by"], r["created_at"]) for r in rules])
