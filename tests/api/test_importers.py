"""POST /import?format=env|consul|etcd takes the other system's file as it is (text/plain):
the answer reports every entry; a dry run equals the import; a hostile file is a 4xx that
changes nothing; the default format is today's JSON document."""
from __future__ import annotations

from tests.integration.test_engine_importers import PREFIX as PATH, consul_export, env_file

from .conftest import PREFIX

URL = f"{PREFIX}/import"
TEXT = {"Content-Type": "text/plain"}


def _seen(engine):
    with engine.storage.reading() as uow:
        return engine.entries(), uow.changes.count(), engine.list_snapshots()


def test_a_consul_export_is_imported_with_a_report(client, engine, admin):
    data = consul_export({"load_timeout": 12.5, "max_concurrent_loads": 9}, extra=3)
    query = f"?format=consul&prefix={PATH}"
    planned = client.post(URL + query + "&dry_run=true", data=data, headers={**admin, **TEXT})
    assert planned.status_code == 200, planned.json
    assert engine.get("load_timeout") == 30.0
    done = client.post(URL + query, data=data, headers={**admin, **TEXT})
    assert done.status_code == 200 and done.json["diff"] == planned.json["diff"]
    assert done.json["format"] == "consul" and done.json["snapshot_id"] is not None
    assert [r["status"] for r in done.json["report"]] == ["applied"] * 2 + ["unknown key"] * 3
    assert (engine.get("load_timeout"), engine.get("max_concurrent_loads")) == (12.5, 9)


def test_an_env_file_and_the_default_json_document(client, engine, admin):
    env = client.post(URL + "?format=env", data=env_file({"load_timeout": 7.0}),
                      headers={**admin, **TEXT})
    assert env.status_code == 200 and engine.get("load_timeout") == 7.0
    flat = client.post(URL, json={"load_timeout": 8.0}, headers=admin)
    assert flat.status_code == 200 and "report" not in flat.json
    assert engine.get("load_timeout") == 8.0


def test_hostile_files_get_a_4xx_and_change_nothing(client, engine, admin, editor):
    before = _seen(engine)
    for query, data, status in (
            ("consul", b'[{"key": "load_timeout", "value": "not base64!"}]', 422),
            ("etcd", b'{"kvs": [', 422),
            ("env", b"LOAD_TIMEOUT=soon\n", 400),
            ("env", b"X=" + b"1" * (2 << 20), 413),
            ("toml", b"load_timeout = 5", 422)):
        response = client.post(f"{URL}?format={query}", data=data, headers={**admin, **TEXT})
        assert response.status_code == status, (query, response.json)
        assert response.json["message"]
    refused = client.post(URL + "?format=env", data=b"LOAD_TIMEOUT=1\n",
                          headers={**editor, **TEXT})
    assert refused.status_code == 403
    assert _seen(engine) == before
