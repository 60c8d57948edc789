"""The engine tells its observers (the API's metrics) of each write it applied, by the
action its change log names, and of each one a rule refused; a dry run, a write that
changed nothing and a failing observer tell or break nothing."""
from __future__ import annotations

import logging

import pytest

from lazyconfig.errors import ValidationFailed

LOADS, CACHE = "max_concurrent_loads", "cache_size_limit"


class Recorder:
    def __init__(self):
        self.heard: list[tuple] = []

    def on_write(self, action, keys, revision):
        self.heard.append(("write", action, sorted(keys), revision))

    def on_refused(self, action, keys):
        self.heard.append(("refused", action, sorted(keys)))


@pytest.fixture
def heard(service):
    recorder = Recorder()
    service.observers.add(recorder)
    return recorder.heard


def test_each_applied_write_is_heard_with_its_action_keys_and_revision(service, heard):
    service.set(LOADS, 6)
    service.update({LOADS: 7, CACHE: 2048})
    snapshot = service.create_snapshot("seven")
    service.set(LOADS, 8)
    service.rollback_to_snapshot(snapshot)
    service.reset()
    assert heard == [("write", "set", [LOADS], 1), ("write", "batch", [CACHE, LOADS], 3),
                     ("write", "set", [LOADS], 4), ("write", "rollback", [LOADS], 5),
                     ("write", "reset", [CACHE, LOADS], 7)]


def test_dry_runs_and_writes_that_change_nothing_are_not_heard(service, heard):
    snapshot = service.create_snapshot()
    service.set(LOADS, 6)
    service.rollback_to_snapshot(snapshot, dry_run=True)
    service.import_configuration({"version": 1, "values": {LOADS: 9}}, dry_run=True)
    service.unset(CACHE)  # no runtime override to remove
    assert heard == [("write", "set", [LOADS], 1)]


def test_refusals_by_a_rule_are_heard_with_the_action(service, heard):
    assert service.set(LOADS, -1) is False
    with pytest.raises(ValidationFailed):
        service.put_rule({**service.get_rule(LOADS).to_record(), "default": -3})
    assert service.validate(LOADS, "many") and service.validate(LOADS, 3) == []
    assert heard == [("refused", "set", [LOADS]), ("refused", "rule", [LOADS]),
                     ("refused", "validate", [LOADS])]


def test_a_failing_observer_is_logged_and_fails_no_write(service, heard, caplog):
    class Broken:
        def on_write(self, *args):
            raise RuntimeError("observer bug")
    service.observers.add(Broken())
    with caplog.at_level(logging.ERROR, logger="lazyconfig.service.observers"):
        assert service.set(LOADS, 6) is True
    assert service.get(LOADS) == 6 and heard == [("write", "set", [LOADS], 1)]
    assert "observer bug" in caplog.text
