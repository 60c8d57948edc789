"""Console accounts (`lazyconfig user add`): names, roles and argon2 password hashes. An
account is not configuration: it is written in a transaction of its own, not through the
write pipeline, and leaves no change-log row (docs/console.md, "Sign-in")."""
from __future__ import annotations

from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from ..db.base import utcnow
from ..db.protocols import Storage
from ..domain.limits import USER_MAX, text_problem
from ..errors import InvalidParameter, UnknownKey

PASSWORD_MIN, PASSWORD_MAX = 8, 1024  # characters; argon2 hashes any length, we bound the work
_HASHER = PasswordHasher()


@cache
def _dummy_hash() -> str:
    """Verified when the name is unknown, so a wrong name takes as long as a wrong password."""
    return _HASHER.hash("lazyconfig-no-such-account")


class ConsoleAccounts:
    """The engine's account operations (a mixin of ConfigurationEngine)."""

    storage: Storage

    def add_user(self, name: str, role: str, password: str) -> None:
        """Create the account `name` with `role`, or replace its role and password."""
        problem = text_problem(name, USER_MAX) if isinstance(name, str) else "must be text"
        if problem or not name.strip() or not name.isprintable():
            raise InvalidParameter(f"a user name {problem or 'must be printable, not blank'}")
        if not PASSWORD_MIN <= len(password) <= PASSWORD_MAX:
            raise InvalidParameter(f"a password has {PASSWORD_MIN} to {PASSWORD_MAX} characters")
        hashed = _HASHER.hash(password)
        with self.storage.writing() as uow:
            uow.users.put(name, role, hashed, utcnow())
            uow.commit()

    def remove_user(self, name: str) -> None:
        with self.storage.writing() as uow:
            if not uow.users.delete(name):
                raise UnknownKey(name)
            uow.commit()

    def record_sign_in(self, name: str | None, way: str, refused: str | None = None, *,
                       request_id: str | None = None) -> None:
        """Put a console sign-in (`way`: password or token) in the audit log, or its refusal
        with the reason; a name no account could have is recorded as none."""
        if name is not None and (text_problem(name, USER_MAX) or not name.isprintable()):
            name = None
        with self.storage.writing() as uow:
            uow.audit.record(at=utcnow(), actor=name, request_id=request_id,
                             action="sign_in" if refused is None
                             else "sign_in.refused",
                             subject=f"console:{name or '?'}",
                             detail={"with": way, **({"reason": refused} if refused else {})})
            uow.commit()

    def list_users(self) -> list[tuple[str, str]]:
        """(name, role) of every account."""
        with self.storage.reading() as uow:
            return uow.users.names()

    def sign_in(self, name: str, password: str) -> str | None:
        """The role of the account `name` if `password` is its password, else None."""
        if len(password) > PASSWORD_MAX or len(name) > USER_MAX:
            return None
        with self.storage.reading() as uow:
            found = uow.users.get(name)
        role, hashed = found or (None, _dummy_hash())
        try:
            _HASHER.verify(hashed, password)
        except (VerificationError, InvalidHashError):
            return None
        return role
