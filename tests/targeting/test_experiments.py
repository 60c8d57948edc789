"""Experiments through the API and the engine: start, events, results, conclude, each
effect checked in the state and the change log; hostile definitions and events change
nothing. Runs on PostgreSQL too when LAZYCONFIG_TEST_DATABASE_URL is set."""
from __future__ import annotations

import pytest

from lazyconfig.domain.experiments import inside, layer_salt
from lazyconfig.domain.bucketing import bucket
from tests.conftest import PREFIX

KEY = "lazy_loading_unloading_strategy"
VARIANTS = [{"name": "control", "value": "BALANCED", "weight": 0.5},
            {"name": "aggressive", "value": "AGGRESSIVE", "weight": 0.5}]
BODY = {"key": KEY, "variants": VARIANTS, "metrics": ["load_ms"]}
UNITS = [f"loader-{n}" for n in range(400)]


def start(client, editor, **extra):
    answer = client.post(f"{PREFIX}/experiments", json={**BODY, **extra}, headers=editor)
    assert answer.status_code == 201, answer.json
    return answer.json


def test_an_experiment_from_start_to_conclusion(client, editor, viewer, engine):
    experiment = start(client, editor)
    assert engine.get_experiment(experiment["id"])["status"] == "running"
    seen = {u: engine.decide(KEY, {"client_id": u}).variant for u in UNITS}
    assert set(seen.values()) == {"control", "aggressive"}
    events = {"exposures": UNITS, "metrics": [
        {"unit": u, "metric": "load_ms", "value": 100.0 + (20 if seen[u] == "aggressive" else 0)
         + n % 7} for n, u in enumerate(UNITS)]}
    answer = client.post(f"{PREFIX}/experiments/{experiment['id']}/events", json=events,
                         headers=viewer)
    assert answer.json == {"exposures": 400, "observations": 400}
    client.post(f"{PREFIX}/experiments/{experiment['id']}/events",
                json={"exposures": UNITS[:10]}, headers=viewer)  # a unit is exposed once
    found = client.get(f"{PREFIX}/experiments/{experiment['id']}/results", headers=viewer).json
    by_name = {v["name"]: v for v in found["variants"]}
    assert sum(v["exposures"] for v in found["variants"]) == 400
    assert by_name["control"]["exposures"] == list(seen.values()).count("control")
    aggressive = by_name["aggressive"]["metrics"]["load_ms"]
    assert 19 < aggressive["difference"] < 21 and aggressive["p_value"] < 1e-6
    assert found["sample_ratio"]["mismatch"] is False
    ended = client.post(f"{PREFIX}/experiments/{experiment['id']}/conclude",
                        json={"winner": "aggressive"}, headers=editor).json
    assert ended["status"] == "concluded" and ended["winner"] == "aggressive"
    assert engine.get(KEY) == "AGGRESSIVE" and engine.get_entry(KEY).source == "runtime"
    assert engine.decide(KEY, {"client_id": UNITS[0]}).layer == "runtime"
    history, _ = engine.get_history(KEY)
    assert [h["action"] for h in history] == ["conclude", "conclude", "experiment"]
    late = client.post(f"{PREFIX}/experiments/{experiment['id']}/events",
                       json={"exposures": ["x"]}, headers=viewer)
    assert late.status_code == 409
    listed = client.get(f"{PREFIX}/experiments", headers=viewer).json
    assert [e["id"] for e in listed["experiments"]] == [experiment["id"]]


def test_raising_coverage_keeps_units_and_layers_do_not_overlap(client, editor, engine):
    first = start(client, editor, layer="loaders", coverage=0.3)
    second = start(client, editor, key="lazy_loading_unloading_enabled", layer="loaders",
                   coverage=0.7, variants=[{"name": "off", "value": False, "weight": 0.5},
                                           {"name": "on", "value": True, "weight": 0.5}])
    assert not any(inside(first["slots"], p) and inside(second["slots"], p)
                   for p in range(10_000))
    both = [u for u in UNITS if engine.decide(KEY, {"client_id": u}).layer == "experiment"
            and engine.decide("lazy_loading_unloading_enabled", {"client_id": u}).layer
            == "experiment"]
    assert both == []
    full = client.post(f"{PREFIX}/experiments", headers=editor, json={
        **BODY, "key": "cache_enabled", "layer": "loaders", "coverage": 0.1,
        "variants": [{"name": "a", "value": True, "weight": 0.5},
                     {"name": "b", "value": False, "weight": 0.5}]})
    assert full.status_code == 409  # the layer has no free buckets left
    assert bucket(layer_salt("loaders"), "x") in range(10_000)


def test_the_engine_reports_its_own_exposure_and_metrics(make_engine):
    writer = make_engine()
    experiment = writer.start_experiment(KEY, {"variants": VARIANTS, "metrics": ["load_ms"]})
    loader = make_engine({"LAZYCONFIG_CLIENT_ID": "loader-3"})
    assert loader.get(KEY) == engine_value(loader, "loader-3")
    loader.track("load_ms", 42.0)
    loader.events.flush()
    found = writer.experiment_results(experiment["id"])
    assert sum(v["exposures"] for v in found["variants"]) == 1
    assert [v["metrics"]["load_ms"]["mean"] for v in found["variants"] if v["metrics"]] == [42.0]


def engine_value(engine, unit):
    return engine.decide(KEY, {"client_id": unit}).value


@pytest.mark.parametrize("body, status", [
    ({**BODY, "variants": [{**VARIANTS[0], "weight": 0.6}, VARIANTS[1]]}, 400),
    ({**BODY, "variants": [VARIANTS[0], {**VARIANTS[1], "value": "RECKLESS"}]}, 400),
    ({**BODY, "key": "no_such_key"}, 404),
    ({**BODY, "audience": [{"attribute": "planet", "op": "equals", "value": "mars"}]}, 400),
    ({**BODY, "unit": "planet"}, 400),
    ({**BODY, "coverage": 1.5}, 400),
    ({**BODY, "salt": "has:colon"}, 400),
    ({**BODY, "variants": "two"}, 400),
])
def test_hostile_definitions_change_nothing(client, editor, engine, body, status):
    revision = engine.revision
    answer = client.post(f"{PREFIX}/experiments", json=body, headers=editor)
    assert answer.status_code == status and answer.json["code"] == status
    assert engine.revision == revision and engine.experiment_page(10) == ([], 0)


@pytest.mark.parametrize("events", [
    {"metrics": [{"unit": "loader-1", "metric": "unknown_metric", "value": 1.0}]},
    {"metrics": [{"unit": "loader-1", "metric": "load_ms", "value": "fast"}]},
    {"exposures": [7]},
    {"exposures": "loader-1"},
    {"exposures": ["u"] * 10_001},
])
def test_hostile_events_record_nothing(client, editor, viewer, engine, events):
    experiment = start(client, editor)
    answer = client.post(f"{PREFIX}/experiments/{experiment['id']}/events",
                         json={"exposures": ["loader-2"], **events}, headers=viewer)
    assert answer.status_code == 400
    found = engine.experiment_results(experiment["id"])
    assert all(v["exposures"] == 0 and v["metrics"] == {} for v in found["variants"])


def test_a_second_experiment_on_a_key_conflicts_and_unknown_ones_are_404(client, editor, viewer):
    start(client, editor)
    assert client.post(f"{PREFIX}/experiments", json=BODY, headers=editor).status_code == 409
    assert client.get(f"{PREFIX}/experiments/999", headers=viewer).status_code == 404
    assert client.post(f"{PREFIX}/experiments/999/conclude", json={"winner": "a"},
                       headers=editor).status_code == 404


def test_raising_coverage_over_the_api_moves_no_exposed_unit(client, editor, engine):
    experiment = start(client, editor, coverage=0.1)
    units = [f"loader-{n}" for n in range(5000)]
    before = {u: engine.decide(KEY, {"client_id": u}).variant for u in units}
    exposed = {u: v for u, v in before.items() if v is not None}
    assert 350 < len(exposed) < 650
    path = f"{PREFIX}/experiments/{experiment['id']}"
    changed = client.patch(path, json={"coverage": 0.5,
                                       "weights": {"control": 0.4, "aggressive": 0.6}},
                           headers=editor)
    assert changed.status_code == 200 and changed.json["coverage"] == 0.5
    after = {u: engine.decide(KEY, {"client_id": u}).variant for u in units}
    assert all(after[u] == v for u, v in exposed.items())
    assert 2200 < sum(v is not None for v in after.values()) < 2800
    revision = engine.revision
    shrink = client.patch(path, json={"weights": {"control": 0.9, "aggressive": 0.1}},
                          headers=editor)
    assert shrink.status_code == 409 and engine.revision == revision
    assert client.patch(path, json={"weights": {"control": 0.9}},
                        headers=editor).status_code == 400
    history, _ = engine.get_history(KEY)
    assert [h["action"] for h in history] == ["experiment", "experiment"]
