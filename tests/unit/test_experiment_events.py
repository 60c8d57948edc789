"""Buffered experiment events (the engine's and the client's copy alike): sent in batches
off the read path, and dropped, never held or waited for, when the buffer is full or the
server is away."""
from __future__ import annotations

import time

import pytest

from lazyconfig.client import experiment_events as client_events
from lazyconfig.service import experiment_events as engine_events


@pytest.fixture(params=[engine_events, client_events], ids=["engine", "client"])
def buffer_type(request):
    return request.param.EventBuffer


def test_events_are_sent_in_one_batch_per_experiment(buffer_type):
    sent = []
    events = buffer_type(lambda *batch: sent.append(batch), interval=60)
    events.exposure(1, "loader-1")
    events.observation(1, "loader-1", "load_ms", 12.0)
    events.exposure(2, "loader-1")
    events.close()
    assert sent == [(1, ["loader-1"], [{"unit": "loader-1", "metric": "load_ms", "value": 12.0}]),
                    (2, ["loader-1"], [])]


def test_a_full_buffer_drops_and_an_absent_server_never_blocks(buffer_type):
    def away(*batch):
        raise ConnectionRefusedError("the server is away")
    events = buffer_type(away, interval=60, capacity=3)
    began = time.monotonic()
    for n in range(5):
        events.exposure(1, f"loader-{n}")
    assert events.dropped == 2 and time.monotonic() - began < 0.5
    events.close()
    assert events.dropped == 5
