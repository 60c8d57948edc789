"""LiveConfig with a context, against real gunicorn: it reads the values targeting gives
that context, follows targeting changes and value changes, and ConfigClient explains."""
from __future__ import annotations

import pytest

from lazyconfig.client import LiveConfig
from tests.ops.live_server import eventually

pytestmark = pytest.mark.slow
KEY = "lazy_loading_unloading_check_interval"
EU = {"cluster": "eu-1", "client_id": "loader-1"}


def test_live_config_follows_targeting_for_its_context(client_as):
    editor = client_as("editor")
    editor.put_targeting(KEY, None)
    with LiveConfig(client_as("viewer"), context=EU) as eu, \
            LiveConfig(client_as("viewer"), context={"cluster": "us-1"}) as us:
        editor.set(KEY, 50.0)
        assert eventually(lambda: eu.get(KEY) == 50.0 and us.get(KEY) == 50.0)
        editor.put_targeting(KEY, [{"when": [{"attribute": "cluster", "op": "equals",
                                              "value": "eu-1"}], "value": 15.0}])
        assert eventually(lambda: eu.get(KEY) == 15.0)
        editor.set(KEY, 55.0)  # eu-1 keeps its targeted value; us-1 follows the change
        assert eventually(lambda: us.get(KEY) == 55.0) and eu.get(KEY) == 15.0
        explained = editor.explain(KEY, EU)
        assert (explained["layer"], explained["rule"], explained["value"]) == ("targeting", 0, 15.0)
        editor.put_targeting(KEY, None)
        assert eventually(lambda: eu.get(KEY) == 55.0)
        assert editor.get(KEY, {"cluster": "eu-1"}) == 55.0


def test_server_engine_and_live_config_agree_and_live_config_reports_events(client_as):
    from lazyconfig.client.bucketing import bucket
    from lazyconfig.domain.targeting import KeyTargeting
    editor = client_as("editor")
    strategy = "lazy_loading_unloading_strategy"
    experiment = editor.start_experiment(strategy, [
        {"name": "control", "value": "BALANCED", "weight": 0.5},
        {"name": "aggressive", "value": "AGGRESSIVE", "weight": 0.5}], metrics=["load_ms"])
    local = KeyTargeting(strategy, (), {**experiment, "id": experiment["id"]})
    for n in range(50):  # the full 1,000,000-id agreement is tests/unit/test_bucketing.py
        unit = f"loader-{n}"
        served = editor.explain(strategy, {"client_id": unit})
        assert served["variant"] == local.decide({"client_id": unit}).variant
        assert bucket(experiment["salt"], unit) in range(10_000)
    config = LiveConfig(client_as("viewer"), context={"client_id": "loader-3"}).start()
    try:
        assert config.get(strategy) == editor.get(strategy, {"client_id": "loader-3"})
        config.track("load_ms", 250.0)
    finally:
        config.close()  # sends what waits
    found = editor.experiment_results(experiment["id"])
    assert sum(v["exposures"] for v in found["variants"]) == 1
    assert [v["metrics"]["load_ms"]["mean"] for v in found["variants"] if v["metrics"]] == [250.0]
    editor.conclude_experiment(experiment["id"], "control")
