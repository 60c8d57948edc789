"""The console's session cookie, without a browser: its flags, and what it may do."""
from __future__ import annotations

import jwt

from lazyconfig.app import create_app

from .conftest import PREFIX

KEY = "lazy_loading_unloading_check_interval"


def _signed_in(client, token: str) -> str:
    """Sign in with `token` through the form; returns the session's CSRF token."""
    page = client.get("/console/sign-in")
    csrf = page.text.split('name="csrf-token" content="')[1].split('"')[0]
    answer = client.post("/console/sign-in", data={"csrf_token": csrf, "token": token})
    assert answer.status_code == 302, answer.text
    values = client.get("/console/values")
    return values.text.split('name="csrf-token" content="')[1].split('"')[0]


def test_the_cookie_is_httponly_strict_and_secure_in_production(engine, token):
    app = create_app({"LAZYCONFIG_ENGINE": engine, "LAZYCONFIG_ENV": "production",
                      "LAZYCONFIG_JWT_SECRET": "x" * 40, "TESTING": True})
    client = app.test_client()
    client.get("/console/sign-in")
    cookie = client.get_cookie("lazyconfig_console")
    assert cookie.http_only and cookie.same_site == "Strict" and cookie.secure


def test_the_cookie_writes_only_with_its_csrf_token_and_the_api_ignores_it_beside_a_token(
        client, token, engine):
    csrf = _signed_in(client, token("editor", "erin"))
    assert client.put(f"{PREFIX}/values/{KEY}", json={"value": 31.0}).status_code == 403
    assert client.put(f"{PREFIX}/values/{KEY}", json={"value": 31.0},
                      headers={"X-CSRF-Token": "forged"}).status_code == 403
    assert engine.get(KEY) != 31.0
    done = client.put(f"{PREFIX}/values/{KEY}", json={"value": 32.0}, headers={"X-CSRF-Token": csrf})
    assert done.status_code == 200 and engine.get(KEY) == 32.0
    assert engine.get_history(KEY, limit=1)[0][0]["user"] == "erin"
    bad_token = {"Authorization": "Bearer not-a-token", "X-CSRF-Token": csrf}
    assert client.get(f"{PREFIX}/values/{KEY}", headers=bad_token).status_code == 401


def test_a_signed_out_cookie_and_a_forged_one_are_no_session(client, token, app):
    csrf = _signed_in(client, token("viewer", "vic"))
    assert client.post("/console/sign-out", data={"csrf_token": csrf}).status_code == 302
    assert client.get(f"{PREFIX}/values/{KEY}").status_code == 401
    client.set_cookie("lazyconfig_console", "eyJ1c2VyIjoibWFsbG9yeSIsInJvbGUiOiJhZG1pbiJ9.forged")
    assert client.get(f"{PREFIX}/values/{KEY}").status_code == 401
    assert client.get("/console/values").status_code == 302


def test_revoking_the_pasted_token_ends_its_console_session(client, token, engine):
    pasted = token("editor", "erin")
    _signed_in(client, pasted)
    assert client.get(f"{PREFIX}/values/{KEY}").status_code == 200
    engine.revoke_jti(jwt.decode(pasted, options={"verify_signature": False})["jti"],
                      user="admin-user")
    assert client.get(f"{PREFIX}/values/{KEY}").status_code == 401
    page = client.get("/console/sign-in")
    csrf = page.text.split('name="csrf-token" content="')[1].split('"')[0]
    again = client.post("/console/sign-in", data={"csrf_token": csrf, "token": pasted})
    assert again.status_code == 401 and "revoked" in again.text


def test_sign_ins_and_refused_ones_are_in_the_audit_log(client, token, engine):
    engine.add_user("ops-ann", "editor", "correct horse battery")
    for name, password in (("ops-ann", "wrong password!"), ("ops-ann", "correct horse battery")):
        page = client.get("/console/sign-in")
        csrf = page.text.split('name="csrf-token" content="')[1].split('"')[0]
        client.post("/console/sign-in", data={"csrf_token": csrf, "name": name,
                                              "password": password})
    events, _ = engine.audit_events(limit=10)
    signs = [(e["action"], e["actor"], e["detail"].get("reason")) for e in events
             if e["action"].startswith("sign_in")]
    assert signs == [("sign_in", "ops-ann", None),
                     ("sign_in.refused", "ops-ann", "wrong name or password")]
