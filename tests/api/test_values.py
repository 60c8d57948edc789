"""Values: read one and all, set one (the spec's PUT), remove an override, history."""
from __future__ import annotations

from .conftest import PREFIX

KEY = "lazy_loading_unloading_check_interval"
SPEC_PUT = {"key": KEY, "value": 30.0, "source": "runtime",
            "description": "Reduced check interval for faster response"}


def test_list_shows_every_key_with_its_source_and_layers(client, viewer):
    response = client.get(f"{PREFIX}/values", headers=viewer)
    assert response.status_code == 200
    body = response.json
    assert body["count"] == len(body["values"]) == 25
    entry = next(e for e in body["values"] if e["key"] == KEY)
    assert entry == {"key": KEY, "value": 60.0, "source": "default", "layers": {"default": 60.0},
                     "version": 0, "updated_at": None, "updated_by": None, "sensitive": False}


def test_spec_put_sets_the_value_and_says_who_and_when(client, editor, engine):
    response = client.put(f"{PREFIX}/values/{KEY}", json=SPEC_PUT, headers=editor)
    assert response.status_code == 200, response.json
    body = response.json
    assert body["value"] == 30.0 and body["source"] == "runtime"
    assert body["layers"] == {"default": 60.0, "runtime": 30.0}
    assert body["updated_by"] == "editor-user" and body["updated_at"]
    assert response.headers["ETag"] == f'"{body["version"]}"'
    assert engine.get(KEY) == 30.0


def test_get_one_carries_the_version_as_etag(client, editor, viewer):
    client.put(f"{PREFIX}/values/{KEY}", json=SPEC_PUT, headers=editor)
    response = client.get(f"{PREFIX}/values/{KEY}", headers=viewer)
    assert response.status_code == 200
    assert response.json["version"] > 0
    assert response.headers["ETag"] == f'"{response.json["version"]}"'


def test_put_without_key_in_body_uses_the_path(client, editor, engine):
    response = client.put(f"{PREFIX}/values/{KEY}", json={"value": 12}, headers=editor)
    assert response.status_code == 200
    assert engine.get(KEY) == 12.0


def test_invalid_value_is_400_with_per_key_messages_and_changes_nothing(client, editor, engine):
    response = client.put(f"{PREFIX}/values/{KEY}", json={**SPEC_PUT, "value": -5},
                          headers=editor)
    assert response.status_code == 400
    assert response.json["code"] == 400 and response.json["status"] == "Bad Request"
    assert KEY in response.json["errors"] and response.json["errors"][KEY]
    assert engine.get(KEY) == 60.0


def test_unknown_key_is_404(client, editor, viewer):
    assert client.get(f"{PREFIX}/values/no_such_key", headers=viewer).status_code == 404
    response = client.put(f"{PREFIX}/values/no_such_key", json={"value": 1}, headers=editor)
    assert response.status_code == 404
    assert "no_such_key" in response.json["message"]


def test_body_key_disagreeing_with_path_is_409(client, editor, engine):
    response = client.put(f"{PREFIX}/values/{KEY}",
                          json={**SPEC_PUT, "key": "load_timeout"}, headers=editor)
    assert response.status_code == 409
    assert response.json["errors"] == {"key": ["must match the key in the path"]}
    assert engine.get(KEY) == 60.0 and engine.get("load_timeout") == 30.0


def test_if_match_is_honoured_when_sent(client, editor, viewer, engine):
    etag = client.get(f"{PREFIX}/values/{KEY}", headers=viewer).headers["ETag"]
    first = client.put(f"{PREFIX}/values/{KEY}", json=SPEC_PUT,
                       headers={**editor, "If-Match": etag})
    assert first.status_code == 200
    stale = client.put(f"{PREFIX}/values/{KEY}", json={**SPEC_PUT, "value": 45.0},
                       headers={**editor, "If-Match": etag})
    assert stale.status_code == 412
    assert engine.get(KEY) == 30.0
    fresh = client.put(f"{PREFIX}/values/{KEY}", json={**SPEC_PUT, "value": 45.0},
                       headers={**editor, "If-Match": first.headers["ETag"]})
    assert fresh.status_code == 200 and engine.get(KEY) == 45.0


def test_malformed_requests_are_422(client, editor, engine):
    url = f"{PREFIX}/values/{KEY}"
    missing_value = client.put(url, json={"key": KEY}, headers=editor)
    assert missing_value.status_code == 422
    assert "value" in missing_value.json["errors"]["json"]
    unknown_field = client.put(url, json={**SPEC_PUT, "colour": "red"}, headers=editor)
    assert unknown_field.status_code == 422
    not_json = client.put(url, data="{not json", content_type="application/json",
                          headers=editor)
    assert not_json.status_code == 422
    assert not_json.json["errors"] == {"json": ["Invalid JSON body."]}
    not_an_object = client.put(url, json=[1, 2], headers=editor)
    assert not_an_object.status_code == 422
    form = client.put(url, data={"value": "30"}, headers=editor)
    assert form.status_code == 422
    assert engine.get(KEY) == 60.0


def test_unwritable_source_is_400(client, editor, engine):
    response = client.put(f"{PREFIX}/values/{KEY}", json={**SPEC_PUT, "source": "default"},
                          headers=editor)
    assert response.status_code == 400
    assert "source" in response.json["errors"]
    assert engine.get(KEY) == 60.0


def test_body_over_one_mebibyte_is_413(client, editor, engine):
    huge = {**SPEC_PUT, "description": "x" * (1024 * 1024)}
    response = client.put(f"{PREFIX}/values/{KEY}", json=huge, headers=editor)
    assert response.status_code == 413
    assert response.json["code"] == 413
    assert engine.get(KEY) == 60.0


def test_delete_removes_the_runtime_override(client, editor, engine):
    client.put(f"{PREFIX}/values/{KEY}", json=SPEC_PUT, headers=editor)
    response = client.delete(f"{PREFIX}/values/{KEY}", headers=editor)
    assert response.status_code == 200
    assert response.json["value"] == 60.0 and response.json["source"] == "default"
    assert "runtime" not in response.json["layers"]
    assert engine.get(KEY) == 60.0
    assert client.delete(f"{PREFIX}/values/nope", headers=editor).status_code == 404


def test_history_lists_a_keys_changes_newest_first(client, editor, viewer):
    for value in (10.0, 20.0, 30.0):
        client.put(f"{PREFIX}/values/{KEY}", json={"value": value}, headers=editor)
    response = client.get(f"{PREFIX}/values/{KEY}/history?limit=2", headers=viewer)
    assert response.status_code == 200
    body = response.json
    assert body["key"] == KEY and body["total"] == 3
    assert [c["new_value"] for c in body["history"]] == [30.0, 20.0]
    assert all(c["user"] == "editor-user" for c in body["history"])
    assert client.get(f"{PREFIX}/values/nope/history", headers=viewer).status_code == 404
    assert client.get(f"{PREFIX}/values/{KEY}/history?limit=0",
                      headers=viewer).status_code == 422
