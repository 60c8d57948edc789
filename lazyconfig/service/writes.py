"""Value writes: set, batch, unset and revert, each planned (planning.py) then applied in
the pipeline's transaction with its change-log rows. Each decides whether its key exists on
the state the pipeline caught up under the write lock, not on this process's memory, which
may not yet hold a key another process created."""
from __future__ import annotations

from typing import Any, Mapping

from ..coherence.replica import Replica
from ..db.protocols import Storage, UnitOfWork
from ..domain.state import State
from ..domain import ConfigurationValidationRule
from . import planning, rules
from .apply import Author, apply
from .snapshots import Retention, take_snapshot
from .validation import Check, checked


def refuse_stale(replica: Replica, expected: Mapping[str, int]) -> None:
    """PreconditionFailed at once, without the write lock, when an expected version is
    older than one this process already holds: versions only grow, so the caught-up state
    would refuse it too; anything else is left to the write's transaction. The refusal
    reads the database first (without the lock), so it names the versions current now."""
    if planning.is_stale(replica.state, expected):
        replica.refresh()
        planning.check_versions(replica.state, expected)


def write_values(uow: UnitOfWork, state: State, *, items: list, source: str, action: str,
                 author: Author, expected_versions: dict[str, int] | None,
                 snapshot: str | None, retention: Retention,
                 check: Check = checked) -> int | None:
    """Check every value and the expected versions, take the snapshot asked for, apply;
    returns the id of that snapshot, or None."""
    writes = planning.checked_writes(state, items, source, check)
    planning.check_versions(state, expected_versions or {})
    taken = None
    if snapshot is not None:
        taken = take_snapshot(uow, state, snapshot, ["auto", "batch"], author.user,
                              retention).id
    apply(uow, state, writes, action, author)
    return taken


def unset(uow: UnitOfWork, state: State, *, key: str, source: str, author: Author,
          expected_version: int | None) -> None:
    planning.check_known(state, [key])
    if expected_version is not None:
        planning.check_versions(state, {key: expected_version})
    apply(uow, state, planning.unset_writes(state, key, source), "unset", author)


class Reverting:
    """The value `key` had at `revision`, read from the change log before the write lock
    (what the log says of a revision it holds never changes), so it is checked there."""

    def __init__(self, storage: Storage, key: str, revision: int):
        self._storage, self.key, self.revision = storage, key, revision
        self.read: tuple[bool, Any] | None = None

    def precheck(self, state: State, check: Check) -> None:
        if self.key in state.rules and 0 <= self.revision <= state.revision:
            with self._storage.reading() as uow:
                self.read = uow.changes.value_at(self.key, self.revision)
            planning.revert_writes(state, self.key, self.revision, *self.read, check)

    def value(self, uow: UnitOfWork, state: State) -> tuple[bool, Any]:
        if not 0 <= self.revision <= state.revision:
            return False, None
        return self.read or uow.changes.value_at(self.key, self.revision)


def revert(uow: UnitOfWork, state: State, *, reverting: Reverting, author: Author,
           expected_version: int | None, check: Check = checked) -> None:
    key, revision = reverting.key, reverting.revision
    planning.check_known(state, [key])
    if expected_version is not None:
        planning.check_versions(state, {key: expected_version})
    found, value = reverting.value(uow, state)
    writes = planning.revert_writes(state, key, revision, found, value, check)
    apply(uow, state, writes, "revert", author, f"revert to revision {revision}")


def define_rule(uow: UnitOfWork, state: State, *, rule: ConfigurationValidationRule,
                **put) -> ConfigurationValidationRule:
    """Store `rule` if its key has no stored rule yet; a key another process defined keeps
    the rule it stored."""
    if rule.key in state.rules:
        return state.rules[rule.key]
    return rules.put_rule(uow, state, rule=rule, **put)
