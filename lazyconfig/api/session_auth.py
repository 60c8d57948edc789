"""The console's session cookie as a way to call the API: signed by Flask (itsdangerous,
with a key derived from the token signing secret), HttpOnly, SameSite=Strict, and a CSRF
token that every unsafe request made with it must echo in X-CSRF-Token. A request with an
Authorization header never looks at the cookie (docs/console.md, "Sign-in")."""
from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from datetime import timedelta

from flask import Flask, current_app, request, session
from flask_smorest import abort

from ..domain.callers import CONSOLE, Caller

COOKIE = "lazyconfig_console"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


def init_app(app: Flask, secret: str, lifetime_seconds: int, https_only: bool) -> None:
    """Sign the console's session cookie with a key of its own, derived from `secret`;
    `https_only` marks it Secure (LAZYCONFIG_ENV=production)."""
    app.secret_key = hmac.new(secret.encode(), b"lazyconfig console session",
                              hashlib.sha256).hexdigest()
    app.config.update(SESSION_COOKIE_NAME=COOKIE, SESSION_COOKIE_HTTPONLY=True,
                      SESSION_COOKIE_SAMESITE="Strict", SESSION_COOKIE_SECURE=https_only,
                      PERMANENT_SESSION_LIFETIME=timedelta(seconds=lifetime_seconds))


def csrf_token() -> str:
    """This browser session's CSRF token (made on first use, before sign-in too)."""
    if "csrf" not in session:
        session["csrf"] = secrets.token_urlsafe(32)
    return session["csrf"]


def csrf_matches(sent: str | None) -> bool:
    expected = session.get("csrf")
    return bool(sent and expected) and hmac.compare_digest(sent, expected)


def begin(user: str, role: str, expires_at: float, token_id: str | None = None) -> None:
    """Sign the browser in as `user` with `role` until `expires_at`, with a new CSRF token
    (one seen before sign-in is not kept); `token_id` is the pasted token's, so revoking
    that token ends the session too."""
    session.clear()
    session.permanent = True
    session.update(user=user, role=role, exp=int(expires_at), jti=token_id,
                   csrf=secrets.token_urlsafe(32))


def end() -> None:
    session.clear()


def signed_in() -> dict | None:
    """{"sub", "role"} of the signed-in browser, or None (no cookie, or expired)."""
    if current_app.config["SESSION_COOKIE_NAME"] not in request.cookies:
        return None  # not even read: no Vary: Cookie on API answers to token callers
    if "user" not in session or session.get("exp", 0) <= time.time():
        return None
    return {"sub": session["user"], "role": session["role"], "exp": session["exp"],
            "jti": session.get("jti")}


def cookie_claims() -> dict | None:
    """The caller's claims from the console cookie, for a request without a token; an
    unsafe request without the session's CSRF token is refused (403)."""
    claims = signed_in()
    if claims is not None and request.method not in SAFE_METHODS \
            and not csrf_matches(request.headers.get(CSRF_HEADER)):
        abort(403, message=f"a console request that changes something needs the "
                           f"{CSRF_HEADER} header of its session")
    return claims


def session_caller() -> Caller | None:
    """The signed-in browser as a caller (the API's checks then apply as to any token), or
    None without a session."""
    claims = cookie_claims()
    if claims is None:
        return None
    return Caller(name=claims["sub"], role=claims["role"], kind=CONSOLE,
                  expires_at=claims["exp"], token_id=claims["jti"])
