"""`lazyconfig rollout start|status|pause|resume|abort`, locally, each effect checked."""
from __future__ import annotations

import json


def test_rollout_commands(cli, make_engine):
    started = cli("rollout", "start", "--change", "cache_size_limit=2097152",
                  "--step", "10:3600", "--step", "100:0", "--health", "load_ms < 500 60 20")
    assert started.exit_code == 0, started.output
    rollout = json.loads(started.stdout)
    assert rollout["status"] == "running" and rollout["health"][0]["op"] == "<"
    assert rollout["changes"] == {"cache_size_limit": 2097152}
    number = str(rollout["id"])
    assert json.loads(cli("rollout", "pause", number).stdout)["status"] == "paused"
    assert json.loads(cli("rollout", "resume", number).stdout)["status"] == "running"
    assert json.loads(cli("rollout", "status", number).stdout)["percent"] == 10
    aborted = json.loads(cli("rollout", "abort", number).stdout)
    assert aborted["status"] == "aborted"
    history, _ = make_engine().get_history("cache_size_limit")
    assert [h["action"] for h in history] == ["rollback", "rollout"]
    assert history[1]["user"] == "ops"
    refused = cli("rollout", "start", "--change", "cache_size_limit=1", "--step", "50:0")
    assert refused.exit_code != 0 and "100" in refused.stderr
    assert cli("rollout", "abort", "999").exit_code != 0
