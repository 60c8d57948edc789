"""Opaque service tokens, `lzc_<id>_<secret>`: looked up by id and checked against the
stored hash by the engine (service/tokens.py)."""
from __future__ import annotations

from flask_smorest import abort

from ..domain.callers import Caller
from ..service.tokens import TOKEN_PREFIX
from .context import engine
from .errors import BEARER_CHALLENGE


def is_service_token(credential: str) -> bool:
    return credential.startswith(TOKEN_PREFIX)


def service_caller(credential: str) -> Caller:
    """The caller of a service token (a 401 when it is unknown, revoked or expired)."""
    caller = engine().service_caller(credential)
    if caller is None:
        abort(401, message="invalid token (no such live service token)",
              headers=BEARER_CHALLENGE)
    return caller
