"""A gradual rollout against real gunicorn (2 workers, each driving rollouts) with 20
LiveConfig clients: healthy steps reach 100% on schedule, each made once; an injected
fault in the new cohort, reported by the clients' own track(), rolls every client back
within 5 s, with the rollback in the change log; a driving worker killed mid-run neither
stops nor doubles a step. The issue's full size (200 clients, 100 runs of a short
schedule) is not in CI; see docs/targeting.md."""
from __future__ import annotations

import os
import signal
import time
from contextlib import ExitStack

from lazyconfig.client import LiveConfig
from tests.ops.live_server import eventually

KEY, NEW = "cache_size_limit", 2_097_152
CLIENTS = 20
STEPS = [{"percent": 30, "hold_s": 0.5}, {"percent": 60, "hold_s": 0.5},
         {"percent": 100, "hold_s": 0.5}]
HEALTH = [{"metric": "load_ms", "op": "<", "threshold": 500, "window_s": 30, "min_samples": 5}]


def fleet(stack: ExitStack, client_as) -> list[LiveConfig]:
    return [stack.enter_context(LiveConfig(client_as("viewer"),
                                           context={"client_id": f"loader-{n}"}))
            for n in range(CLIENTS)]


def test_a_healthy_rollout_reaches_every_client_on_schedule(client_as):
    editor = client_as("editor")
    old = editor.get(KEY)
    with ExitStack() as stack:
        clients = fleet(stack, client_as)
        rollout = editor.start_rollout({KEY: NEW}, STEPS, health=HEALTH)
        began = time.monotonic()
        assert eventually(lambda: editor.rollout(rollout["id"])["status"] == "completed", 10)
        assert time.monotonic() - began >= 1.4  # three holds of 0.5 s
        assert eventually(lambda: all(c.get(KEY) == NEW for c in clients), 5)
    assert editor.get(KEY) == NEW and old != NEW
    mine = [c.action for c in editor.history(KEY).history
            if f"rollout {rollout['id']}" in (c.description or "")]
    assert mine == ["rollout"] * 5  # start, two steps, completion (two rows): each once


def test_a_fault_in_the_new_cohort_rolls_every_client_back(client_as):
    editor = client_as("editor")
    editor.set(KEY, 104_857_600)
    with ExitStack() as stack:
        clients = fleet(stack, client_as)
        rollout = editor.start_rollout({KEY: NEW // 2}, [
            {"percent": 50, "hold_s": 60}, {"percent": 100, "hold_s": 0}], health=HEALTH)
        assert eventually(lambda: any(c.get(KEY) == NEW // 2 for c in clients), 5)
        cohort = [c for c in clients if c.get(KEY) == NEW // 2]
        assert 0 < len(cohort) < CLIENTS
        for _ in range(3):  # the new value makes loading slow: each reports it
            for c in cohort:
                c.track("load_ms", 900.0)
        breach = time.monotonic()
        assert eventually(lambda: editor.rollout(rollout["id"])["status"] == "rolled_back", 5)
        assert eventually(lambda: all(c.get(KEY) == 104_857_600 for c in clients), 5)
        assert time.monotonic() - breach < 5 + 1.5  # the events' 1 s buffer, then the poll
    found = editor.rollout(rollout["id"])
    assert "load_ms < 500" in found["reason"]
    last = editor.history(KEY).history[0]
    assert last.action == "rollback" and "load_ms < 500" in (last.description or "")


def test_killing_a_driving_worker_neither_stops_nor_doubles_a_step(client_as, server):
    editor = client_as("editor")
    rollout = editor.start_rollout({"max_concurrent_loads": 7}, STEPS)
    assert eventually(lambda: editor.rollout(rollout["id"])["step"] >= 1, 5)
    victim = sorted(server.worker_pids())[0]  # both workers drive; this one dies mid-run
    os.kill(victim, signal.SIGKILL)
    assert eventually(lambda: editor.rollout(rollout["id"])["status"] == "completed", 10)
    mine = [c.action for c in editor.history("max_concurrent_loads").history
            if f"rollout {rollout['id']}" in (c.description or "")]
    assert mine == ["rollout"] * 5 and editor.get("max_concurrent_loads") == 7
    assert eventually(lambda: len(server.worker_pids()) == 2 and victim not in
                      server.worker_pids(), 10)  # gunicorn replaced it
