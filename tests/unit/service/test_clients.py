"""Named watchers in the service layer (service/clients.py): names from the header, acks
coalesced per flush, lag and delivery from the table, pruning after LAZYCONFIG_CLIENT_TTL."""
from __future__ import annotations

from datetime import timedelta

from lazyconfig.db.base import utcnow
from lazyconfig.service.clients import ClientName, ClientReports, header_client_name

KEY = "load_timeout"


def test_a_header_names_a_client_and_a_malformed_one_leaves_it_anonymous():
    assert header_client_name("id=loader-7; host=web-3; version=1.4.0") == ClientName(
        "loader-7", "web-3", "1.4.0")
    assert header_client_name("host=web-3") is None  # no id
    assert header_client_name("id=" + "x" * 201) is None
    assert header_client_name("id=bad\x01") is None
    assert header_client_name(None) is None


def test_many_acks_between_two_flushes_make_one_write_of_the_highest():
    saved = []
    reports = ClientReports(saved.append, interval=3600)  # the thread never flushes here
    name = ClientName("loader-1", "h", "1")
    for revision in (3, 9, 5):
        reports.note(name, "websocket", revision)
    reports.note(name, "websocket")  # seen, no ack: keeps 9
    reports.flush()
    reports.flush()  # nothing changed: nothing written
    reports.close()
    assert len(saved) == 1 and [(r["id"], r["acked"]) for r in saved[0]] == [("loader-1", 9)]


def test_lag_delivery_and_pruning(make_engine):
    engine = make_engine({"LAZYCONFIG_CLIENT_TTL": "60"})
    engine.set(KEY, 31.0)
    first = engine.revision
    engine.set(KEY, 32.0)
    second = engine.revision
    now = utcnow()
    engine.save_client_reports([
        {"id": "a", "host": "h", "version": "1", "transport": "sse", "acked": second,
         "seen_at": now},
        {"id": "b", "host": "h", "version": "1", "transport": "websocket", "acked": first,
         "seen_at": now},
        {"id": "old", "host": "h", "version": "1", "transport": "sse", "acked": second,
         "seen_at": now - timedelta(seconds=61)}])
    engine.report_client("b", first - 1)  # an ack never goes back
    clients, head = engine.watch_clients()
    assert head == second and [c["id"] for c in clients] == ["a", "b"]
    lag = {c["id"]: (c["acked"], c["lag_revisions"], c["lag_seconds"] >= 0) for c in clients}
    assert lag == {"a": (second, 0, True), "b": (first, 1, True)}
    assert clients[0]["lag_seconds"] == 0
    assert engine.delivery(second) == {"revision": second, "head": second, "total": 2,
                                       "delivered": 1, "pending": [{"id": "b", "acked": first}]}
    with engine.storage.reading() as uow:  # the stale one was pruned, not only hidden
        assert [c["id"] for c in uow.watch_clients.seen_since(now - timedelta(days=1))] == [
            "a", "b"]
