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
