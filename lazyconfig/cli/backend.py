"""What the commands need of the configuration, and the two ways to get it: LocalBackend
works on the database through the engine, RemoteBackend on a server through its REST API.

Both hand back the API's JSON shapes (an entry, a rule, a change, a snapshot), so a command
formats one kind of record and prints the same in either mode by construction. Both raise
the exceptions of lazyconfig.errors, so errors read the same too (cli/root.py).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable, Iterator, Protocol

from ..settings import Settings

# The rule fields the API names differently from the engine's record.
API_NAMES = {"value_type": "type", "min_value": "min", "max_value": "max"}
ENGINE_NAMES = {api: engine for engine, api in API_NAMES.items()}


class BadUsage(ValueError):
    """A request that cannot be carried out as given (exit status 2, cli/root.py)."""


DECISIONS = ("approve", "reject", "apply", "cancel")  # what `change-request` can do to one


@dataclass(frozen=True)
class Written:
    """A key after a write: its effective value and the revision the write made."""

    key: str
    value: Any
    revision: int


class Backend(Protocol):
    def value(self, key: str) -> Any: ...
    def entry(self, key: str) -> dict[str, Any]: ...
    def entries(self) -> list[dict[str, Any]]: ...
    def rule(self, key: str) -> dict[str, Any]: ...
    def rules(self) -> list[dict[str, Any]]: ...
    def put_rule(self, key: str, record: dict[str, Any]) -> dict[str, Any]: ...
    def set(self, key: str, value: Any, source: str,
            description: str | None) -> Written | dict[str, Any]: ...
    def revert(self, key: str, revision: int, description: str | None) -> Written: ...
    def validate(self, key: str, value: Any) -> list[str]: ...
    def history(self, key: str, limit: int, offset: int) -> tuple[list[dict], int]: ...
    def reset(self, keys: list[str] | None) -> dict[str, Any]: ...
    def export(self, show_sensitive: bool) -> dict[str, Any]: ...
    def import_document(self, document: dict, dry_run: bool) -> dict[str, Any]: ...
    def import_from(self, kind: str, data: bytes, prefix: str | None,
                    dry_run: bool) -> dict[str, Any]: ...
    def status(self) -> dict[str, Any]: ...
    def snapshots(self, limit: int) -> tuple[list[dict], int]: ...
    def create_snapshot(self, description: str | None, tags: list[str], pinned: bool) -> int: ...
    def snapshot(self, snapshot_id: int) -> dict[str, Any]: ...
    def delete_snapshot(self, snapshot_id: int) -> None: ...
    def rollback(self, snapshot_id: int, keys: list[str] | None,
                 dry_run: bool) -> dict[str, Any]: ...
    def diff(self, a: int, b: int | None) -> dict[str, Any]: ...
    def follow(self, since: int | None, keys: list[str]) -> Iterator[dict[str, Any]]: ...
    def templates(self) -> list[dict[str, Any]]: ...
    def template(self, name: str) -> dict[str, Any]: ...
    def apply_template(self, name: str, params: dict[str, str],
                       dry_run: bool) -> dict[str, Any]: ...
    def template_drift(self, name: str, params: dict[str, str]) -> dict[str, Any]: ...
    def issue_token(self, name: str, role: str, keys: list[str] | None,
                    expires_in: int | None) -> dict[str, Any]: ...
    def values_at(self, revision: int) -> dict[str, Any]: ...
    def restore(self, revision: int, keys: list[str] | None, dry_run: bool) -> dict[str, Any]: ...
    def policies(self) -> list[dict[str, Any]]: ...
    def set_policies(self, rules: list[dict[str, Any]]) -> list[dict[str, Any]]: ...
    def change_requests(self, state: str | None) -> list[dict[str, Any]]: ...
    def change_request(self, change_id: int) -> dict[str, Any]: ...
    def decide(self, change_id: int, verb: str, reason: str | None) -> dict[str, Any]: ...
    def close(self) -> None: ...


def open_backend(settings: Settings, user: str | None, *, database_given: bool = False,
                 url_given: bool = False) -> Backend:
    """The remote backend when a server is named (--url, LAZYCONFIG_URL or the profile
    file); the local one otherwise, or when --database-url is given."""
    if database_given and url_given:
        raise BadUsage("--database-url and --url name two places to work on: give one")
    from .profile import resolve

    remote = None if database_given else resolve(settings)
    if remote is None:
        from .local import LocalBackend
        return LocalBackend(settings, user)
    if user:
        raise BadUsage("--user works on a database; through a server, changes are "
                        "attributed to the token's user")
    from .remote import RemoteBackend
    return RemoteBackend(remote.url, remote.token)


def api_rule(record: dict[str, Any]) -> dict[str, Any]:
    """An engine rule record in the API's shape (bounds are numbers with a fraction there)."""
    shaped = {API_NAMES.get(name, name): value for name, value in record.items()}
    for bound in ("min", "max"):
        if shaped.get(bound) is not None:
            shaped[bound] = float(shaped[bound])
    return shaped


def engine_rule(record: dict[str, Any]) -> dict[str, Any]:
    return {ENGINE_NAMES.get(name, name): value for name, value in record.items()}


def rule_object(record: dict[str, Any]):
    """The domain rule an API-shaped record describes (to read command-line text by type)."""
    from ..domain.rules import ConfigurationValidationRule
    return ConfigurationValidationRule.from_record(engine_rule(record))


def masked(value: Any, sensitive: bool, reveal: bool) -> Any:
    """A value as `list` and `export` show it unless --show-sensitive (domain/redaction.py)."""
    from ..domain.rules import MASK
    return MASK if sensitive and not reveal and value is not None else value


def wanted(keys: Iterable[str]) -> str | None:
    """The one key a change stream can filter on by itself, if only one is wanted."""
    keys = list(keys)
    return keys[0] if len(keys) == 1 else None
