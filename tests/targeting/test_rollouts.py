"""Gradual rollouts through the API and the engine: start, steps, completion, pause,
resume, abort, each effect checked in the state and the change log; hostile definitions
change nothing. Runs on PostgreSQL too when LAZYCONFIG_TEST_DATABASE_URL is set."""
from __future__ import annotations

import time

import pytest

from lazyconfig.domain.rollouts import in_cohort
from tests.conftest import PREFIX

KEY, OLD, NEW = "cache_size_limit", 104_857_600, 2_097_152
STEPS = [{"percent": 10, "hold_s": 0}, {"percent": 50, "hold_s": 0},
         {"percent": 100, "hold_s": 0}]
BODY = {"changes": {KEY: NEW}, "steps": STEPS, "unit": "client_id",
        "health": [{"metric": "load_ms", "op": "<", "threshold": 500, "window_s": 60,
                    "min_samples": 20}], "on_breach": "rollback"}
UNITS = [f"loader-{n}" for n in range(1000)]


def start(client, editor, **extra):
    answer = client.post(f"{PREFIX}/rollouts", json={**BODY, **extra}, headers=editor)
    assert answer.status_code == 201, answer.json
    return answer.json


def share(engine) -> float:
    return sum(engine.decide(KEY, {"client_id": u}).value == NEW for u in UNITS) / len(UNITS)


def actions(engine) -> list[str]:
    history, _ = engine.get_history(KEY)
    return [h["action"] for h in history]


def test_a_rollout_steps_to_completion(client, editor, viewer, engine):
    rollout = start(client, editor)
    assert rollout["status"] == "running" and rollout["percent"] == 10 and rollout["step"] == 0
    assert 0.07 < share(engine) < 0.13 and engine.get(KEY) == OLD
    had = {u for u in UNITS if engine.decide(KEY, {"client_id": u}).value == NEW}
    assert engine.decide(KEY, {"client_id": next(iter(had))}).layer == "rollout"
    assert engine.advance_rollout(rollout["id"]) is True
    now = {u for u in UNITS if engine.decide(KEY, {"client_id": u}).value == NEW}
    assert had <= now and 0.45 < len(now) / len(UNITS) < 0.55  # monotonic
    found = client.get(f"{PREFIX}/rollouts/{rollout['id']}", headers=viewer).json
    assert found["step"] == 1 and found["percent"] == 50 and found["next_at"]
    assert engine.advance_rollout(rollout["id"]) and share(engine) == 1.0
    assert engine.advance_rollout(rollout["id"])  # the last hold ends: completed
    assert engine.get(KEY) == NEW and engine.get_entry(KEY).source == "runtime"
    assert engine.decide(KEY, {"client_id": "x"}).layer == "runtime"
    assert engine.get_rollout(rollout["id"])["status"] == "completed"
    assert engine.advance_rollout(rollout["id"]) is False
    assert actions(engine) == ["rollout"] * 5  # completion: the runtime row, the layer's end
    listed = client.get(f"{PREFIX}/rollouts", headers=viewer).json
    assert [r["id"] for r in listed["rollouts"]] == [rollout["id"]]


def test_a_step_is_made_once_and_only_when_due(client, editor, engine, make_engine):
    rollout = start(client, editor, steps=[{"percent": 20, "hold_s": 3600},
                                           {"percent": 100, "hold_s": 0}])
    other = make_engine()
    assert engine.advance_rollout(rollout["id"]) is False  # not due for an hour
    assert engine.advance_rollout(rollout["id"], due_only=False) is True
    assert other.advance_rollout(rollout["id"], due_only=False) is True  # the completion
    assert engine.advance_rollout(rollout["id"], due_only=False) is False
    assert actions(engine) == ["rollout"] * 4


def test_pause_resume_and_abort(client, editor, engine):
    rollout = start(client, editor)
    paused = client.post(f"{PREFIX}/rollouts/{rollout['id']}/pause", headers=editor).json
    assert paused["status"] == "paused" and paused["next_at"] is None
    assert engine.advance_rollout(rollout["id"], due_only=False) is False
    assert client.post(f"{PREFIX}/rollouts/{rollout['id']}/pause",
                       headers=editor).status_code == 409
    resumed = client.post(f"{PREFIX}/rollouts/{rollout['id']}/resume", headers=editor).json
    assert resumed["status"] == "running" and resumed["next_at"]
    aborted = client.post(f"{PREFIX}/rollouts/{rollout['id']}/abort", headers=editor).json
    assert aborted["status"] == "aborted" and aborted["percent"] == 0
    assert share(engine) == 0 and engine.get(KEY) == OLD
    assert actions(engine) == ["rollback", "rollout"]
    assert client.post(f"{PREFIX}/rollouts/{rollout['id']}/abort",
                       headers=editor).status_code == 409
    assert client.post(f"{PREFIX}/rollouts/999/abort", headers=editor).status_code == 404
    again = start(client, editor)  # the key is free again
    assert again["id"] != rollout["id"]


@pytest.mark.parametrize("change, status", [
    ({"steps": [{"percent": 50, "hold_s": 0}, {"percent": 20, "hold_s": 0}]}, 400),
    ({"steps": [{"percent": 50, "hold_s": 0}]}, 400),
    ({"steps": [{"percent": 0, "hold_s": 0}, {"percent": 100, "hold_s": 0}]}, 400),
    ({"steps": [{"percent": 100, "hold_s": -1}]}, 400),
    ({"steps": "all"}, 400),
    ({"changes": {"no_such_key": 1}}, 404),
    ({"changes": {KEY: "big"}}, 400),
    ({"changes": {}}, 400),
    ({"health": [{"metric": "load_ms", "op": "!=", "threshold": 1}]}, 400),
    ({"health": [{"metric": "load_ms", "op": "<", "threshold": "NaN"}]}, 400),
    ({"on_breach": "explode"}, 400),
    ({"unit": "shoe_size"}, 400),
])
def test_hostile_definitions_change_nothing(client, editor, engine, change, status):
    answer = client.post(f"{PREFIX}/rollouts", json={**BODY, **change}, headers=editor)
    assert answer.status_code == status, answer.json
    assert set(answer.json) >= {"code", "status", "message"}
    assert engine.rollout_page(10)[1] == 0 and actions(engine) == []


def test_a_rollout_on_a_key_another_changes_conflicts(client, editor, engine):
    first = start(client, editor)
    clash = client.post(f"{PREFIX}/rollouts", headers=editor, json={
        **BODY, "changes": {"cache_enabled": False, KEY: 1024}})
    assert clash.status_code == 409
    assert engine.rollout_page(10)[1] == 1 and actions(engine) == ["rollout"]
    assert engine.get("cache_enabled") is True
    side = start(client, editor, changes={"cache_enabled": False})  # other keys run beside
    assert side["id"] != first["id"]


def test_cohorts_only_grow_over_100000_ids():
    layer = {"salt": "roll-test", "percent": 0}
    units = [f"client-{n}" for n in range(100_000)]
    before: set[str] = set()
    for percent in (10, 50, 100):
        now = {u for u in units if in_cohort({**layer, "percent": percent}, u)}
        assert before <= now and abs(len(now) / len(units) - percent / 100) < 0.005
        before = now
    assert len(before) == len(units)


def test_two_drivers_step_a_rollout_to_completion_once(make_engine):
    """Two processes drive; one stops after the first step (as a killed worker would); each
    step (hold 0.3 s) is still made once, on schedule."""
    drivers = [make_engine({"LAZYCONFIG_ROLLOUT_POLL": "0.05"}) for _ in range(2)]
    writer = drivers[1]
    rollout = writer.start_rollout({**BODY, "steps": [
        {"percent": 10, "hold_s": 0.3}, {"percent": 50, "hold_s": 0.3},
        {"percent": 100, "hold_s": 0.3}]})
    assert all(d.start_rollout_driver() for d in drivers)
    deadline = time.monotonic() + 10
    while writer.get_rollout(rollout["id"])["step"] < 1:
        assert time.monotonic() < deadline
        time.sleep(0.02)
    drivers[0].close()
    while writer.get_rollout(rollout["id"])["status"] != "completed":
        assert time.monotonic() < deadline, writer.get_rollout(rollout["id"])
        time.sleep(0.05)
    took = (writer.get_rollout(rollout["id"])["ended_at"] - rollout["created_at"]).total_seconds()
    assert 0.9 <= took < 3.0
    assert actions(writer) == ["rollout"] * 5  # start, two steps, completion (two rows)
    history, _ = writer.get_history(KEY)
    assert {h["user"] for h in history[:4]} == {"rollout-driver"}
    assert writer.get(KEY) == NEW


def report(client, viewer, rollout_id, units, value):
    answer = client.post(f"{PREFIX}/rollouts/{rollout_id}/events", headers=viewer, json={
        "metrics": [{"unit": u, "metric": "load_ms", "value": value} for u in units]})
    assert answer.status_code == 200, answer.json
    return answer.json


def test_a_breach_in_the_new_cohort_rolls_every_cohort_back(client, editor, viewer, engine):
    rollout = start(client, editor, steps=[{"percent": 50, "hold_s": 3600},
                                           {"percent": 100, "hold_s": 0}])
    new = [u for u in UNITS if engine.decide(KEY, {"client_id": u}).value == NEW]
    old = [u for u in UNITS if u not in new]
    assert report(client, viewer, rollout["id"], old, 900.0)["new"] == 0  # old cohort: no say
    assert report(client, viewer, rollout["id"], new[:19], 900.0)["new"] == 19
    assert engine.check_rollout_health(rollout["id"]) is None  # 19 < min_samples
    assert engine.get_rollout(rollout["id"])["health"][0]["count"] == 19
    report(client, viewer, rollout["id"], new[19:40], 900.0)
    reason = engine.check_rollout_health(rollout["id"])
    assert reason and "load_ms < 500" in reason
    found = engine.get_rollout(rollout["id"])
    assert found["status"] == "rolled_back" and found["reason"] == reason
    assert share(engine) == 0
    history, _ = engine.get_history(KEY)
    assert history[0]["action"] == "rollback" and "load_ms < 500" in history[0]["description"]
    late = client.post(f"{PREFIX}/rollouts/{rollout['id']}/events", headers=viewer,
                       json={"metrics": []})
    assert late.status_code == 409


def test_a_healthy_cohort_keeps_going_and_pause_on_breach_pauses(client, editor, viewer, engine):
    rollout = start(client, editor, on_breach="pause")
    new = [u for u in UNITS if engine.decide(KEY, {"client_id": u}).value == NEW]
    report(client, viewer, rollout["id"], new * 3, 120.0)
    assert engine.check_rollout_health(rollout["id"]) is None
    report(client, viewer, rollout["id"], new * 30, 5000.0)
    assert engine.check_rollout_health(rollout["id"])
    assert engine.get_rollout(rollout["id"])["status"] == "paused"
    assert 0.07 < share(engine) < 0.13  # paused: the cohort keeps the new value


@pytest.mark.parametrize("events", [
    {"metrics": [{"unit": "a", "metric": "unknown", "value": 1}]},
    {"metrics": [{"unit": "a", "metric": "load_ms", "value": "NaN"}]},
    {"metrics": [{"unit": "", "metric": "load_ms", "value": 1}]},
    {"metrics": "many"},
])
def test_hostile_events_keep_nothing(client, editor, viewer, engine, events):
    rollout = start(client, editor)
    answer = client.post(f"{PREFIX}/rollouts/{rollout['id']}/events", json=events,
                         headers=viewer)
    assert answer.status_code == 400, answer.json
    assert engine.get_rollout(rollout["id"])["health"][0]["count"] == 0
