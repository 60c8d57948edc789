"""Bearer tokens: refused shapes, expiry, the cache of verified tokens. The role matrix is in
test_auth_matrix.py."""
from __future__ import annotations

import base64
import json
import time

import jwt
import pytest

from .conftest import PREFIX, SECRET

KEY = "lazy_loading_unloading_check_interval"
# Every route against every role and kind of caller: tests/api/test_auth_matrix.py.


def call(client, method, path, body, headers=None):
    return client.open(f"{PREFIX}{path}", method=method, json=body, headers=headers or {})


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
    from lazyconfig.domain.callers import SIGNED, Caller
    app.extensions[VERIFIED].remember(f"Bearer {token}",
                                      Caller("mallory", "admin", SIGNED, expires_at=now - 60))
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
