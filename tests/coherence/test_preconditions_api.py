"""Optimistic concurrency over HTTP: preconditions are honoured when sent and never required;
a failed one is 412, changes nothing, and says what is current so the caller can retry."""
from __future__ import annotations

from lazyconfig import create_app

from .conftest import PREFIX, SECRET

KEY = "load_timeout"
OTHER = "max_concurrent_loads"


def notes(client, headers):
    return client.get(f"{PREFIX}/notifications?limit=1000", headers=headers).json["notifications"]


def test_a_stale_if_match_is_412_with_the_current_version_and_value(client, engine, editor):
    first = client.put(f"{PREFIX}/values/{KEY}", json={"value": 10.0}, headers=editor)
    engine.set(KEY, 20.0, user="someone-else")
    stale = client.put(f"{PREFIX}/values/{KEY}", json={"value": 11.0},
                       headers={**editor, "If-Match": first.headers["ETag"]})
    assert stale.status_code == 412
    assert stale.json["errors"] == {"current": {KEY: {"version": 2, "value": 20.0}}}
    assert stale.headers["ETag"] == '"2"'
    assert engine.get(KEY) == 20.0 and len(notes(client, editor)) == 2
    # Retrying with what the 412 said succeeds.
    retry = client.put(f"{PREFIX}/values/{KEY}", json={"value": 21.0},
                       headers={**editor, "If-Match": stale.headers["ETag"]})
    assert retry.status_code == 200 and retry.headers["ETag"] == '"3"'


def test_delete_honours_if_match(client, engine, editor):
    engine.set(KEY, 10.0)
    stale = client.delete(f"{PREFIX}/values/{KEY}", headers={**editor, "If-Match": '"0"'})
    assert stale.status_code == 412 and stale.json["errors"]["current"][KEY]["version"] == 1
    assert engine.get(KEY) == 10.0
    ok = client.delete(f"{PREFIX}/values/{KEY}", headers={**editor, "If-Match": '"1"'})
    assert ok.status_code == 200 and engine.get(KEY) == 30.0


def test_writes_without_preconditions_still_go_through(client, engine, editor):
    engine.set(KEY, 10.0)
    assert client.put(f"{PREFIX}/values/{KEY}", json={"value": 12.0},
                      headers=editor).status_code == 200
    assert engine.get(KEY) == 12.0


def test_a_batch_with_expected_versions_applies_whole_or_not_at_all(client, engine, editor):
    engine.set(KEY, 10.0)  # KEY at version 1; OTHER never changed (version 0)
    batch = lambda versions: client.post(f"{PREFIX}/values/batch", headers=editor, json={  # noqa: E731
        "updates": [{"key": KEY, "value": 15.0, "expected_version": versions[0]},
                    {"key": OTHER, "value": 6, "expected_version": versions[1]}]})
    refused = batch((1, 3))
    assert refused.status_code == 412
    assert refused.json["errors"] == {"current": {OTHER: {"version": 0, "value": 4}}}
    assert (engine.get(KEY), engine.get(OTHER), engine.revision) == (10.0, 4, 1)
    applied = batch((1, 0))
    assert applied.status_code == 200 and applied.json["revision"] == 3
    assert (engine.get(KEY), engine.get(OTHER)) == (15.0, 6)


def test_a_batch_may_carry_versions_for_some_keys_only(client, engine, editor):
    engine.set(KEY, 10.0)
    response = client.post(f"{PREFIX}/values/batch", headers=editor, json={"updates": [
        {"key": KEY, "value": 15.0, "expected_version": 1}, {"key": OTHER, "value": 6}]})
    assert response.status_code == 200 and engine.get(OTHER) == 6
    bad = client.post(f"{PREFIX}/values/batch", headers=editor, json={"updates": [
        {"key": KEY, "value": 15.0, "expected_version": "one"}]})
    assert bad.status_code == 422


def test_reset_with_an_expected_revision(client, engine, admin):
    engine.set(KEY, 10.0)
    refused = client.post(f"{PREFIX}/reset", json={"expected_revision": 0}, headers=admin)
    assert refused.status_code == 412
    assert refused.json["errors"] == {"current": {"revision": 1}}
    assert engine.get(KEY) == 10.0
    done = client.post(f"{PREFIX}/reset", json={"expected_revision": 1}, headers=admin)
    assert done.status_code == 200 and engine.get(KEY) == 30.0


def test_rollback_with_an_expected_revision(client, engine, editor):
    snapshot_id = engine.create_snapshot("before")
    engine.set(KEY, 10.0)
    url = f"{PREFIX}/snapshots/{snapshot_id}/rollback"
    refused = client.post(url, json={"expected_revision": 0}, headers=editor)
    assert refused.status_code == 412 and refused.json["errors"]["current"] == {"revision": 1}
    assert engine.get(KEY) == 10.0
    done = client.post(url, json={"expected_revision": 1}, headers=editor)
    assert done.status_code == 200 and engine.get(KEY) == 30.0


def test_import_with_an_expected_revision_in_the_query_or_the_body(client, engine, admin):
    engine.set(KEY, 10.0)
    document = {"version": 1, "values": {KEY: 45.0}}
    url = f"{PREFIX}/import"
    assert client.post(f"{url}?expected_revision=0", json=document,
                       headers=admin).status_code == 412
    refused = client.post(url, json={**document, "expected_revision": 7}, headers=admin)
    assert refused.status_code == 412 and refused.json["errors"]["current"] == {"revision": 1}
    assert engine.get(KEY) == 10.0
    done = client.post(url, json={**document, "expected_revision": 1}, headers=admin)
    assert done.status_code == 200 and engine.get(KEY) == 45.0


def test_a_412_masks_a_sensitive_value_below_admin(client, engine, as_role, admin):
    assert client.put(f"{PREFIX}/rules/api_token", json={"type": "string", "default": "",
                                                         "sensitive": True},
                      headers=admin).status_code == 200
    engine.set("api_token", "s3cr3t")
    stale = client.put(f"{PREFIX}/values/api_token", json={"value": "x"},
                       headers={**as_role("editor"), "If-Match": '"1"'})
    assert stale.status_code == 412
    assert stale.json["errors"]["current"]["api_token"]["value"] == "***"


def test_a_412_shows_what_the_write_lock_saw_and_memory_keeps_it(make_engine, editor):
    served = make_engine(watch=False)  # this process's memory follows only when asked
    client = create_app({"LAZYCONFIG_ENGINE": served, "LAZYCONFIG_JWT_SECRET": SECRET,
                         "TESTING": True}).test_client()
    first = client.put(f"{PREFIX}/values/{KEY}", json={"value": 10.0}, headers=editor)
    make_engine(watch=False).set(KEY, 20.0, user="another-process")
    stale = client.put(f"{PREFIX}/values/{KEY}", json={"value": 11.0},
                       headers={**editor, "If-Match": first.headers["ETag"]})
    assert stale.status_code == 412 and stale.headers["ETag"] == '"2"'
    assert stale.json["errors"] == {"current": {KEY: {"version": 2, "value": 20.0}}}
    # The refused write caught up under the lock, and keeps what it caught up: the next
    # write's pre-check and masking use it (issue 15, finding 9).
    assert served.revision == 2 and served.get(KEY) == 20.0
