"""GET /analytics/changes: an operator sees how much changes, who changes what, how often
changes are taken back and how fast, and which keys people keep getting wrong."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from .conftest import PREFIX

KEY = "lazy_loading_unloading_check_interval"
STRATEGY = "lazy_loading_unloading_strategy"


def _changes(client, headers, **query):
    response = client.get(f"{PREFIX}/analytics/changes", query_string=query, headers=headers)
    assert response.status_code == 200, response.json
    return response.json


def _logged(engine, *changes: tuple[datetime, str, str]) -> None:
    """Append (at, key, action) rows to the change log as if made then (the database's
    trigger counts them as it counts every change)."""
    with engine.storage.writing() as uow:
        uow.changes.append_many([
            {"at": at, "key": key, "old_value": 1.0, "new_value": 2.0, "source": "runtime",
             "action": action, "actor": "carol", "description": None, "batch_id": None,
             "request_id": None} for at, key, action in changes])
        uow.commit()


def test_changes_are_counted_by_key_user_action_and_day(client, as_role, viewer, engine):
    for user, key, value in [("alice", KEY, 10.0), ("alice", KEY, 20.0), ("bob", STRATEGY, "BALANCED")]:
        assert client.put(f"{PREFIX}/values/{key}", json={"value": value},
                          headers=as_role("editor", user)).status_code == 200
    by_key = _changes(client, viewer, group_by="key")
    assert by_key["total_changes"] == 3 and by_key["by_action"] == {"set": 3}
    assert by_key["groups"] == [{"group": KEY, "changes": 2}, {"group": STRATEGY, "changes": 1}]
    by_user = _changes(client, viewer, group_by="user", limit=1)
    assert by_user["groups"] == [{"group": "alice", "changes": 2}]
    today = datetime.now(timezone.utc).strftime("%Y-%m-%d")
    assert _changes(client, viewer)["groups"] == [{"group": today, "changes": 3}]
    assert _changes(client, viewer, group_by="action")["groups"] == [{"group": "set", "changes": 3}]


def test_a_range_of_days_counts_only_its_changes_by_utc_day(client, editor, viewer, engine):
    client.put(f"{PREFIX}/values/{KEY}", json={"value": 20.0}, headers=editor)
    _logged(engine, (datetime(2026, 3, 1, 23, 59, tzinfo=timezone.utc), KEY, "set"),
            (datetime(2026, 3, 2, 0, 0, tzinfo=timezone(timedelta(hours=2))), STRATEGY, "set"))
    old = _changes(client, viewer, **{"from": "2026-03-01", "to": "2026-03-01"})
    assert old["total_changes"] == 2  # 00:00 at UTC+2 is 22:00 UTC the day before
    assert old["groups"] == [{"group": "2026-03-01", "changes": 2}]
    assert (old["from"], old["to"]) == ("2026-03-01", "2026-03-01")
    assert _changes(client, viewer, group_by="user")["groups"] == [
        {"group": "editor-user", "changes": 1}]  # the last 30 days by default


def test_reverts_and_rollbacks_are_a_share_with_their_median_delay(client, editor, viewer, engine):
    base = client.put(f"{PREFIX}/values/{KEY}", json={"value": 10.0}, headers=editor).json
    client.put(f"{PREFIX}/values/{KEY}", json={"value": 99.0}, headers=editor)
    revert = client.post(f"{PREFIX}/values/{KEY}/revert", json={"revision": base["version"]},
                         headers=editor)  # seconds after the change it takes back
    assert revert.status_code == 200, revert.json
    now = datetime.now(timezone.utc)
    _logged(engine, (now - timedelta(seconds=300), STRATEGY, "set"),
            (now - timedelta(seconds=180), STRATEGY, "rollback"),  # 120 s later
            (now - timedelta(seconds=100), "load_timeout", "set"),
            (now, "load_timeout", "rollback"))  # 100 s later
    report = _changes(client, viewer, group_by="action")
    assert (report["reverts"], report["rollbacks"], report["total_changes"]) == (1, 2, 7)
    assert abs(report["undo_share"] - 3 / 7) < 1e-9
    assert abs(report["median_seconds_to_undo"] - 100) < 1  # of about 0, 100 and 120
    assert report["groups"][0] == {"group": "set", "changes": 4}


def test_refused_values_are_counted_by_key(client, editor, viewer):
    for value in (-1, "soon"):
        assert client.put(f"{PREFIX}/values/{KEY}", json={"value": value},
                          headers=editor).status_code == 400
    assert client.put(f"{PREFIX}/values/{STRATEGY}", json={"value": "NOPE"},
                      headers=editor).status_code == 400
    # A check is not a refused write (the console checks as the user types).
    assert client.post(f"{PREFIX}/validate", json={"key": STRATEGY, "value": "NOPE"},
                       headers=viewer).json["is_valid"] is False
    report = _changes(client, viewer)
    assert report["refusals"] == [{"key": KEY, "refusals": 2}, {"key": STRATEGY, "refusals": 1}]
    assert report["total_changes"] == 0 and report["median_seconds_to_undo"] is None


def test_bad_queries_are_refused(client, viewer):
    for query in ({"group_by": "colour"}, {"limit": 0}, {"from": "yesterday"},
                  {"from": "2026-03-02", "to": "2026-03-01"}):
        response = client.get(f"{PREFIX}/analytics/changes", query_string=query, headers=viewer)
        assert response.status_code == 422, (query, response.json)
        assert response.json["message"]
    assert client.get(f"{PREFIX}/analytics/changes").status_code == 401


def test_the_first_and_last_days_there_are_answer(client, viewer):
    report = _changes(client, viewer, **{"from": "0001-01-01", "to": "9999-12-31"})
    assert (report["from"], report["to"], report["total_changes"]) == ("0001-01-01", "9999-12-31", 0)
    assert _changes(client, viewer, to="0001-01-05")["from"] == "0001-01-01"


def test_a_large_write_is_counted_whole(client, admin, viewer, engine):
    # Over 50 rows the change log is appended by COPY on PostgreSQL (db/repositories/changes.py).
    for n in range(60):
        rule = {"type": "int", "default": 0, "description": f"counter {n}"}
        assert client.put(f"{PREFIX}/rules/analytics.counter_{n}", json=rule, headers=admin).status_code in (200, 201)
    updates = [{"key": f"analytics.counter_{n}", "value": n + 1} for n in range(60)]
    assert client.post(f"{PREFIX}/values/batch", json={"updates": updates}, headers=admin).status_code == 200
    report = _changes(client, viewer, group_by="action")
    assert report["by_action"]["batch"] == 60
    assert report["total_changes"] == sum(report["by_action"].values())
