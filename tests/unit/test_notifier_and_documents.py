"""The notifier's delivery order, import-document reading and UpdateResult, in memory."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from lazyconfig import UpdateResult
from lazyconfig.domain.documents import export_document, read_import_document
from lazyconfig.domain import Change, ConfigEntry
from lazyconfig.errors import InvalidDocument
from lazyconfig.coherence.notifier import Notifier
from lazyconfig.settings import Settings

NOW = datetime(2026, 1, 1, tzinfo=timezone.utc)


def change(revision: int, key: str = "k") -> Change:
    return Change(revision, NOW, key, None, revision, "runtime", "set", "u", None)


def test_subscribers_get_each_change_in_order_and_filtered_by_key():
    notifier = Notifier()
    all_seen, a_seen = [], []
    notifier.subscribe(lambda c: all_seen.append(c.revision))
    notifier.subscribe(lambda c: a_seen.append(c.revision), keys=["a"])
    notifier.publish([change(1, "a"), change(2, "b")])
    notifier.publish([change(3, "a")])
    assert all_seen == [1, 2, 3] and a_seen == [1, 3]


def test_changes_published_from_a_callback_wait_their_turn():
    notifier = Notifier()
    seen = []

    def first(c):
        seen.append(("first", c.revision))
        if c.revision == 1:
            notifier.publish([change(2)])

    notifier.subscribe(first)
    notifier.subscribe(lambda c: seen.append(("second", c.revision)))
    notifier.publish([change(1)])
    assert seen == [("first", 1), ("second", 1), ("first", 2), ("second", 2)]


def test_a_failing_callback_is_logged_and_delivery_goes_on(caplog):
    notifier = Notifier()
    seen = []
    notifier.subscribe(lambda c: 1 / 0)
    notifier.subscribe(lambda c: seen.append(c.revision))
    notifier.publish([change(1), change(2)])
    assert seen == [1, 2] and "ZeroDivisionError" in caplog.text
    notifier.publish([change(3)])  # still delivering after the failure
    assert seen == [1, 2, 3]


def test_unsubscribe_by_subscription_or_id():
    notifier = Notifier()
    seen = []
    sub = notifier.subscribe(seen.append)
    other = notifier.subscribe(seen.append)
    assert notifier.unsubscribe(sub) and notifier.unsubscribe(other.id)
    assert not notifier.unsubscribe(sub)
    notifier.publish([change(1)])
    assert seen == []


def test_export_document_masks_through_the_given_function():
    entries = {"b": ConfigEntry("b", 2, "runtime"), "a": ConfigEntry("a", "s", "default")}
    document = export_document(7, entries, lambda k, v: "***" if k == "a" else v)
    assert document == {"version": 1, "revision": 7, "values": {"a": "***", "b": 2},
                        "sources": {"a": "default", "b": "runtime"}}
    assert list(document["values"]) == ["a", "b"]


@pytest.mark.parametrize("document, message", [
    ([], "JSON object"), ({"values": {}}, "version"), ({"version": 2, "values": {}}, "version"),
    ({"version": True, "values": {}}, "version"), ({"version": 1}, "'values'"),
    ({"version": 1, "values": [1]}, "'values'"),
    ({"version": 1, "values": {}, "extra": 1}, "unexpected fields in import document: extra"),
])
def test_bad_import_documents(document, message):
    with pytest.raises(InvalidDocument, match=message):
        read_import_document(document)


def test_an_export_document_is_an_import_document():
    document = {"version": 1, "revision": 3, "values": {"a": 1}, "sources": {"a": "runtime"}}
    assert read_import_document(document) == {"a": 1}


def test_update_result():
    ok = UpdateResult({"a": True, "b": True})
    assert all(ok.values()) and ok.errors == {} and ok == {"a": True, "b": True}
    refused = UpdateResult({"a": False, "b": False}, {"b": ["bad"]})
    assert not all(refused.values()) and refused.errors == {"b": ["bad"]}


def test_settings_from_the_environment(tmp_path):
    settings = Settings.from_env({"LAZYCONFIG_INSTANCE_PATH": str(tmp_path),
                                  "LAZYCONFIG_SNAPSHOT_MAX_COUNT": "7",
                                  "LAZYCONFIG_AUTO_MIGRATE": "no"})
    assert settings.database_url == f"sqlite:///{tmp_path / 'lazyconfig.db'}"
    assert settings.snapshot_max_count == 7 and settings.auto_migrate is False
    assert settings.is_sqlite and settings.snapshot_max_age_days == 30
    assert Settings.from_env({}, snapshot_max_count=3).snapshot_max_count == 3
