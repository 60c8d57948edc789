"""Logs: one JSON line per request (method, path, status, duration, user, request id) and one
per configuration change; X-Request-ID is taken from the request or generated, and echoed."""
from __future__ import annotations

import json
import logging

from lazyconfig.logs import JsonFormatter, TextFormatter

PREFIX = "/api/lazy-loading-config"


def fields(caplog, logger):
    return [r.fields for r in caplog.records if r.name == logger]


def test_one_line_per_request_with_the_request_id_echoed(client, as_role, caplog):
    caplog.set_level(logging.INFO)
    alice = as_role("editor", "alice")
    response = client.put(f"{PREFIX}/values/load_timeout", json={"value": 5.0},
                          headers={**alice, "X-Request-ID": "trace-123"})
    assert response.headers["X-Request-ID"] == "trace-123"
    generated = client.get("/healthz").headers["X-Request-ID"]
    assert len(generated) == 32

    requests = fields(caplog, "lazyconfig.requests")
    assert len(requests) == 2
    put, health = requests
    assert {k: put[k] for k in ("event", "method", "path", "status", "user", "request_id")} == {
        "event": "request", "method": "PUT", "path": f"{PREFIX}/values/load_timeout",
        "status": 200, "user": "alice", "request_id": "trace-123"}
    assert put["duration_ms"] >= 0
    assert (health["user"], health["request_id"]) == (None, generated)


def test_one_line_per_change_in_the_process_that_made_it(client, as_role, caplog, make_engine):
    caplog.set_level(logging.INFO)
    other = make_engine()  # another process's engine: it sees the changes, logs none
    body = {"updates": [{"key": "load_timeout", "value": 9.0},
                        {"key": "max_concurrent_loads", "value": 3}]}
    client.post(f"{PREFIX}/values/batch", json=body,
                headers={**as_role("editor", "bob"), "X-Request-ID": "batch-1"})
    other.refresh()
    changes = fields(caplog, "lazyconfig.changes")
    assert [(c["key"], c["old_value"], c["new_value"], c["user"], c["request_id"], c["action"])
            for c in changes] == [("load_timeout", 30.0, 9.0, "bob", "batch-1", "batch"),
                                  ("max_concurrent_loads", 4, 3, "bob", "batch-1", "batch")]


def test_sensitive_values_stay_out_of_change_lines(engine, caplog):
    caplog.set_level(logging.INFO)
    engine.put_rule({"key": "api_password", "value_type": "string", "default": "",
                     "sensitive": True})
    engine.set("api_password", "hunter2", user="ops")
    line = fields(caplog, "lazyconfig.changes")[-1]
    assert line["new_value"] == "***" and "hunter2" not in json.dumps(line)


def test_the_formatter_writes_one_json_object_per_line():
    record = logging.LogRecord("lazyconfig.requests", logging.INFO, __file__, 1, "GET %s",
                               ("/healthz",), None)
    record.fields = {"status": 200, "request_id": "r1"}
    line = JsonFormatter().format(record)
    assert "\n" not in line
    data = json.loads(line)
    assert (data["message"], data["status"], data["request_id"], data["level"]) == \
        ("GET /healthz", 200, "r1", "INFO")


def test_text_lines_escape_what_a_client_sends(client, as_role, caplog):
    """With LAZYCONFIG_LOG_FORMAT=text a path (or any text a client chose) with a newline
    would start a line that reads like ours: every control character is escaped."""
    caplog.set_level(logging.INFO)
    client.get(f"{PREFIX}/values/x%0A2026-01-01 00:00:00 [1] INFO lazyconfig: forged\x1b[2J",
               headers=as_role("viewer"))
    record = [r for r in caplog.records if r.name == "lazyconfig.requests"][-1]
    line = TextFormatter().format(record)
    assert "\n" not in line and "\x1b" not in line
    assert "x\\n2026-01-01 00:00:00 [1] INFO lazyconfig: forged\\x1b[2J" in line
    assert record.getMessage().count("\n") == 1  # the record itself is left as it was


def test_the_text_format_is_what_the_setting_installs(tmp_path, monkeypatch):
    from lazyconfig.logs import configure
    from lazyconfig.settings import Settings
    installed = {}
    monkeypatch.setattr(logging, "basicConfig", lambda **kwargs: installed.update(kwargs))
    configure(Settings(database_url="sqlite://", instance_path=tmp_path, log_format="text"))
    assert isinstance(installed["handlers"][0].formatter, TextFormatter)
