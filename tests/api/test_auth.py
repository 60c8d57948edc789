"""Bearer tokens and the role matrix: viewer < editor < admin."""
from __future__ import annotations

import base64
import json
import re
import time

import jwt
import pytest

from lazyconfig.auth import ROLES

from .conftest import PREFIX, SECRET

KEY = "lazy_loading_unloading_check_interval"
# Every API route: method, path, body, the lowest role allowed.
ROUTES = [
    ("GET", "/status", None, "viewer"),
    ("GET", "/values", None, "viewer"),
    ("GET", f"/values/{KEY}", None, "viewer"),
    ("GET", f"/values/{KEY}/history", None, "viewer"),
    ("POST", "/validate", {"key": KEY, "value": 1.0}, "viewer"),
    ("GET", "/snapshots", None, "viewer"),
    ("GET", "/snapshots/1", None, "viewer"),
    ("GET", "/notifications", None, "viewer"),
    ("GET", "/notifications/stream", None, "viewer"),
    ("POST", "/export", None, "viewer"),
    ("GET", "/rules", None, "viewer"),
    ("GET", f"/rules/{KEY}", None, "viewer"),
    ("PUT", f"/values/{KEY}", {"value": 30.0}, "editor"),
    ("DELETE", f"/values/{KEY}", None, "editor"),
    ("POST", "/values/batch", {"updates": [{"key": KEY, "value": 30.0}]}, "editor"),
    ("POST", "/snapshots", {"description": "d"}, "editor"),
    ("POST", "/snapshots/1/rollback", None, "editor"),
    ("POST", f"/values/{KEY}/revert", {"revision": 0}, "editor"),
    ("GET", "/snapshots/1/diff", None, "viewer"),
    ("POST", "/reset", None, "admin"),
    ("POST", "/import", {"version": 1, "values": {}}, "admin"),
    ("DELETE", "/snapshots/1", None, "admin"),
    ("PUT", f"/rules/{KEY}", {"type": "float", "default": 60.0, "min": 0}, "admin"),
    ("GET", f"/values/{KEY}/targeting", None, "viewer"),
    ("GET", f"/values/{KEY}/explain", None, "viewer"),
    ("PUT", f"/values/{KEY}/targeting", {"rules": []}, "editor"),
    ("DELETE", f"/values/{KEY}/targeting", None, "editor"),
    ("GET", "/experiments", None, "viewer"),
    ("GET", "/experiments/1", None, "viewer"),
    ("GET", "/experiments/1/results", None, "viewer"),
    ("POST", "/experiments/1/events", {"exposures": ["loader-1"]}, "viewer"),
    ("POST", "/experiments", {"key": "lazy_loading_unloading_strategy", "variants": [
        {"name": "a", "value": "BALANCED", "weight": 0.5},
        {"name": "b", "value": "AGGRESSIVE", "weight": 0.5}]}, "editor"),
    ("PATCH", "/experiments/1", {"coverage": 0.5}, "editor"),
    ("POST", "/experiments/1/conclude", {"winner": "on"}, "editor"),
]


def call(client, method, path, body, headers=None):
    return client.open(f"{PREFIX}{path}", method=method, json=body, headers=headers or {})


@pytest.mark.parametrize("method,path,body,needed", ROUTES,
                         ids=[f"{m} {p}" for m, p, _, _ in ROUTES])
def test_role_matrix(client, engine, as_role, method, path, body, needed):
    engine.create_snapshot("fixture", user="setup")  # snapshot 1 exists
    engine.start_experiment("lazy_loading_unloading_enabled", {"coverage": 0.1, "variants": [
        {"name": "off", "value": False, "weight": 0.5},
        {"name": "on", "value": True, "weight": 0.5}]})  # experiment 1 runs
    assert call(client, method, path, body).status_code == 401
    for role in ROLES:
        status = call(client, method, path, body, as_role(role)).status_code
        if ROLES.index(role) < ROLES.index(needed):
            assert status == 403, (role, status)
        elif method == "POST" and path.startswith("/experiments") and status == 409:
            assert role != needed, (role, status)  # started or concluded by the role before
        else:
            assert status < 400, (role, status)


def test_matrix_covers_every_route_the_app_serves(app):
    served = set()
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith(PREFIX):
            path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule[len(PREFIX):])
            served |= {(m, path) for m in rule.methods - {"HEAD", "OPTIONS"}}
    listed = {(m, p.replace(KEY, "{key}").replace("/experiments/1", "/experiments/{experiment_id}")
               .replace("/1", "/{snapshot_id}")) for m, p, _, _ in ROUTES}
    assert served == listed


def test_forbidden_names_the_role_needed(client, viewer):
    response = client.post(f"{PREFIX}/reset", headers=viewer)
    assert response.status_code == 403
    assert response.json["code"] == 403 and "admin" in response.json["message"]


def forge(claims, secret=SECRET, alg="HS256"):
    return jwt.encode(claims, secret, algorithm=alg)


def _segment(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def unsigned(claims):
    """A token with `alg: none` and no signature."""
    return f"{_segment({'alg': 'none', 'typ': 'JWT'})}.{_segment(claims)}."


@pytest.mark.parametrize("make_token", [
    lambda t: forge({"sub": "mallory", "role": "admin", "exp": 4102444800},
                    secret="another-secret-that-is-long-enough!"),
    lambda t: unsigned({"sub": "mallory", "role": "admin", "exp": 4102444800}),
    lambda t: forge({"sub": "mallory", "role": "admin", "exp": 1}),
    lambda t: forge({"sub": "mallory", "role": "admin"}),
    lambda t: forge({"sub": "mallory", "role": "owner", "exp": 4102444800}),
    lambda t: forge({"role": "admin", "exp": 4102444800}),
    lambda t: "not-a-jwt",
    lambda t: t("admin")[:-4] + "AAAA",
], ids=["wrong-secret", "alg-none", "expired", "no-expiry", "unknown-role", "no-sub",
        "garbage", "tampered"])
def test_bad_tokens_are_401_in_our_error_shape(client, token, make_token):
    response = client.get(f"{PREFIX}/status",
                          headers={"Authorization": f"Bearer {make_token(token)}"})
    assert response.status_code == 401
    assert response.json["code"] == 401 and response.json["status"] == "Unauthorized"
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_wrong_scheme_is_401(client, token):
    response = client.get(f"{PREFIX}/status", headers={"Authorization": f"Basic {token('admin')}"})
    assert response.status_code == 401


def test_open_endpoints_need_no_token(client):
    for path in ("/api/health", "/api/health/ready", "/api/openapi.json", "/api/docs"):
        assert client.get(path).status_code == 200, path


def test_a_verified_token_is_not_trusted_beyond_its_expiry(app, client):
    """The worker remembers verified tokens; one remembered with an expiry long past (as if
    verified an hour ago) is verified again in full, and refused."""
    from lazyconfig.api.auth import VERIFIED
    now = int(time.time())
    claims = {"sub": "mallory", "role": "admin", "iat": now - 3600, "nbf": now - 3600,
              "exp": now - 60, "jti": "j", "type": "access", "fresh": False}
    token = jwt.encode(claims, SECRET, algorithm="HS256")
    app.extensions[VERIFIED].remember(f"Bearer {token}", claims)
    response = client.get(f"{PREFIX}/status", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401 and "expired" in response.json["message"]


def test_a_token_altered_after_a_success_is_verified_again(client, token):
    good = token("admin", "alice")
    ok = client.get(f"{PREFIX}/status", headers={"Authorization": f"Bearer {good}"})
    assert ok.status_code == 200
    head, payload, signature = good.split(".")
    forged = json.loads(base64.urlsafe_b64decode(payload + "=="))
    forged["sub"] = "mallory"
    body = base64.urlsafe_b64encode(json.dumps(forged).encode()).rstrip(b"=").decode()
    response = client.get(f"{PREFIX}/status",
                          headers={"Authorization": f"Bearer {head}.{body}.{signature}"})
    assert response.status_code == 401


# Signed with the right secret, yet naming no caller we can record, or living too long:
# claims given `now`, on top of a valid admin token's.
DAY = 24 * 3600
SIGNED_BUT_REFUSED = {
    "empty-sub": lambda now: {"sub": ""},
    "blank-sub": lambda now: {"sub": "   "},
    "numeric-sub": lambda now: {"sub": 42},
    "null-sub": lambda now: {"sub": None},
    "list-sub": lambda now: {"sub": ["alice"]},
    "sub-of-201": lambda now: {"sub": "u" * 201},
    "sub-with-nul": lambda now: {"sub": "al\x00ice"},
    "sub-with-surrogate": lambda now: {"sub": "al\ud800ice"},
    "sub-with-newline": lambda now: {"sub": "alice\nINFO forged line"},
    "exp-numeric-string": lambda now: {"exp": str(now + 600)},
    "exp-null": lambda now: {"exp": None},
    "exp-list": lambda now: {"exp": [now + 600]},
    "exp-bool": lambda now: {"exp": True},
    "exp-infinity": lambda now: {"exp": float("inf")},
    "exp-huge-int": lambda now: {"exp": 10 ** 400},
    "exp-10-to-the-12": lambda now: {"exp": 10 ** 12},
    "iat-string": lambda now: {"iat": "yesterday"},
    "iat-list": lambda now: {"iat": [now]},
    "nbf-object": lambda now: {"nbf": {"t": now}},
    "lives-31-days": lambda now: {"iat": now, "exp": now + 31 * DAY},
}


def signed(claims=lambda now: {}) -> str:
    now = int(time.time())
    token = {"sub": "mallory", "role": "admin", "exp": now + 600, **claims(now)}
    return "Bearer " + jwt.encode(token, SECRET, algorithm="HS256")


@pytest.mark.parametrize("claims", SIGNED_BUT_REFUSED.values(), ids=SIGNED_BUT_REFUSED.keys())
def test_a_signed_token_that_names_no_caller_is_401_and_writes_nothing(client, engine,
                                                                      claims):
    before = (engine.export(), engine.get_notifications(limit=1000, since=0))
    response = client.put(f"{PREFIX}/values/{KEY}", json={"value": 31.0},
                          headers={"Authorization": signed(claims)})
    assert response.status_code == 401, response.get_data(as_text=True)[:300]
    assert response.json["code"] == 401 and "token" in response.json["message"]
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert (engine.export(), engine.get_notifications(limit=1000, since=0)) == before


def test_a_token_within_the_lifetime_is_accepted_and_its_subject_recorded(client, engine):
    response = client.put(f"{PREFIX}/values/{KEY}", json={"value": 31.0}, headers={
        "Authorization": signed(lambda now: {"sub": "ops@example", "iat": now,
                                             "exp": now + 30 * DAY})})
    assert response.status_code == 200
    assert engine.get_history(KEY)[0][0]["user"] == "ops@example"


def test_the_maximum_lifetime_is_a_setting(engine):
    from lazyconfig import create_app
    app = create_app({"LAZYCONFIG_ENGINE": engine, "LAZYCONFIG_JWT_SECRET": SECRET,
                      "LAZYCONFIG_MAX_TOKEN_LIFETIME": "600", "LAZYCONFIG_TOKEN_TTL": "60"})
    client = app.test_client()
    for lifetime, status in ((600, 200), (601, 401)):
        headers = {"Authorization": signed(lambda now: {"iat": now, "exp": now + lifetime})}
        assert client.get(f"{PREFIX}/status", headers=headers).status_code == status
    # Without iat, the lifetime counts from now.
    headers = {"Authorization": signed(lambda now: {"exp": now + 3600})}
    assert client.get(f"{PREFIX}/status", headers=headers).status_code == 401
