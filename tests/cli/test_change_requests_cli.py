"""`lazyconfig policy` and `lazyconfig change-request`, locally and through a server: a
set to a covered key is held, its author cannot approve it, another user approves and
applies it, and the change log names both."""
from __future__ import annotations

import json

from lazyconfig.cli import root

KEY = "lazy_loading_unloading_check_interval"


def test_a_held_set_is_approved_by_another_user_and_applied_locally(cli, make_engine):
    assert cli("policy", "set", "lazy_loading_unloading_check_*=1").exit_code == 0
    shown = json.loads(cli("policy", "show", "--json").stdout)
    assert [(r["pattern"], r["approvals"], r["created_by"]) for r in shown] == [
        ("lazy_loading_unloading_check_*", 1, "ops")]
    held = cli("set", KEY, "42", "-m", "tune", user="alice")
    assert held.exit_code == 0 and "held as change request 1 (pending" in held.stdout
    assert make_engine().get(KEY) != 42
    own = cli("change-request", "approve", "1", user="alice")
    assert own.exit_code == 1 and "own" in own.stderr
    assert "approved" in cli("change-request", "approve", "1", user="bob").stdout
    applied = cli("change-request", "apply", "1", "--json", user="bob")
    assert applied.exit_code == 0 and json.loads(applied.stdout)["state"] == "applied"
    engine = make_engine()
    row = engine.get_history(KEY, 1)[0][0]
    assert engine.get(KEY) == 42 and row["user"] == "alice"
    assert "approved by bob: tune" in row["description"]
    listed = json.loads(cli("change-request", "list", "--state", "applied", "--json").stdout)
    assert [r["id"] for r in listed] == [1]
    assert "42" in cli("change-request", "show", "1").stdout


def test_change_requests_through_a_server(modes):
    assert modes.local("policy", "set", "lazy_loading_unloading_check_*=1").exit_code == 0
    with modes.serving():
        held = modes.remote("set", KEY, "43")
        assert held.exit_code == 0 and "held as change request 1" in held.stdout, held
        own = modes.remote("change-request", "approve", "1")
        assert own.exit_code == 1 and "own" in own.stderr
        assert json.loads(modes.remote("policy", "show", "--json").stdout)[0]["approvals"] == 1
        assert modes.runner.invoke(  # another user, on the database itself
            root, ["--user", "bob", "change-request", "approve", "1"],
            env=modes.local_env).exit_code == 0
        applied = modes.remote("change-request", "apply", "1", "--json")
        assert json.loads(applied.stdout)["state"] == "applied", applied
        assert modes.remote("get", KEY).stdout.strip() == "43.0"
