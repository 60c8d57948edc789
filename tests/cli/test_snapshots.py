"""Snapshots from a shell: create, list, show, diff, roll back some or all keys, delete."""
from __future__ import annotations

import json

STRATEGY = "lazy_loading_unloading_strategy"


def test_snapshot_lifecycle_with_diff_and_selective_rollback(cli, make_engine):
    cli("set", STRATEGY, "CONSERVATIVE")
    created = cli("snapshot", "create", "-m", "before tuning", "-t", "tuning", user="alice")
    assert created.exit_code == 0
    first = int(created.stdout)
    cli("set", STRATEGY, "AGGRESSIVE")
    cli("set", "load_timeout", "12")

    listed = json.loads(cli("snapshot", "list", "--json").stdout)
    assert [(s["id"], s["description"], s["created_by"]) for s in listed] == \
        [(first, "before tuning", "alice")]
    shown = cli("snapshot", "show", first).stdout
    assert "CONSERVATIVE" in shown and "before tuning" in shown

    diff = json.loads(cli("diff", first, "--json").stdout)
    assert [d["key"] for d in diff["added"]] == ["load_timeout"]
    assert [(d["key"], d["old_value"], d["new_value"]) for d in diff["changed"]] == \
        [(STRATEGY, "CONSERVATIVE", "AGGRESSIVE")]
    assert diff["removed"] == [] and diff["to"] == "current"
    people = cli("diff", first, "current").stdout
    assert "+  load_timeout" in people and "~  " + STRATEGY in people

    dry = cli("snapshot", "rollback", first, "--dry-run")
    assert dry.exit_code == 0 and make_engine().get(STRATEGY) == "AGGRESSIVE"
    rolled = cli("snapshot", "rollback", first, "-k", STRATEGY)
    assert rolled.exit_code == 0, rolled.stderr
    assert "[2/2] restoring 1 key(s)" in rolled.stderr
    engine = make_engine()
    assert (engine.get(STRATEGY), engine.get("load_timeout")) == ("CONSERVATIVE", 12.0)

    safety = json.loads(cli("snapshot", "list", "--json").stdout)[0]["id"]
    between = json.loads(cli("diff", first, safety, "--json").stdout)
    assert {d["key"] for d in between["added"] + between["changed"]} == {"load_timeout", STRATEGY}

    assert cli("snapshot", "delete", first).exit_code == 0
    gone = cli("snapshot", "show", first)
    assert gone.exit_code == 1 and gone.stderr == f"lazyconfig: snapshot {first} does not exist\n"


def test_diff_refuses_what_is_neither_an_id_nor_current(cli):
    done = cli("diff", "1", "yesterday")
    assert done.exit_code == 2 and "neither a snapshot id nor 'current'" in done.stderr
