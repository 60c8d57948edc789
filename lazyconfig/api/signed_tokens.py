"""HS256 tokens signed with the server's secret (lazyconfig/auth.py makes them): verified by
flask-jwt-extended, with a role claim and always an expiry.

Every failure is a 401 in our error shape (built by api/errors.py): flask-jwt-extended would
otherwise answer 422 for a bad signature or `alg: none`, and 400 for a failed claims check.
"""
from __future__ import annotations

import time
from datetime import timedelta

from flask import Flask
from flask_jwt_extended import JWTManager, get_jwt, verify_jwt_in_request
from flask_smorest import abort

from ..auth import ALGORITHM, claims_problem
from ..domain.callers import SIGNED, Caller
from .context import settings
from .errors import BEARER_CHALLENGE, unauthorized

jwt = JWTManager()
LEEWAY = 10  # seconds of clock skew allowed on nbf and exp


def init_app(app: Flask, secret: str, token_ttl: int) -> None:
    """Configure flask-jwt-extended on `app` with our signing rules and 401 answers."""
    app.config.update(
        JWT_SECRET_KEY=secret, JWT_ALGORITHM=ALGORITHM, JWT_DECODE_ALGORITHMS=[ALGORITHM],
        JWT_TOKEN_LOCATION=["headers"], JWT_HEADER_TYPE="Bearer",
        JWT_ACCESS_TOKEN_EXPIRES=timedelta(seconds=token_ttl),
        # Tokens are often made on another host (`lazyconfig token create`): allow for
        # a little clock skew on nbf and exp.
        JWT_DECODE_LEEWAY=LEEWAY)
    jwt.init_app(app)


@jwt.unauthorized_loader
def _missing_token(reason: str):
    return unauthorized(f"a Bearer token is required ({reason})")


@jwt.invalid_token_loader
def _invalid_token(reason: str):
    return unauthorized(f"invalid token ({reason})")


@jwt.expired_token_loader
def _expired_token(_header, _payload):
    return unauthorized("the token has expired")


def _claims_problem(payload) -> str | None:
    return claims_problem(payload, settings().max_token_lifetime, time.time())


@jwt.token_verification_loader
def _claims_name_a_caller(_header, payload) -> bool:
    # A token without an expiry, a known role or a subject to record is not one we signed.
    return _claims_problem(payload) is None


@jwt.token_verification_failed_loader
def _bad_claims(_header, payload):
    return unauthorized(f"invalid token ({_claims_problem(payload) or 'its claims changed'})")


def signed_caller() -> Caller:
    """The caller of the request's signed token (a 401 when it is no valid one)."""
    try:
        verify_jwt_in_request()
    except (TypeError, ValueError, OverflowError):
        # PyJWT reads exp, iat and nbf with int() and catches only some of its failures
        # (a list, null or 1e400): a signed token with such claims is still no token.
        abort(401, message="invalid token (exp, iat and nbf must be numbers of seconds "
                           "since the epoch)", headers=BEARER_CHALLENGE)
    claims = get_jwt()
    jti = claims.get("jti")
    return Caller(name=claims["sub"], role=claims["role"], kind=SIGNED,
                  expires_at=float(claims["exp"]),
                  token_id=jti if isinstance(jti, str) and jti else None)
