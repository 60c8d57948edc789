"""Tokens of an external OIDC provider (single sign-on): signed RS256, ES256 or EdDSA with
one of the provider's keys (api/provider_keys.py), from its issuer, for our audience,
unexpired; the role comes from a claim (the groups) through LAZYCONFIG_OIDC_ROLE_MAP, the
highest role any group maps to. HS256 and `none` are never accepted here, so a token signed
with the provider's public key as an HMAC secret is no OIDC token (it goes to the signed
verifier, which knows only our secret)."""
from __future__ import annotations

from typing import Any

import jwt
from flask_smorest import abort

from ..domain.callers import OIDC, ROLES, Caller
from ..settings import Settings
from .errors import BEARER_CHALLENGE
from .provider_keys import ProviderKeys

ALGORITHMS = ("RS256", "ES256", "EdDSA")
LEEWAY = 10  # seconds of clock skew allowed on nbf and exp


def _refuse(reason: str):
    abort(401, message=f"invalid token ({reason})", headers=BEARER_CHALLENGE)


def claim(claims: dict[str, Any], path: str) -> Any:
    """The claim at `path` (`realm_access.roles` reads a nested one), or None."""
    found: Any = claims
    for part in path.split("."):
        found = found.get(part) if isinstance(found, dict) else None
    return found


class OidcVerifier:
    def __init__(self, settings: Settings, keys: ProviderKeys | None = None):
        self.issuer, self.audience = settings.oidc_issuer, settings.oidc_audience
        self.role_claim, self.user_claim = settings.oidc_role_claim, settings.oidc_user_claim
        self.role_map = settings.oidc_role_map
        self.keys = keys or ProviderKeys(settings.oidc_jwks_url)

    def claims_for_us(self, header: dict[str, Any]) -> bool:
        """True when a token's header says it is the provider's kind (an asymmetric alg)."""
        return header.get("alg") in ALGORITHMS

    def caller(self, token: str, header: dict[str, Any]) -> Caller:
        """The caller of a provider's token (401 for any flaw, 403 when no group of it
        maps to a role)."""
        kid = header.get("kid")
        key = self.keys.key(kid) if isinstance(kid, str) else None
        if key is None:
            _refuse("the provider has no key with this kid")
        if key.algorithm_name != header["alg"]:
            _refuse("the key does not sign with the token's alg")
        try:
            claims = jwt.decode(token, key, algorithms=[header["alg"]], audience=self.audience,
                                issuer=self.issuer, leeway=LEEWAY,
                                options={"require": ["exp", "iss", "aud", "sub"]})
        except jwt.ExpiredSignatureError:
            _refuse("the token has expired")
        except (jwt.InvalidTokenError, TypeError, ValueError, OverflowError) as exc:
            _refuse(str(exc) or type(exc).__name__)
        return self._caller(claims)

    def _caller(self, claims: dict[str, Any]) -> Caller:
        name = claim(claims, self.user_claim) or claims["sub"]
        if not isinstance(name, str) or not name.strip() or not name.isprintable():
            _refuse("it names no user")
        role = self.role(claim(claims, self.role_claim))
        if role is None:
            abort(403, message="none of your groups maps to a lazyconfig role "
                               "(LAZYCONFIG_OIDC_ROLE_MAP)")
        jti = claims.get("jti")
        return Caller(name=name[:200], role=role, kind=OIDC, expires_at=float(claims["exp"]),
                      token_id=jti if isinstance(jti, str) and jti else None)

    def role(self, groups: Any) -> str | None:
        """The highest role any of `groups` maps to, or None."""
        groups = [groups] if isinstance(groups, str) else groups
        if not isinstance(groups, list):
            return None
        granted = [role for group, role in self.role_map if group in groups]
        return max(granted, key=ROLES.index, default=None)
