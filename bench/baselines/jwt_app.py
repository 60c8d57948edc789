"""A bare Flask app with the service's token check: flask-jwt-extended, the same secret and
algorithm, and the role claim verified. The ceilings add one route each."""
from __future__ import annotations

import os

from flask import Flask, abort
from flask_jwt_extended import JWTManager, get_jwt, verify_jwt_in_request

from lazyconfig.auth import ALGORITHM, role_at_least

PREFIX = "/api/lazy-loading-config"


def create_app() -> Flask:
    app = Flask("bench-ceiling")
    app.config.update(JWT_SECRET_KEY=os.environ["LAZYCONFIG_JWT_SECRET"],
                      JWT_ALGORITHM=ALGORITHM, JWT_DECODE_ALGORITHMS=[ALGORITHM],
                      JWT_TOKEN_LOCATION=["headers"], JWT_HEADER_TYPE="Bearer")
    JWTManager(app)
    app.get("/api/health")(lambda: {"status": "ok"})  # what GunicornServer waits for
    return app


def authorize(role: str) -> str:
    """Verify the token and its role as the service does; the user it names."""
    verify_jwt_in_request()
    claims = get_jwt()
    if not role_at_least(claims.get("role"), role):
        abort(403)
    return claims["sub"]
