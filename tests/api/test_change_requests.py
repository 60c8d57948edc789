"""Four-eyes change requests through the API in process: a policy holds writes, approvals
are bound to content, applying checks versions, break glass, the audit trail (the served,
scheduled scenario is tests/serving/test_scheduled_apply_served.py)."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from .conftest import PREFIX

KEY = "lazy_loading_unloading_check_interval"
OTHER = "lazy_loading_unloading_max_unloads_per_cycle"


def policy(client, admin, pattern="lazy_loading_unloading_check_*", approvals=1):
    response = client.put(f"{PREFIX}/policies", headers=admin,
                          json={"rules": [{"pattern": pattern, "approvals": approvals}]})
    assert response.status_code == 200, response.json
    return response.json


def held_put(client, headers, value, **extra):
    response = client.put(f"{PREFIX}/values/{KEY}", json={"value": value, **extra},
                          headers=headers)
    assert response.status_code == 202, response.json
    return response.json


def act(client, headers, change_id, verb, status=200):
    response = client.post(f"{PREFIX}/change-requests/{change_id}/{verb}", json={},
                           headers=headers)
    assert response.status_code == status, response.json
    return response.json


def test_a_policy_holds_a_write_until_another_person_approves_and_applies_it(
        client, engine, as_role, admin):
    assert policy(client, admin)["rules"][0]["created_by"]
    before = engine.get(KEY)
    alice, bob = as_role("editor", "alice"), as_role("editor", "bob")
    held = held_put(client, alice, 42.0, description="tune")
    assert held["state"] == "pending" and engine.get(KEY) == before
    assert held["diff"] == [{"key": KEY, "before": before, "after": 42.0, "unset": False}]
    assert held["expected_versions"] == {KEY: engine.get_entry(KEY).version}
    # Writes to keys no policy covers go on at once.
    assert client.put(f"{PREFIX}/values/{OTHER}", json={"value": 7},
                      headers=alice).status_code == 200
    act(client, alice, held["id"], "approve", 403)  # nobody approves their own
    act(client, admin_of(as_role, "alice"), held["id"], "approve", 403)  # admins neither
    act(client, alice, held["id"], "apply", 409)  # not approved yet
    assert act(client, bob, held["id"], "approve")["state"] == "approved"
    applied = act(client, bob, held["id"], "apply")
    assert applied["state"] == "applied" and engine.get(KEY) == 42.0
    row = engine.get_history(KEY, 1)[0][0]
    assert row["user"] == "alice" and row["action"] == "change_request"
    assert f"#{held['id']} by alice, approved by bob: tune" in row["description"]
    assert applied["applied_revision"] == row["revision"]
    trail = [e["action"] for e in engine.audit_events()[0]
             if e["subject"] == f"change-request:{held['id']}"]
    assert trail == ["cr.apply", "cr.approve", "cr.create"]


def admin_of(as_role, user):
    return as_role("admin", user)


def test_an_edit_voids_the_approvals_given_to_the_old_content(client, engine, as_role, admin):
    policy(client, admin, approvals=2)
    alice = as_role("editor", "alice")
    held = held_put(client, alice, 10.0)
    act(client, as_role("editor", "bob"), held["id"], "approve")
    edited = client.put(f"{PREFIX}/change-requests/{held['id']}", headers=alice,
                        json={"updates": [{"key": KEY, "value": 11.0}]})
    assert edited.status_code == 200 and edited.json["approved_by"] == []
    assert edited.json["content_hash"] != held["content_hash"]
    assert client.put(f"{PREFIX}/change-requests/{held['id']}", headers=as_role("editor", "bob"),
                      json={"updates": [{"key": KEY, "value": 12.0}]}).status_code == 403
    act(client, as_role("editor", "carol"), held["id"], "approve")
    assert act(client, as_role("editor", "bob"), held["id"], "approve")["state"] == "approved"
    act(client, alice, held["id"], "apply")
    assert engine.get(KEY) == 11.0


def test_an_apply_after_a_conflicting_write_is_a_412_and_changes_nothing(
        client, engine, as_role, admin):
    policy(client, admin)
    held = held_put(client, as_role("editor", "alice"), 42.0)
    act(client, as_role("editor", "bob"), held["id"], "approve")
    engine.set(KEY, 55.0, user="someone", strict=True)  # the Python API is not gated
    revision = engine.revision
    refused = client.post(f"{PREFIX}/change-requests/{held['id']}/apply", json={},
                          headers=as_role("editor", "bob"))
    assert refused.status_code == 412 and "version" in refused.json["message"]
    assert engine.get(KEY) == 55.0 and engine.revision == revision
    shown = client.get(f"{PREFIX}/change-requests/{held['id']}", headers=admin).json
    assert shown["state"] == "refused" and "version" in shown["reason"]


def test_batch_and_delete_are_held_and_reject_cancel_close_requests(
        client, engine, as_role, admin):
    policy(client, admin, pattern="lazy_loading_*")
    alice = as_role("editor", "alice")
    batch = client.post(f"{PREFIX}/values/batch", headers=alice, json={
        "updates": [{"key": KEY, "value": 5.0}, {"key": OTHER, "value": 3}]})
    assert batch.status_code == 202 and len(batch.json["diff"]) == 2
    removal = client.delete(f"{PREFIX}/values/{KEY}", headers=alice)
    assert removal.status_code == 202 and removal.json["diff"][0]["unset"] is True
    act(client, alice, batch.json["id"], "reject", 403)  # the author cancels instead
    assert act(client, as_role("editor", "bob"), batch.json["id"], "reject")["state"] == "rejected"
    act(client, as_role("editor", "bob"), removal.json["id"], "cancel", 403)
    assert act(client, alice, removal.json["id"], "cancel")["state"] == "cancelled"
    act(client, alice, removal.json["id"], "approve", 403)
    listed = client.get(f"{PREFIX}/change-requests?state=rejected", headers=alice).json
    assert [r["id"] for r in listed["change_requests"]] == [batch.json["id"]]
    assert engine.get_history(KEY, 1)[1] == 0


def test_break_glass_applies_at_once_for_admins_only_and_is_listed_for_review(
        client, engine, as_role, admin):
    policy(client, admin)
    glass = {"X-Lazyconfig-Break-Glass": "incident 77"}
    assert client.put(f"{PREFIX}/values/{KEY}", json={"value": 9.0},
                      headers={**as_role("editor", "e"), **glass}).status_code == 403
    done = client.put(f"{PREFIX}/values/{KEY}", json={"value": 9.0},
                      headers={**as_role("admin", "root"), **glass})
    assert done.status_code == 201 and engine.get(KEY) == 9.0
    row = engine.get_history(KEY, 1)[0][0]
    assert row["action"] == "break_glass" and "incident 77" in row["description"]
    review = client.get(f"{PREFIX}/change-requests?state=review", headers=admin).json
    assert [r["id"] for r in review["change_requests"]] == [done.json["id"]]
    act(client, as_role("admin", "root"), done.json["id"], "approve", 403)
    assert act(client, as_role("editor", "bob"), done.json["id"],
               "approve")["state"] == "reviewed"


def test_a_scheduled_write_waits_for_its_time_and_applies_once(client, engine, as_role):
    at = datetime.now(timezone.utc) + timedelta(seconds=1)
    held = held_put(client, as_role("editor", "alice"), 33.0, scheduled_at=at.isoformat())
    assert held["state"] == "approved"  # no policy: only the schedule holds it
    assert engine.apply_due_requests("test") == [] and engine.get(KEY) != 33.0
    act(client, as_role("editor", "alice"), held["id"], "apply", 409)  # not before its time
    while datetime.now(timezone.utc) < at:
        pass
    assert engine.apply_due_requests("test") == [held["id"]] and engine.get(KEY) == 33.0
    assert engine.apply_due_requests("test") == []
    assert engine.change_request(held["id"])["applied_by"] == "test"


def test_policies_refuse_bad_rules_and_only_admins_set_them(client, admin, editor):
    assert client.put(f"{PREFIX}/policies", headers=editor, json={"rules": []}).status_code == 403
    bad = client.put(f"{PREFIX}/policies", headers=admin,
                     json={"rules": [{"pattern": "", "approvals": 0}]})
    assert bad.status_code == 422
    assert client.get(f"{PREFIX}/policies", headers=editor).json == {"rules": []}


def test_break_glass_without_a_reason_is_refused_and_changes_nothing(client, engine, admin):
    before = engine.revision
    refused = client.put(f"{PREFIX}/values/{KEY}", json={"value": 9.0},
                         headers={**admin, "X-Lazyconfig-Break-Glass": " "})
    assert refused.status_code == 422 and engine.revision == before
    assert engine.change_requests()[1] == 0


def test_a_scheduled_request_whose_key_moved_is_refused_at_its_time_with_the_reason(
        client, engine, as_role):
    at = datetime.now(timezone.utc) + timedelta(seconds=0.3)
    held = held_put(client, as_role("editor", "alice"), 33.0, scheduled_at=at.isoformat())
    engine.set(KEY, 44.0, user="someone", strict=True)
    while datetime.now(timezone.utc) < at:
        pass
    revision = engine.revision
    assert engine.apply_due_requests("test") == []
    refused = engine.change_request(held["id"])
    assert refused["state"] == "refused" and "version" in refused["reason"]
    assert (engine.get(KEY), engine.revision) == (44.0, revision)
    assert engine.audit_events(1)[0][0]["action"] == "cr.refuse"
    assert engine.apply_due_requests("test") == []  # refused once, not again
