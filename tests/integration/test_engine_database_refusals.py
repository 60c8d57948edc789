"""Only a database out of reach is "unavailable, retry": a value the database cannot hold is
the caller's error, answered alike on both databases, and tables that moved under a running
server make it not ready until they are back, when it loads its state again by itself."""
from __future__ import annotations

import pytest
from sqlalchemy import text

from lazyconfig.errors import ConfigurationError, NotReady, Unavailable
from lazyconfig.service import reads
from tests.conftest import PREFIX

INTERVAL = "lazy_loading_unloading_check_interval"
NUL_KEY = "lazy\x00loading"


def rename(tables, old: str, new: str) -> None:
    tables.execute(text(f"ALTER TABLE {old} RENAME TO {new}"))


@pytest.fixture
def moved_values(engine, tables):
    """The values table renamed behind the engine's back; put back after the test."""
    engine.set(INTERVAL, 30.0, strict=True)
    rename(tables, "config_values", "config_values_moved")
    moved = {"now": True}
    yield moved
    if moved["now"]:
        rename(tables, "config_values_moved", "config_values")


def test_a_nul_in_a_query_parameter_is_the_callers_error(client, admin):
    answer = client.get(f"{PREFIX}/notifications", query_string={"key": NUL_KEY},
                        headers=admin)
    assert answer.status_code == 422, answer.get_json()
    assert "NUL" in answer.get_json()["message"]
    history = client.get(f"{PREFIX}/values/lazy%00loading/history", headers=admin)
    assert history.status_code == 404


def test_a_nul_the_database_cannot_compare_is_never_unavailable(engine):
    # Straight to the database, past the engine's own check: PostgreSQL refuses the text,
    # SQLite finds nothing; neither may call that an outage.
    try:
        found = reads.history(engine.storage, engine.redaction(True), NUL_KEY, 10, 0)
    except ConfigurationError as exc:
        assert not isinstance(exc, Unavailable) and "NUL" in exc.message, exc.message
    else:
        assert found == ([], 0)


def test_a_table_moved_under_the_engine_makes_it_not_ready(engine, client, admin,
                                                           moved_values, tables):
    count = tables.change_count()
    with pytest.raises(NotReady, match="schema"):
        engine.write_values({INTERVAL: 10.0})
    answer = client.put(f"{PREFIX}/values/{INTERVAL}", json={"value": 11.0}, headers=admin)
    assert answer.status_code == 503 and "Retry-After" not in answer.headers
    assert "schema" in answer.get_json()["message"]
    assert client.get("/readyz").status_code == 503
    assert client.get("/readyz").status_code == 503  # still, until the tables are back
    assert tables.change_count() == count and engine.get(INTERVAL) == 30.0


def test_the_engine_recovers_once_the_table_is_back(engine, client, admin, moved_values,
                                                    tables):
    with pytest.raises(NotReady):
        engine.write_values({INTERVAL: 10.0})
    rename(tables, "config_values_moved", "config_values")
    moved_values["now"] = False
    ready = client.get("/readyz")
    assert ready.status_code == 200, ready.get_json()
    answer = client.put(f"{PREFIX}/values/{INTERVAL}", json={"value": 11.0}, headers=admin)
    assert answer.status_code == 200, answer.get_json()
    assert engine.get(INTERVAL) == 11.0
    assert tables.values()[(INTERVAL, "runtime")] == 11.0


def test_a_rule_change_on_a_renamed_rules_table_is_not_an_outage(engine, client, tables):
    record = engine.get_rule(INTERVAL).to_record()
    rename(tables, "config_rules", "config_rules_moved")
    try:
        with pytest.raises(NotReady, match="schema"):
            engine.put_rule({**record, "description": "moved"})
        assert client.get("/readyz").status_code == 503
    finally:
        rename(tables, "config_rules_moved", "config_rules")
    assert client.get("/readyz").status_code == 200
    assert engine.put_rule({**record, "description": "back"}).description == "back"


def test_reads_serve_memory_marked_stale_while_the_change_log_has_moved(engine, client, admin,
                                                                         tables):
    engine.set(INTERVAL, 30.0, strict=True)
    rename(tables, "changes", "changes_moved")
    try:
        answer = client.get(f"{PREFIX}/values/{INTERVAL}", headers=admin)
        assert answer.status_code == 200, answer.get_json()
        assert answer.get_json()["value"] == 30.0
        assert answer.headers.get("X-Lazyconfig-Stale") == "true"
    finally:
        rename(tables, "changes_moved", "changes")
