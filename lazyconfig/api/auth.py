"""Who the caller is, and what it may do: the request's credential is verified by the module
of its kind, each handing back the same Caller (domain/callers.py; docs/auth.md):

- `lzc_<id>_<secret>`: a service token (api/service_tokens.py);
- a JWT whose header names RS256, ES256 or EdDSA, when single sign-on is configured: the
  OIDC provider's (api/oidc_tokens.py);
- any other Bearer token: signed HS256 (api/signed_tokens.py);
- no Authorization header at all: the console's session cookie (api/session_auth.py).

Verified callers are remembered by their header (api/verified_tokens.py); revocation and
expiry are checked on every request, remembered or not.
"""
from __future__ import annotations

from typing import Callable

import jwt
from flask import Flask, current_app, g, request
from flask_smorest import abort

from ..auth import role_at_least
from ..domain.callers import SERVICE, Caller
from . import signed_tokens
from .context import engine, settings
from .errors import BEARER_CHALLENGE
from .oidc_tokens import OidcVerifier
from .service_tokens import is_service_token, service_caller
from .session_auth import session_caller
from .signed_tokens import LEEWAY, signed_caller
from .verified_tokens import VerifiedTokens

VERIFIED = "lazyconfig.verified_tokens"
OIDC_VERIFIER = "lazyconfig.oidc"


def init_app(app: Flask, secret: str, token_ttl: int) -> None:
    """Set up every kind of credential the API accepts (after context.init_app)."""
    signed_tokens.init_app(app, secret, token_ttl)
    app.extensions[VERIFIED] = VerifiedTokens(leeway=LEEWAY)
    if settings(app).oidc_enabled:
        app.extensions[OIDC_VERIFIER] = OidcVerifier(settings(app))


def _verify(header: str) -> Caller:
    scheme, _, credential = header.partition(" ")
    credential = credential.strip()
    if scheme == "Bearer" and is_service_token(credential):
        return service_caller(credential)
    oidc = current_app.extensions.get(OIDC_VERIFIER)
    if scheme == "Bearer" and oidc is not None:
        try:
            token_header = jwt.get_unverified_header(credential)
        except jwt.InvalidTokenError:
            token_header = {}  # not a JWT: the signed verifier says why
        if oidc.claims_for_us(token_header):
            return oidc.caller(credential, token_header)
    return signed_caller()


def authenticate() -> Caller:
    """The request's caller, verified (401 for no credential, a bad one, or a revoked one):
    its Authorization header, or without one the console's session cookie."""
    header = request.headers.get("Authorization", "")
    caller = None if header else session_caller()
    if caller is None:
        verified = current_app.extensions[VERIFIED]
        caller = verified.get(header)
        if caller is None:
            caller = _verify(header)
            verified.remember(header, caller)
    if engine().revocations.is_revoked(caller.token_id):
        abort(401, message="the token has been revoked", headers=BEARER_CHALLENGE)
    if caller.kind == SERVICE and caller.expired():  # our own clock: no leeway to allow
        abort(401, message="the token has expired", headers=BEARER_CHALLENGE)
    engine().touch_token(caller)
    return caller


def authorize(role: str) -> Caller:
    """Verify the request's credential and require `role` or above (403 when below)."""
    caller = authenticate()
    g.caller, g.user, g.role = caller, caller.name, caller.role
    if not role_at_least(caller.role, role):
        abort(403, message=f"this needs the {role} role; your token has {caller.role}")
    return caller


def current_caller() -> Caller:
    """The verified caller (after a view's role check)."""
    return g.caller


def current_user() -> str:
    """The authenticated user (the token's `sub`, a service token's name), to attribute
    changes to."""
    return g.user


def require_keys(keys) -> None:
    """403 unless the caller's key scope admits every key of `keys`."""
    caller = current_caller()
    outside = sorted({key for key in keys if not caller.may_use(key)})
    if outside:
        abort(403, message=f"this token may not use {', '.join(outside[:5])}: its key scope "
                           f"is {', '.join(caller.keys)}")


def still_valid_check(caller: Caller | None = None) -> Callable[[], bool]:
    """A check, callable from any thread without a request, that says whether the caller
    (the request's, by default) is still neither revoked nor expired: open streams and
    blocking queries end within a second of it saying no."""
    caller, engine_ = caller or current_caller(), engine()
    return lambda: engine_.caller_still_valid(caller, LEEWAY)
