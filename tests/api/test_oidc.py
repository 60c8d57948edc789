"""Single sign-on: tokens of a loopback OIDC provider (tests/support/oidc_provider.py, over
real HTTP), through the app in process."""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import urllib.request

import pytest
from cryptography.hazmat.primitives import serialization

from lazyconfig import create_app
from lazyconfig.api.auth import OIDC_VERIFIER
from lazyconfig.api.oidc_tokens import OidcVerifier
from lazyconfig.api.provider_keys import ProviderKeys
from tests.conftest import PG_URL
from tests.support.oidc_provider import LoopbackProvider

from .conftest import PREFIX, SECRET

ROTATION_REQUESTS = 10_000
ROLE_MAP = "cfg-viewers=viewer,cfg-editors=editor,cfg-admins=admin"


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def provider():
    started = LoopbackProvider().start()
    started.add_key("EdDSA", sign=True)
    yield started
    started.stop()


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def sso_app(engine, provider, clock):
    app = create_app({"LAZYCONFIG_ENGINE": engine, "LAZYCONFIG_JWT_SECRET": SECRET,
                      "LAZYCONFIG_OIDC_ISSUER": provider.issuer,
                      "LAZYCONFIG_OIDC_AUDIENCE": provider.audience,
                      "LAZYCONFIG_OIDC_JWKS_URL": provider.jwks_url,
                      "LAZYCONFIG_OIDC_ROLE_MAP": ROLE_MAP, "TESTING": True})
    # The verifier the settings made, on a clock the test moves, on a clock the test moves, so "a minute later" takes no minute.
    app.extensions[OIDC_VERIFIER] = OidcVerifier(
        app.extensions["lazyconfig.settings"], ProviderKeys(provider.jwks_url, clock=clock))
    return app


@pytest.fixture
def sso(sso_app):
    return sso_app.test_client()


def whoami(client, token: str):
    return client.get(f"{PREFIX}/auth/whoami", headers={"Authorization": f"Bearer {token}"})


def _segment(data) -> str:
    raw = data if isinstance(data, bytes) else json.dumps(data).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


@pytest.mark.parametrize("alg", ["RS256", "ES256", "EdDSA"])
def test_a_provider_token_signs_in_with_the_role_its_groups_map_to(sso, provider, alg):
    kid = provider.add_key(alg)
    me = whoami(sso, provider.token(kid, groups=["other", "cfg-admins", "cfg-viewers"]))
    assert me.status_code == 200, me.json
    assert (me.json["name"], me.json["role"], me.json["kind"]) == ("dana", "admin", "oidc")
    viewer = whoami(sso, provider.token(kid, groups=["cfg-viewers"])).json["role"]
    assert viewer == "viewer"


def test_a_token_from_the_token_endpoint_changes_values_under_its_user(sso, provider, engine):
    request = urllib.request.Request(provider.issuer + "/protocol/openid-connect/token",
                                     data=b"grant_type=client_credentials", method="POST")
    with urllib.request.urlopen(request, timeout=5) as answer:
        token = json.load(answer)["access_token"]
    response = sso.put(f"{PREFIX}/values/lazy_loading_unloading_check_interval",
                       json={"value": 31.0}, headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200, response.json
    assert engine.get_notifications(1)[-1]["user"] == "dana"


def test_no_mapped_group_is_403_and_signed_tokens_still_work(sso, provider, token):
    assert whoami(sso, provider.token(groups=["strangers"])).status_code == 403
    assert whoami(sso, token("viewer")).json["kind"] == "signed"


def test_refused_tokens(sso, provider, clock):
    kid = provider.signing_kid
    public_pem = provider.private[kid][1].public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    claims = provider.claims()
    head = _segment({"alg": "HS256", "typ": "JWT", "kid": kid}) + "." + _segment(claims)
    confused = head + "." + _segment(hmac.new(public_pem, head.encode(), hashlib.sha256)
                                     .digest())
    unsigned = _segment({"alg": "none", "kid": kid}) + "." + _segment(claims) + "."
    refused = {
        "alg none": unsigned,
        "HS256 with the public key": confused,
        "wrong issuer": provider.token(iss="http://127.0.0.1:1/realms/evil"),
        "wrong audience": provider.token(aud="someone-else"),
        "expired": provider.token(exp=int(time.time()) - 60, iat=int(time.time()) - 400),
        "no exp": provider.token(exp=None),
        "tampered": provider.token()[:-4] + "AAAA",
    }
    for name, bad in refused.items():
        answer = whoami(sso, bad)
        assert answer.status_code == 401, (name, answer.status_code, answer.json)
    # A kid the provider never published: one fetch to look for it, then none for a minute.
    stranger = provider.add_key("ES256", publish=False)
    before = provider.jwks_requests
    for _ in range(20):
        assert whoami(sso, provider.token(stranger)).status_code == 401
    assert provider.jwks_requests == before + 1
    clock.now += 61  # the refetch limit has passed: it looks once more
    assert whoami(sso, provider.token(stranger)).status_code == 401
    assert provider.jwks_requests == before + 2


@pytest.mark.skipif(bool(PG_URL), reason="no database in it: the SQLite run covers it")
def test_key_rotation_fails_no_request(sso_app, sso, provider):
    """ROTATION_REQUESTS verifications in full (the verifier keeps no tokens; 100 distinct
    tokens a phase, signed beforehand): a third with the old key; then a new key is
    published and signs; then the old one is retired. One in fifty goes through the app."""
    verifier, old = sso_app.extensions[OIDC_VERIFIER], provider.signing_kid
    phase = ROTATION_REQUESTS // 3
    failed = 0
    for n in range(ROTATION_REQUESTS):
        if n == phase:
            provider.add_key("EdDSA", sign=True)
        if n == 2 * phase:
            provider.retire(old)
        if n % phase == 0:
            header = {"alg": "EdDSA", "kid": provider.signing_kid}
            pool = [provider.token(sub=f"user-{i}") for i in range(100)]
        token = pool[n % len(pool)]
        if n % 50 == 0:
            failed += whoami(sso, token).status_code != 200
        else:
            failed += verifier.caller(token, header).role != "editor"
    assert failed == 0
    assert provider.jwks_requests == 2  # the first fetch, and one for the new kid


def test_an_oidc_token_is_revoked_by_its_jti(sso, provider, admin):
    token = provider.token()
    assert whoami(sso, token).status_code == 200
    jti = json.loads(base64.urlsafe_b64decode(token.split(".")[1] + "=="))["jti"]
    assert sso.post(f"{PREFIX}/tokens/revoke", json={"jti": jti}, headers=admin).status_code == 200
    deadline = time.monotonic() + 1.0
    while whoami(sso, token).status_code != 401:
        assert time.monotonic() < deadline
        time.sleep(0.02)
