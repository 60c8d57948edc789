"""Service tokens, revocation and the audit log: the engine's TokenOperations.

An opaque token reads `lzc_<id>_<secret>`; only the SHA-256 of the secret is stored. The
secret is 256 random bits, so no one can guess it offline from the hash, and a slow
password hash (argon2) would add nothing but tens of milliseconds of CPU on every token a
worker has not yet verified, which anyone could spend by sending random tokens
(docs/auth.md).
"""
from __future__ import annotations

import hashlib
import logging
import hmac
import secrets
import threading
import time
from datetime import datetime, timedelta, timezone
from typing import Any, Iterable

from ..domain.callers import ROLES, SERVICE, Caller
from ..domain.limits import USER_MAX, text_problem
from ..errors import ConfigurationError, TokenNotFound, UnstorableText
from .revocations import RevocationList

log = logging.getLogger(__name__)
TOKEN_PREFIX = "lzc_"
TOUCH_SECONDS = 60.0  # last_used_at moves at most this often per token
MAX_PATTERNS, PATTERN_CHARS = 50, 200
MAX_EXPIRES_IN = 10 * 365 * 24 * 3600
_revocation_lists_lock = threading.Lock()


def secret_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def service_token_id(token_id: int) -> str:
    """The id a service token is revoked under (its public part, `lzc_<id>`)."""
    return f"{TOKEN_PREFIX}{token_id}"


def parse_service_token(token: str) -> tuple[int, str] | None:
    """(id, secret) of a string shaped `lzc_<id>_<secret>`, else None."""
    if not token.startswith(TOKEN_PREFIX):
        return None
    number, _, secret = token[len(TOKEN_PREFIX):].partition("_")
    if not (number.isascii() and number.isdigit() and len(number) <= 18 and secret):
        return None
    return int(number), secret


def check_token_request(name: str, role: str, keys: Iterable[str] | None,
                        expires_in: int | None) -> None:
    """UnstorableText unless these make a token we can issue."""
    problems = {}
    problem = text_problem(name, USER_MAX)
    if problem or not name or not name.isprintable():
        problems["name"] = [problem or "1 or more printable characters"]
    if role not in ROLES:
        problems["role"] = [f"must be one of {', '.join(ROLES)}"]
    patterns = None if keys is None else list(keys)
    if patterns is not None and not (0 < len(patterns) <= MAX_PATTERNS and all(
            isinstance(p, str) and 0 < len(p) <= PATTERN_CHARS and p.isprintable()
            for p in patterns)):
        problems["keys"] = [f"1 to {MAX_PATTERNS} glob patterns of 1 to {PATTERN_CHARS} "
                            "printable characters"]
    if expires_in is not None and not 0 < expires_in <= MAX_EXPIRES_IN:
        problems["expires_in"] = [f"seconds, from 1 to {MAX_EXPIRES_IN}"]
    if problems:
        raise UnstorableText(problems, "this token cannot be issued")


class TokenOperations:
    """The engine's service tokens, revocations and audit log (ConfigurationEngine mixes
    this in; it uses `self.storage` and `self.settings`)."""

    @property
    def revocations(self) -> RevocationList:
        """This process's copy of the revoked token ids."""
        found = self.__dict__.get("_revocation_list")
        if found is None:
            with _revocation_lists_lock:
                found = self.__dict__.setdefault("_revocation_list",
                                                 RevocationList(self.storage))
        return found

    def caller_still_valid(self, caller: Caller, leeway: float = 0.0) -> bool:
        """True while `caller` is neither expired nor revoked (within REFRESH_SECONDS)."""
        return self.revocations.still_valid(caller, leeway)

    def issue_token(self, name: str, role: str, *, keys: list[str] | None = None,
                    expires_in: int | None = None, user: str | None = None,
                    request_id: str | None = None) -> tuple[dict[str, Any], str]:
        """A new service token: its record, and the token itself (shown only now)."""
        check_token_request(name, role, keys, expires_in)
        secret, now = secrets.token_urlsafe(32), datetime.now(timezone.utc)
        expires_at = None if expires_in is None else now + timedelta(seconds=expires_in)
        with self.storage.writing() as uow:
            record = uow.tokens.add(name=name, role=role, keys=keys,
                                    secret_hash=secret_hash(secret), created_at=now,
                                    created_by=user, expires_at=expires_at)
            uow.audit.record(at=now, actor=user, action="token.issue",
                             subject=service_token_id(record["id"]), request_id=request_id,
                             detail={"name": name, "role": role, "keys": keys})
            uow.commit()
        return record, f"{service_token_id(record['id'])}_{secret}"

    def list_tokens(self, limit: int = 100, offset: int = 0) -> tuple[list[dict], int]:
        with self.storage.reading() as uow:
            return uow.tokens.page(limit, offset)

    def revoke_token(self, token_id: int, *, user: str | None = None,
                     request_id: str | None = None) -> dict[str, Any]:
        """Revoke a service token (TokenNotFound when there is none); it is refused on
        every process within a second. Revoking twice changes nothing."""
        now = datetime.now(timezone.utc)
        with self.storage.writing() as uow:
            found = uow.tokens.find(token_id)
            if found is None:
                raise TokenNotFound(token_id)
            if uow.tokens.revoke(token_id, now):
                uow.revocations.add(service_token_id(token_id), now, user, found[0]["expires_at"])
                uow.audit.record(at=now, actor=user, action="token.revoke",
                                 subject=service_token_id(token_id), request_id=request_id)
            uow.commit()
            self.revocations.poll_next_time()
            return uow.tokens.find(token_id)[0]

    def revoke_jti(self, jti: str, *, user: str | None = None,
                   request_id: str | None = None) -> bool:
        """Revoke every signed token carrying `jti`, held for the longest lifetime a token
        may have. False when it was revoked already."""
        if not jti or len(jti) > 200 or not jti.isprintable():
            raise UnstorableText({"jti": ["1 to 200 printable characters"]},
                                 "this is no token id")
        now = datetime.now(timezone.utc)
        held = now + timedelta(seconds=self.settings.max_token_lifetime + 60)
        with self.storage.writing() as uow:
            added = uow.revocations.add(jti, now, user, held)
            if added:
                uow.audit.record(at=now, actor=user, action="jti.revoke", subject=jti,
                                 request_id=request_id)
                uow.revocations.forget_expired(now - timedelta(days=1))
            uow.commit()
        self.revocations.poll_next_time()
        return added

    def audit_events(self, limit: int = 50, offset: int = 0) -> tuple[list[dict], int]:
        """The audit log, newest first, and how many events it holds."""
        with self.storage.reading() as uow:
            return uow.audit.page(limit, offset)

    def service_caller(self, token: str) -> Caller | None:
        """The caller an opaque token stands for, or None when it is no live token of ours
        (unknown, wrong secret, revoked or expired)."""
        parsed = parse_service_token(token)
        if parsed is None:
            return None
        with self.storage.reading() as uow:
            found = uow.tokens.find(parsed[0])
        if found is None or not hmac.compare_digest(found[1], secret_hash(parsed[1])):
            return None
        record = found[0]
        expires = record["expires_at"]
        caller = Caller(name=record["name"], role=record["role"], kind=SERVICE,
                        keys=None if record["keys"] is None else tuple(record["keys"]),
                        expires_at=None if expires is None else expires.timestamp(),
                        token_id=service_token_id(record["id"]))
        if record["revoked_at"] is not None or not self.caller_still_valid(caller):
            return None
        return caller

    def touch_token(self, caller: Caller) -> None:
        """Note that a service token was used: in the database at most once a minute."""
        if caller.kind != SERVICE:
            return
        touched = self.__dict__.setdefault("_tokens_touched", {})
        now = time.monotonic()
        if now - touched.get(caller.token_id, float("-inf")) < TOUCH_SECONDS:
            return
        touched[caller.token_id] = now
        at = datetime.now(timezone.utc)
        try:
            with self.storage.writing() as uow:
                uow.tokens.touch(int(caller.token_id[len(TOKEN_PREFIX):]), at,
                                 at - timedelta(seconds=TOUCH_SECONDS))
                uow.commit()
        except ConfigurationError as exc:  # bookkeeping: never worth failing the request
            log.warning("could not note that token %s was used: %s", caller.token_id, exc)
