"""Over the API: GET /values?at_revision=N (or at=T) answers in GET /values' shape with
sensitive values masked for non-admins; a revision past the head is a 400, one before the
compaction point a 410; POST /restore's dry run reports exactly what the restore does."""
from __future__ import annotations

from lazyconfig.domain import ConfigurationValidationRule
from lazyconfig.service.compaction import LogRetention

from .conftest import PREFIX

KEY = "max_concurrent_loads"
SECRET_KEY = "pit.token"


def _values(response):
    assert response.status_code == 200, response.json
    return {item["key"]: item for item in response.json["values"]}


def _history(engine):
    engine.add_validation_rule(ConfigurationValidationRule(
        key=SECRET_KEY, value_type="string", default_value="", sensitive=True))
    engine.update({KEY: 7, SECRET_KEY: "old-secret"})
    past = engine.revision
    engine.update({KEY: 9, SECRET_KEY: "new-secret"})
    return past


def test_values_at_a_revision_masked_for_viewers(client, engine, viewer, admin):
    past = _history(engine)
    seen = client.get(f"{PREFIX}/values?at_revision={past}", headers=viewer)
    assert seen.json["revision"] == past and seen.json["count"] == len(seen.json["values"])
    shown = _values(seen)
    assert shown[KEY]["value"] == 7 and shown[KEY]["version"] == past - 1  # then the secret
    assert shown[KEY]["source"] == "runtime" and shown[KEY]["layers"] == {}
    assert shown[SECRET_KEY]["value"] == "***" and shown[SECRET_KEY]["sensitive"]
    assert _values(client.get(f"{PREFIX}/values?at_revision={past}",
                              headers=admin))[SECRET_KEY]["value"] == "old-secret"
    assert _values(client.get(f"{PREFIX}/values?at_revision=0", headers=viewer)).keys() == {
        k for k, r in engine.replica.state.rules.items() if r.origin == "builtin"}
    stamp = engine.get_entry(KEY).updated_at.isoformat()
    at = client.get(f"{PREFIX}/values", query_string={"at": stamp}, headers=viewer)
    assert at.json["revision"] == engine.revision and _values(at)[KEY]["value"] == 9


def test_bad_revisions_are_refused(client, engine, viewer, editor):
    _history(engine)
    head = engine.revision
    for query, status in ((f"at_revision={head + 1}", 400), ("at_revision=-1", 422),
                          ("at_revision=1&at=2026-01-01T00:00:00Z", 422), ("at=yesterday", 422)):
        response = client.get(f"{PREFIX}/values?{query}", headers=viewer)
        assert response.status_code == status, (query, response.json)
    for at, revision in (("0001-01-01T00:00:00+14:00", 0), ("9999-12-31T23:59:00-14:00", head)):
        edge = client.get(f"{PREFIX}/values", query_string={"at": at}, headers=viewer)
        assert edge.status_code == 200 and edge.json["revision"] == revision, at
    engine.change_log.compact(retention=LogRetention(max_entries=1))
    first = engine.change_log.first_kept_revision()
    gone = client.get(f"{PREFIX}/values?at_revision={first - 1}", headers=viewer)
    assert gone.status_code == 410 and gone.json["errors"] == {"first_kept_revision": first}
    before = engine.entries()
    refused = client.post(f"{PREFIX}/restore", json={"at_revision": first - 1}, headers=editor)
    assert refused.status_code == 410 and engine.entries() == before


def test_restore_dry_run_equals_the_restore(client, engine, editor, admin):
    past = _history(engine)
    body = {"at_revision": past, "description": "undo"}
    planned = client.post(f"{PREFIX}/restore", json={**body, "dry_run": True}, headers=editor)
    assert planned.status_code == 200 and planned.json["safety_snapshot_id"] is None
    assert engine.get(KEY) == 9
    done = client.post(f"{PREFIX}/restore", json=body, headers=editor)
    assert done.status_code == 200, done.json
    assert done.json["diff"] == planned.json["diff"] and done.json["restored_revision"] == past
    assert {d["key"] for d in done.json["diff"]} == {KEY, SECRET_KEY}
    assert {c["action"] for c in done.json["changes"]} == {"restore"}
    assert (engine.get(KEY), engine.get(SECRET_KEY)) == (7, "old-secret")
    assert done.json["revision"] == engine.revision
    assert engine.get_snapshot(done.json["safety_snapshot_id"])["values"][KEY] == {"runtime": 9}
    stale = client.post(f"{PREFIX}/restore", json={**body, "expected_revision": past},
                        headers=editor)
    assert stale.status_code == 412
