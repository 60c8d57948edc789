"""Roles, the token signing secret and token creation; no Flask here, so the CLI can use it.

The API (lazyconfig.api.auth) verifies what this module signs: HS256, claims `sub` (the
user) and `role`, always with an expiry.
"""
from __future__ import annotations

import os
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Mapping

from .domain.callers import ROLES
from .domain.limits import USER_MAX, text_problem
from .errors import SecretError  # noqa: F401  (callers import it from here too)
from .settings import DEFAULT_TOKEN_TTL, Settings

ALGORITHM = "HS256"
MIN_SECRET_BYTES = 32
SECRET_FILE = "jwt-secret"
MAX_TIME = 2 ** 53  # seconds since the epoch: far beyond any real expiry, exact as a float


def claims_problem(claims: Mapping[str, Any], max_lifetime: int, now: float) -> str | None:
    """Why verified `claims` still cannot name a caller, or None: we need a role we know,
    a subject we can record as the author of a change, numeric times and an expiry at most
    `max_lifetime` seconds after the token was issued (or after `now`, without `iat`)."""
    if claims.get("role") not in ROLES:
        return f"it needs a role of {', '.join(ROLES)}"
    subject = claims.get("sub")
    if not isinstance(subject, str) or not subject.strip():
        return "it needs a subject (sub): the user name changes are recorded under"
    if (problem := text_problem(subject, USER_MAX)) or not subject.isprintable():
        return f"its subject (sub) {problem or 'must not contain control characters'}"
    times = {name: claims[name] for name in ("exp", "iat", "nbf") if name in claims}
    if "exp" not in times:
        return "it needs an expiry (exp)"
    if not all(_is_time(value) for value in times.values()):
        return "exp, iat and nbf must be numbers of seconds since the epoch"
    if times["exp"] - times.get("iat", now) > max_lifetime:
        return f"it lives longer than the {max_lifetime} seconds this server allows"
    return None


def _is_time(value: Any) -> bool:
    # Bounded (which also refuses NaN and infinity), so that exp - iat is plain arithmetic.
    return (isinstance(value, (int, float)) and not isinstance(value, bool)
            and abs(value) <= MAX_TIME)


def role_at_least(role: str | None, needed: str) -> bool:
    """True when `role` is `needed` or above it in viewer < editor < admin."""
    return role in ROLES and ROLES.index(role) >= ROLES.index(needed)


@dataclass(frozen=True)
class SigningSecret:
    value: str
    generated_at: Path | None = None  # the instance file it came from, when we made it


def resolve_secret(settings: Settings) -> SigningSecret:
    """LAZYCONFIG_JWT_SECRET; else, on the embedded default only, a secret generated once in
    the instance folder. PostgreSQL or LAZYCONFIG_ENV=production demand a configured secret
    of at least 32 bytes (a shared database means several servers must share the secret)."""
    configured = settings.jwt_secret
    if settings.env == "production" or not settings.is_sqlite:
        if len(configured.encode()) < MIN_SECRET_BYTES:
            raise SecretError(
                f"LAZYCONFIG_JWT_SECRET must be set to at least {MIN_SECRET_BYTES} bytes with "
                "PostgreSQL or LAZYCONFIG_ENV=production (try: python -c 'import secrets; "
                "print(secrets.token_urlsafe(48))')")
        return SigningSecret(configured)
    if configured:
        return SigningSecret(configured)
    path = Path(settings.instance_path) / SECRET_FILE
    return SigningSecret(_read_or_create(path), generated_at=path)


def _read_or_create(path: Path) -> str:
    """The secret in `path`, created first if missing. Several gunicorn workers may race
    here: each writes a private temp file and links it into place; only one link wins."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        temp = path.with_name(f".{path.name}.{uuid.uuid4().hex}")
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(48))
        try:
            os.link(temp, path)
        except FileExistsError:
            pass
        finally:
            temp.unlink()
    return path.read_text().strip()


def create_token(secret: str, user: str, role: str, expires_in: int = DEFAULT_TOKEN_TTL) -> str:
    """A signed access token for `user` with `role`, valid for `expires_in` seconds."""
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}, not {role!r}")
    if not user:
        raise ValueError("a token needs a user name")
    if expires_in <= 0:
        raise ValueError("expires_in must be a positive number of seconds")
    now = datetime.now(timezone.utc)
    claims = {"sub": user, "role": role, "iat": now, "nbf": now,
              "exp": now + timedelta(seconds=expires_in), "jti": str(uuid.uuid4()),
              "type": "access", "fresh": False}
    import jwt  # here, not above: the `lazyconfig` command imports this module for ROLES
    return jwt.encode(claims, secret, algorithm=ALGORITHM)
