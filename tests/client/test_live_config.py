"""The change stream from Python: watch() yields every change in order, and LiveConfig, a
local copy read like the engine, sees an API change within a second and keeps following
across a server restart, catching up on what it missed."""
from __future__ import annotations

import threading
import time

import pytest

from lazyconfig.client import Change, LiveConfig
from lazyconfig import bootstrap
from lazyconfig.settings import Settings
from tests.ops.live_server import eventually

pytestmark = pytest.mark.slow
INTERVAL = "lazy_loading_unloading_check_interval"
STRATEGY = "lazy_loading_unloading_strategy"


def test_watch_yields_each_change_once_in_order(client_as):
    editor = client_as("editor", "wanda")
    start = editor.status().revision
    stream = editor.watch(last_event_id=start)
    seen: list[Change] = []

    def follow():
        for change in stream:
            seen.append(change)
            if len(seen) == 3:
                stream.close()
    reader = threading.Thread(target=follow, daemon=True)
    reader.start()
    editor.set("load_timeout", 11.0)
    editor.update({"max_concurrent_loads": 6, "cache_enabled": False})
    reader.join(timeout=10)
    assert not reader.is_alive()
    assert [(c.key, c.new_value, c.user) for c in seen] == [
        ("load_timeout", 11.0, "wanda"), ("max_concurrent_loads", 6, "wanda"),
        ("cache_enabled", False, "wanda")]
    assert [c.revision for c in seen] == list(range(start + 1, start + 4))


def test_live_config_sees_an_api_change_within_a_second(client_as):
    editor = client_as("editor")
    with LiveConfig(client_as("viewer")) as config:
        received: list[Change] = []
        config.subscribe(received.append)
        assert config.get(STRATEGY) == editor.get(STRATEGY)
        revision = editor.set(STRATEGY, "CONSERVATIVE").version
        began = time.monotonic()
        while config.get(STRATEGY) != "CONSERVATIVE" and time.monotonic() - began < 1.0:
            time.sleep(0.005)  # config.get is a memory read: polling it costs no request
        assert config.get(STRATEGY) == "CONSERVATIVE", "not seen within one second"
        assert config.wait_for(revision, timeout=1)
        # Subscribers are called after the copy moved on, so wait_for may return first.
        assert eventually(lambda: received)
        assert [(c.revision, c.key, c.new_value) for c in received] == [
            (revision, STRATEGY, "CONSERVATIVE")]


def test_live_config_recovers_after_the_server_restarts(client_as, server):
    editor = client_as("editor")
    with LiveConfig(client_as("viewer")) as config:
        assert eventually(lambda: config.connected)
        server.stop()
        # While the server is down, another process writes to the same database.
        settings = Settings.from_env(server.env)
        direct = bootstrap(settings, env=server.env, watch=False)
        try:
            direct.set(INTERVAL, 42.0, user="offline-ops")
            missed = direct.revision
        finally:
            direct.close()
        assert config.get(INTERVAL) != 42.0
        server.start()
        assert config.wait_for(missed, timeout=10), "did not catch up after the restart"
        assert config.get(INTERVAL) == 42.0
        revision = editor.set(INTERVAL, 43.0).version
        assert config.wait_for(revision, timeout=2) and config.get(INTERVAL) == 43.0
        assert config.error is None




def test_live_config_behind_the_change_log_loads_every_value_again(client_as, server):
    from lazyconfig.service.compaction import LogRetention

    with LiveConfig(client_as("viewer")) as config:
        assert eventually(lambda: config.connected)
        server.stop()
        # While it is away, the changes it missed are written and compacted away.
        direct = bootstrap(Settings.from_env(server.env), env=server.env, watch=False)
        try:
            for n in range(10):
                direct.set(INTERVAL, 50.0 + n, user="offline-ops")
            direct.change_log.compact(retention=LogRetention(max_entries=2))
            missed = direct.revision
        finally:
            direct.close()
        server.start()
        assert config.wait_for(missed, timeout=10), "did not load again after a 410"
        assert config.get(INTERVAL) == 59.0 and config.error is None
