"""The role matrix, generated from the routes the app serves: a new route without an entry
in EXPECTED_ROLE fails here, and every route refuses every bad token with 401."""
from __future__ import annotations

import base64
import json
import logging

import jwt
import pytest

from lazyconfig.auth import ROLES

from .conftest import PREFIX, SECRET

KEY = "lazy_loading_unloading_check_interval"
FAR_FUTURE = 4102444800
BACKUP_ID = "lazyconfig-20261205T000000000000Z"  # none such: an admin gets 404
# The single source of the lowest role each (method, rule) needs.
EXPECTED_ROLE = {
    ("GET", "/status"): "viewer",
    ("GET", "/values"): "viewer",
    ("GET", "/values/<string:key>"): "viewer",
    ("PUT", "/values/<string:key>"): "editor",
    ("DELETE", "/values/<string:key>"): "editor",
    ("POST", "/values/batch"): "editor",
    ("GET", "/values/<string:key>/history"): "viewer",
    ("POST", "/values/<string:key>/revert"): "editor",
    ("POST", "/validate"): "viewer",
    ("GET", "/snapshots"): "viewer",
    ("POST", "/snapshots"): "editor",
    ("GET", "/snapshots/<id:snapshot_id>"): "viewer",
    ("DELETE", "/snapshots/<id:snapshot_id>"): "admin",
    ("POST", "/snapshots/<id:snapshot_id>/rollback"): "editor",
    ("GET", "/snapshots/<id:snapshot_id>/diff"): "viewer",
    ("POST", "/snapshots/<id:snapshot_id>/pin"): "editor",
    ("DELETE", "/snapshots/<id:snapshot_id>/pin"): "editor",
    ("GET", "/notifications"): "viewer",
    ("GET", "/notifications/stream"): "viewer",
    ("POST", "/reset"): "admin",
    ("POST", "/export"): "viewer",
    ("POST", "/import"): "admin",
    ("GET", "/rules"): "viewer",
    ("GET", "/rules/<string:key>"): "viewer",
    ("PUT", "/rules/<string:key>"): "admin",
    ("GET", "/templates"): "viewer",
    ("POST", "/templates"): "admin",
    ("GET", "/templates/<string:name>"): "viewer",
    ("PUT", "/templates/<string:name>"): "admin",
    ("DELETE", "/templates/<string:name>"): "admin",
    ("POST", "/templates/<string:name>/apply"): "editor",
    ("GET", "/templates/<string:name>/drift"): "viewer",
    ("GET", "/auth/whoami"): "viewer",
    ("GET", "/tokens"): "admin",
    ("POST", "/tokens"): "admin",
    ("DELETE", "/tokens/<id:token_id>"): "admin",
    ("POST", "/tokens/revoke"): "admin",
    ("GET", "/audit"): "admin",
    ("POST", "/restore"): "editor",
    ("GET", "/analytics/changes"): "viewer",
    ("GET", "/backups"): "admin",
    ("POST", "/backups"): "admin",
    ("POST", "/backups/<backup_id>/verify"): "admin",
    ("GET", "/values/<string:key>/targeting"): "viewer",
    ("PUT", "/values/<string:key>/targeting"): "editor",
    ("DELETE", "/values/<string:key>/targeting"): "editor",
    ("GET", "/values/<string:key>/explain"): "viewer",
    ("GET", "/experiments"): "viewer",
    ("POST", "/experiments"): "editor",
    ("GET", "/experiments/<id:experiment_id>"): "viewer",
    ("PATCH", "/experiments/<id:experiment_id>"): "editor",
    ("POST", "/experiments/<id:experiment_id>/events"): "viewer",
    ("GET", "/experiments/<id:experiment_id>/results"): "viewer",
    ("POST", "/experiments/<id:experiment_id>/conclude"): "editor",
    ("GET", "/policies"): "viewer",
    ("PUT", "/policies"): "admin",
    ("GET", "/change-requests"): "viewer",
    ("GET", "/change-requests/<id:change_id>"): "viewer",
    ("PUT", "/change-requests/<id:change_id>"): "editor",
    ("POST", "/change-requests/<id:change_id>/approve"): "editor",
    ("POST", "/change-requests/<id:change_id>/reject"): "editor",
    ("POST", "/change-requests/<id:change_id>/apply"): "editor",
    ("POST", "/change-requests/<id:change_id>/cancel"): "editor",
    ("GET", "/rollouts"): "viewer",
    ("POST", "/rollouts"): "editor",
    ("GET", "/rollouts/<id:rollout_id>"): "viewer",
    ("POST", "/rollouts/<id:rollout_id>/pause"): "editor",
    ("POST", "/rollouts/<id:rollout_id>/resume"): "editor",
    ("POST", "/rollouts/<id:rollout_id>/abort"): "editor",
    ("POST", "/rollouts/<id:rollout_id>/events"): "viewer",
    ("GET", "/clients"): "viewer",
    ("POST", "/clients/<client_id>/report"): "viewer",
    ("GET", "/notifications/<id:revision>/delivery"): "viewer",
}
# What a token scoped to keys may use: a route of one key (in its scope), and the routes that
# check or filter keys themselves. Every other route is 403 to it.
SCOPED = {rule for _, rule in EXPECTED_ROLE if "<string:key>" in rule} | {
    "/values", "/values/batch", "/notifications", "/notifications/stream", "/auth/whoami",
    "/clients/<client_id>/report"}
# What such a token may use when KEY is outside its scope: only the filtered lists.
FILTERED = {"/values", "/notifications", "/notifications/stream", "/auth/whoami",
            "/clients/<client_id>/report"}  # a report names no key
# A body that gets past parsing, so the status shows the role check and nothing else.
BODIES = {
    ("PUT", "/values/<string:key>"): {"value": 30.0},
    ("POST", "/values/batch"): {"updates": [{"key": KEY, "value": 30.0}]},
    ("POST", "/values/<string:key>/revert"): {"revision": 0},
    ("POST", "/validate"): {"key": KEY, "value": 1.0},
    ("POST", "/snapshots"): {"description": "d"},
    ("POST", "/import"): {"version": 1, "values": {}},
    ("POST", "/restore"): {"at_revision": 0, "dry_run": True},
    ("PUT", "/rules/<string:key>"): {"type": "float", "default": 60.0, "min": 0},
    ("POST", "/templates"): {"name": "from-the-matrix", "values": {KEY: 30.0}},
    ("PUT", "/templates/<string:name>"): {"values": {KEY: 30.0}},
    ("POST", "/templates/<string:name>/apply"): {"dry_run": True},
    ("POST", "/tokens"): {"name": "loader", "role": "viewer"},
    ("POST", "/tokens/revoke"): {"jti": "a-jti"},
    ("PUT", "/values/<string:key>/targeting"): {"rules": []},
    ("POST", "/experiments"): {"key": KEY, "variants": []},
    ("POST", "/experiments/<id:experiment_id>/events"): {"exposures": []},
    ("POST", "/experiments/<id:experiment_id>/conclude"): {"winner": "a"},
    ("POST", "/clients/<client_id>/report"): {"revision": 0},
    ("PATCH", "/experiments/<id:experiment_id>"): {"coverage": 0.5},
    ("PUT", "/policies"): {"rules": []},
    ("PUT", "/change-requests/<id:change_id>"): {"updates": [{"key": KEY, "value": 30.0}]},
    ("POST", "/rollouts"): {"changes": {KEY: 1}, "steps": []},
    ("POST", "/rollouts/<id:rollout_id>/events"): {"metrics": []},
}
TEMPLATE = "with-secret"  # the template the sensitive-value check defines


def served_routes(app):
    """(method, rule without the prefix) for every API route the app serves."""
    return sorted((method, rule.rule[len(PREFIX):])
                  for rule in app.url_map.iter_rules() if rule.rule.startswith(PREFIX + "/")
                  for method in rule.methods - {"HEAD", "OPTIONS"})


def _segment(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def forge(claims, secret=SECRET):
    return jwt.encode(claims, secret, algorithm="HS256")


BAD_TOKENS = {
    "no-token": None,
    "malformed": "Bearer not.a-jwt",
    "wrong-signature": "Bearer " + forge({"sub": "m", "role": "admin", "exp": FAR_FUTURE},
                                         secret="another-secret-that-is-long-enough!"),
    "expired": "Bearer " + forge({"sub": "m", "role": "admin", "exp": 1}),
    "alg-none": "Bearer " + _segment({"alg": "none", "typ": "JWT"}) + "."
                + _segment({"sub": "m", "role": "admin", "exp": FAR_FUTURE}) + ".",
    "unknown-role": "Bearer " + forge({"sub": "m", "role": "owner", "exp": FAR_FUTURE}),
}


def url(rule: str, snapshot_id: int, experiment_id: int = 1, token_id: int = 1,
        rollout_id: int = 1) -> str:
    return PREFIX + (rule.replace("<string:key>", KEY).replace("<id:snapshot_id>", str(snapshot_id))
                     .replace("<id:token_id>", str(token_id)).replace("<string:name>", TEMPLATE)
                     .replace("<backup_id>", BACKUP_ID)
                     .replace("<id:experiment_id>", str(experiment_id))
                     .replace("<id:change_id>", "1")
                     .replace("<id:rollout_id>", str(rollout_id))
                     .replace("<client_id>", "loader-1").replace("<id:revision>", "1"))


def call(client, method, rule, snapshot_id, authorization):
    """One request; the stream's body is never read, so it cannot block."""
    headers = {} if authorization is None else {"Authorization": authorization}
    response = client.open(url(rule, snapshot_id), method=method, headers=headers,
                           json=BODIES.get((method, rule)), buffered=False)
    response.close()
    return response.status_code


def test_every_served_route_has_an_expected_role(app):
    served = set(served_routes(app))
    assert served - EXPECTED_ROLE.keys() == set(), "add these routes to EXPECTED_ROLE"
    assert EXPECTED_ROLE.keys() - served == set(), "EXPECTED_ROLE lists routes not served"
    assert set(EXPECTED_ROLE.values()) <= set(ROLES)


def _cases():
    return sorted(EXPECTED_ROLE)


@pytest.mark.parametrize("method,rule", _cases(), ids=[f"{m} {r}" for m, r in _cases()])
def test_route_answers_each_caller_by_role(client, engine, as_role, method, rule):
    snapshot_id = engine.create_snapshot("fixture", user="setup")
    needed = EXPECTED_ROLE[(method, rule)]
    for name, authorization in BAD_TOKENS.items():
        assert call(client, method, rule, snapshot_id, authorization) == 401, name
    for role in ROLES:
        status = call(client, method, rule, snapshot_id, as_role(role)["Authorization"])
        if ROLES.index(role) < ROLES.index(needed):
            assert status == 403, (role, status)
        else:
            assert status not in (401, 403) and status < 500, (role, status)


def _service_token(engine, role, keys=None):
    return "Bearer " + engine.issue_token(f"svc-{role}", role, keys=keys)[1]


def test_every_route_answers_each_kind_of_caller(client, engine, as_role):
    """Service tokens by role as signed tokens; revoked ones (either kind) 401; a token
    scoped to keys only where SCOPED (or FILTERED, for keys outside its scope) says. One
    test over every route: the callers are made once."""
    snapshot_id = engine.create_snapshot("fixture", user="setup")
    revoked = engine.issue_token("gone", "admin")
    engine.revoke_token(revoked[0]["id"])
    signed = as_role("admin")["Authorization"]
    engine.revoke_jti(jwt.decode(signed.split()[1], options={"verify_signature": False})["jti"])
    by_role = {role: _service_token(engine, role) for role in ROLES}
    inside = _service_token(engine, "admin", [KEY])
    outside = _service_token(engine, "admin", ["other_*"])
    for method, rule in _cases():
        needed, case = EXPECTED_ROLE[(method, rule)], f"{method} {rule}"
        for name, authorization in (("revoked service", "Bearer " + revoked[1]),
                                    ("revoked signed", signed)):
            assert call(client, method, rule, snapshot_id, authorization) == 401, (case, name)
        expected = [(ROLES.index(role) >= ROLES.index(needed), by_role[role], role)
                    for role in ROLES]
        expected += [(rule in SCOPED, inside, "scoped, inside"),
                     (rule in FILTERED, outside, "scoped, outside")]
        for allowed, authorization, name in expected:
            status = call(client, method, rule, snapshot_id, authorization)
            assert (status not in (401, 403) and status < 500) if allowed else status == 403, \
                (case, name, status)


SECRET_VALUE = "s3cret-runtime-value-7731"
DEFAULT_SECRET = "hunter2-default"


def _read_stream_until(response, marker: str, chunks: int = 200) -> str:
    # Replayed events arrive at once; stop reading as soon as the last one is in.
    text = ""
    for chunk in response.response:
        text += chunk.decode() if isinstance(chunk, bytes) else chunk
        chunks -= 1
        if marker in text or chunks == 0:
            break
    response.close()
    return text


def test_a_viewer_never_sees_a_sensitive_value_nor_do_the_logs(app, client, engine, viewer,
                                                              admin, caplog):
    caplog.set_level(logging.DEBUG)
    engine.put_rule({"key": "api_password", "value_type": "string", "default": DEFAULT_SECRET,
                     "sensitive": True, "description": "password of the upstream API"})
    response = client.put(f"{PREFIX}/values/api_password", json={"value": SECRET_VALUE},
                          headers=admin)
    assert response.status_code == 200 and response.json["value"] == SECRET_VALUE
    snapshot_id = engine.create_snapshot("with the secret", user="setup")
    # Another secret, so that its drift shows both (masked); it holds SECRET_VALUE.
    engine.create_template({"name": TEMPLATE, "values": {"api_password": SECRET_VALUE + "-2"}})
    # Targeting and an experiment hold the secret too.
    engine.put_targeting("api_password", [{"when": [{"attribute": "cluster", "op": "equals",
                                                     "value": "eu-1"}], "value": SECRET_VALUE}])
    experiment = engine.start_experiment("api_password", {"variants": [
        {"name": "a", "value": SECRET_VALUE, "weight": 0.5},
        {"name": "b", "value": DEFAULT_SECRET, "weight": 0.5}]})
    # Change request 1: its diff holds the secret before and after.
    engine.propose({"api_password": SECRET_VALUE + "-3"}, user="setup")
    rollout = engine.start_rollout({"changes": {"api_password": SECRET_VALUE},
                                    "steps": [{"percent": 100, "hold_s": 3600}]})
    bodies = {}
    for (method, rule), needed in EXPECTED_ROLE.items():
        if method != "GET" or needed != "viewer":
            continue
        path = url(rule, snapshot_id, experiment["id"], rollout_id=rollout["id"]).replace(
            KEY, "api_password")
        if rule == "/notifications/stream":
            streamed = client.get(path + "?last_event_id=0", headers=viewer, buffered=False)
            bodies[rule] = _read_stream_until(streamed, '"key":"api_password"')
            continue
        got = client.get(path, headers=viewer)
        assert got.status_code == 200, (rule, got.status_code)
        bodies[rule] = got.get_data(as_text=True)
    bodies["/export"] = client.post(f"{PREFIX}/export", headers=viewer).get_data(as_text=True)
    assert "api_password" in bodies["/notifications/stream"]
    assert "api_password" in bodies["/values"]  # the key shows, its value does not
    for rule, text in bodies.items():
        assert SECRET_VALUE not in text and DEFAULT_SECRET not in text, rule
    assert caplog.records, "nothing was logged; the log check would prove nothing"
    assert SECRET_VALUE not in caplog.text and DEFAULT_SECRET not in caplog.text
