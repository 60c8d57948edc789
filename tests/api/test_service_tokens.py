"""Service tokens, revocation, key scopes, whoami and the audit log, through the API in
process (the served, cross-worker scenario is tests/serving/test_revocation_served.py)."""
from __future__ import annotations

import hashlib
import threading
import time

import jwt

from .conftest import PREFIX

KEY = "lazy_loading_unloading_check_interval"
OTHER = "lazy_loading_unloading_max_unloads_per_cycle"
WITHIN = 1.0  # seconds a revocation may take to reach every request


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def issue(client, admin, **body) -> dict:
    response = client.post(f"{PREFIX}/tokens", json=body, headers=admin)
    assert response.status_code == 201, response.json
    return response.json


def refused_within(client, path, headers, seconds=WITHIN) -> float:
    """How long until `path` answers 401 to `headers` (fails after `seconds`)."""
    start = time.monotonic()
    while client.get(f"{PREFIX}{path}", headers=headers).status_code != 401:
        assert time.monotonic() - start < seconds, "still accepted"
        time.sleep(0.02)
    return time.monotonic() - start


def test_an_issued_token_is_stored_as_a_hash_listed_without_its_secret_and_works(
        client, engine, admin):
    issued = issue(client, admin, name="loader-eu1", role="viewer")
    token = issued["token"]
    assert token.startswith(f"lzc_{issued['id']}_")
    secret = token.split("_", 2)[2]
    with engine.storage.reading() as uow:
        record, stored = uow.tokens.find(issued["id"])
    assert stored == hashlib.sha256(secret.encode()).hexdigest()
    listed = client.get(f"{PREFIX}/tokens", headers=admin)
    assert listed.json["total"] == 1 and listed.json["tokens"][0]["name"] == "loader-eu1"
    assert secret not in listed.get_data(as_text=True) and stored not in listed.get_data(as_text=True)
    assert client.get(f"{PREFIX}/values/{KEY}", headers=bearer(token)).status_code == 200
    assert client.put(f"{PREFIX}/values/{KEY}", json={"value": 31.0},
                      headers=bearer(token)).status_code == 403  # a viewer
    wrong = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    assert client.get(f"{PREFIX}/values/{KEY}", headers=bearer(wrong)).status_code == 401


def test_an_invalid_request_issues_nothing(client, engine, admin):
    for body in ({"name": "x", "role": "owner"}, {"name": "", "role": "viewer"},
                 {"name": "x", "role": "viewer", "keys": []},
                 {"name": "x", "role": "viewer", "expires_in": 0}):
        assert client.post(f"{PREFIX}/tokens", json=body, headers=admin).status_code == 422
    assert engine.list_tokens() == ([], 0)


def test_an_editor_token_writes_under_its_name(client, engine, admin):
    token = issue(client, admin, name="deployer", role="editor")["token"]
    response = client.put(f"{PREFIX}/values/{KEY}", json={"value": 31.0}, headers=bearer(token))
    assert response.status_code == 200
    assert engine.get_notifications(1)[-1]["user"] == "deployer"


def test_whoami_tells_each_kind_of_caller(client, admin, token):
    signed = token("editor", "alice")
    me = client.get(f"{PREFIX}/auth/whoami", headers=bearer(signed)).json
    assert (me["name"], me["role"], me["kind"], me["keys"]) == ("alice", "editor", "signed", None)
    assert me["token_id"] == jwt.decode(signed, options={"verify_signature": False})["jti"]
    issued = issue(client, admin, name="loader", role="viewer", keys=["lazy_*"],
                   expires_in=3600)
    me = client.get(f"{PREFIX}/auth/whoami", headers=bearer(issued["token"])).json
    assert me == {"name": "loader", "role": "viewer", "kind": "service", "keys": ["lazy_*"],
                  "expires_at": issued["expires_at"], "token_id": f"lzc_{issued['id']}"}


def test_a_revoked_service_token_is_refused_and_the_audit_log_says_who_and_when(
        client, engine, admin):
    issued = issue(client, admin, name="loader", role="viewer")
    headers = bearer(issued["token"])
    assert client.get(f"{PREFIX}/values", headers=headers).status_code == 200  # now cached
    response = client.delete(f"{PREFIX}/tokens/{issued['id']}",
                             headers={**admin, "X-Request-ID": "revoke-42"})
    assert response.status_code == 200 and response.json["revoked_at"] is not None
    refused_within(client, "/values", headers)
    assert client.delete(f"{PREFIX}/tokens/999", headers=admin).status_code == 404
    events = client.get(f"{PREFIX}/audit", headers=admin).json
    assert [e["action"] for e in events["events"]] == ["token.revoke", "token.issue"]
    revoke = events["events"][0]
    assert (revoke["actor"], revoke["subject"], revoke["request_id"]) == (
        "admin-user", f"lzc_{issued['id']}", "revoke-42")


def test_a_signed_token_is_revoked_by_its_jti_and_no_other(client, token, admin):
    doomed, kept = token("editor", "alice"), token("editor", "alice")
    jti = jwt.decode(doomed, options={"verify_signature": False})["jti"]
    assert client.get(f"{PREFIX}/values", headers=bearer(doomed)).status_code == 200
    response = client.post(f"{PREFIX}/tokens/revoke", json={"jti": jti}, headers=admin)
    assert response.json == {"jti": jti, "revoked": True}
    refused_within(client, "/values", bearer(doomed))
    assert client.get(f"{PREFIX}/values", headers=bearer(kept)).status_code == 200
    again = client.post(f"{PREFIX}/tokens/revoke", json={"jti": jti}, headers=admin)
    assert again.json["revoked"] is False
    events = client.get(f"{PREFIX}/audit", headers=admin).json["events"]
    assert [(e["action"], e["subject"]) for e in events] == [("jti.revoke", jti)]


def test_an_expired_service_token_is_refused(client, admin):
    issued = issue(client, admin, name="brief", role="viewer", expires_in=1)
    assert client.get(f"{PREFIX}/values", headers=bearer(issued["token"])).status_code == 200
    time.sleep(1.1)
    response = client.get(f"{PREFIX}/values", headers=bearer(issued["token"]))
    assert response.status_code == 401


def test_last_used_is_written_once_a_minute_not_per_request(client, engine, admin):
    issued = issue(client, admin, name="loader", role="viewer")
    assert issued["last_used_at"] is None
    for _ in range(5):
        client.get(f"{PREFIX}/values/{KEY}", headers=bearer(issued["token"]))
    first = client.get(f"{PREFIX}/tokens", headers=admin).json["tokens"][0]["last_used_at"]
    assert first is not None
    time.sleep(0.05)
    client.get(f"{PREFIX}/values/{KEY}", headers=bearer(issued["token"]))
    assert client.get(f"{PREFIX}/tokens", headers=admin).json["tokens"][0]["last_used_at"] == first


def test_a_scoped_token_reads_and_writes_only_its_keys(client, engine, admin):
    engine.put_rule({"key": "lazy_secret", "value_type": "string", "default": "hunter2",
                     "sensitive": True})
    scoped = bearer(issue(client, admin, name="eu", role="admin",
                          keys=["lazy_loading_unloading_check_*", "lazy_secret"])["token"])
    assert client.get(f"{PREFIX}/values/{KEY}", headers=scoped).status_code == 200
    assert client.get(f"{PREFIX}/values/{OTHER}", headers=scoped).status_code == 403
    listed = client.get(f"{PREFIX}/values", headers=scoped).json
    assert {v["key"] for v in listed["values"]} == {KEY, "lazy_secret"}
    assert listed["count"] == 2
    assert client.put(f"{PREFIX}/values/{OTHER}", json={"value": 5},
                      headers=scoped).status_code == 403
    before = engine.revision
    batch = client.post(f"{PREFIX}/values/batch", headers=scoped, json={"updates": [
        {"key": KEY, "value": 31.0}, {"key": OTHER, "value": 5}]})
    assert batch.status_code == 403 and engine.revision == before
    assert client.put(f"{PREFIX}/values/{KEY}", json={"value": 31.0},
                      headers=scoped).status_code == 200
    assert client.post(f"{PREFIX}/export", headers=scoped).status_code == 403
    viewer_scoped = bearer(issue(client, admin, name="v", role="viewer",
                                 keys=["lazy_secret"])["token"])
    shown = client.get(f"{PREFIX}/values/lazy_secret", headers=viewer_scoped).json
    assert shown["value"] != "hunter2"  # masking is the role's, as before


def test_a_scoped_token_hears_only_changes_of_its_keys(client, engine, admin, editor):
    scoped = bearer(issue(client, admin, name="eu", role="viewer", keys=[KEY])["token"])
    for key, value in ((OTHER, 5), (KEY, 31.0)):
        assert client.put(f"{PREFIX}/values/{key}", json={"value": value},
                          headers=editor).status_code == 200
    heard = client.get(f"{PREFIX}/notifications", headers=scoped).json["notifications"]
    assert [n["key"] for n in heard] == [KEY]
    assert client.get(f"{PREFIX}/notifications?key={OTHER}", headers=scoped).status_code == 403


def test_revocation_ends_a_blocking_query_and_a_stream_it_holds(client, engine, admin):
    issued = issue(client, admin, name="watcher", role="viewer")
    headers, ended = bearer(issued["token"]), {}

    def block():
        client.get(f"{PREFIX}/notifications?wait=30&since={engine.revision}", headers=headers)
        ended["query"] = time.monotonic()

    def stream():
        response = client.get(f"{PREFIX}/notifications/stream", headers=headers, buffered=False)
        for _ in response.response:
            pass
        ended["stream"] = time.monotonic()
    threads = [threading.Thread(target=block), threading.Thread(target=stream)]
    for thread in threads:
        thread.start()
    time.sleep(0.3)
    revoked = time.monotonic()
    engine.revoke_token(issued["id"])
    for thread in threads:
        thread.join(timeout=5)
    assert set(ended) == {"query", "stream"}
    assert max(ended.values()) - revoked < WITHIN, ended
