"""Errors are JSON in flask-smorest's shape everywhere under /api; a 500 reveals nothing."""
from __future__ import annotations

import logging

from lazyconfig.errors import StorageUnavailable

from .conftest import PREFIX


def test_unexpected_error_is_a_bare_500_logged_with_a_request_id(client, viewer, engine,
                                                                 monkeypatch, caplog):
    def explode():
        raise RuntimeError("password=hunter2 at /srv/internal/path.py")
    monkeypatch.setattr(engine, "entries", explode)
    with caplog.at_level(logging.ERROR, logger="lazyconfig.api.errors"):
        response = client.get(f"{PREFIX}/values", headers=viewer)
    assert response.status_code == 500
    request_id = response.headers["X-Request-ID"]
    assert response.json == {"code": 500, "status": "Internal Server Error", "message":
                             f"internal server error; quote request id {request_id} when "
                             "reporting it"}
    text = response.get_data(as_text=True)
    assert "hunter2" not in text and "Traceback" not in text and "RuntimeError" not in text
    [record] = [r for r in caplog.records if request_id in r.getMessage()]
    assert record.exc_info and "hunter2" in str(record.exc_info[1])


def test_a_callers_request_id_is_kept_and_recorded(client, editor, viewer):
    headers = {**editor, "X-Request-ID": "deploy-42"}
    response = client.put(f"{PREFIX}/values/load_timeout", json={"value": 5.0}, headers=headers)
    assert response.headers["X-Request-ID"] == "deploy-42"
    [note] = client.get(f"{PREFIX}/notifications", headers=viewer).json["notifications"]
    assert note["request_id"] == "deploy-42"


def test_database_down_is_503(client, editor, engine, monkeypatch):
    def unavailable(*args, **kwargs):
        raise StorageUnavailable("the configuration database is unavailable; nothing was changed")
    monkeypatch.setattr(engine, "write_values", unavailable)
    response = client.put(f"{PREFIX}/values/load_timeout", json={"value": 5.0}, headers=editor)
    assert response.status_code == 503 and response.json["code"] == 503


def test_unknown_paths_and_methods_answer_json(client, viewer):
    missing = client.get(f"{PREFIX}/nowhere", headers=viewer)
    assert missing.status_code == 404 and missing.json["code"] == 404
    wrong_method = client.patch(f"{PREFIX}/status", headers=viewer)
    assert wrong_method.status_code == 405 and wrong_method.json["code"] == 405
    assert wrong_method.content_type == "application/json"
