"""Buffered experiment events (one implementation for the engine and the client): sent in batches
off the read path, and dropped, never held or waited for, when the buffer is full or the
server is away."""
from __future__ import annotations

import time

import pytest

from lazyconfig.client import experiment_events as client_events
from lazyconfig.service import experiment_events as engine_events


@pytest.fixture
def buffer_type():
    return client_events.EventBuffer


def test_the_engine_and_the_client_buffer_events_with_one_implementation():
    assert engine_events.EventBuffer is client_events.EventBuffer


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
