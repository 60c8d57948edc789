"""The write pipeline: every write runs here, in a transaction that holds the database-wide
write lock, on a state caught up with other writers, and is answered only after commit and
the fence (coherence/freshness.py).

Writes queued at the same moment share one transaction (coherence/group_commit.py). Each
runs on the state the previous one left; if one fails, the transaction rolls back whole and
each is run again alone, so no write fails because of another's error.

A write that checks values is checked before the lock (validation.py): under it, each check
is a look-up, and a rule that moved in between sends the write back to be checked again.
"""
from __future__ import annotations

import logging
import time
from functools import partial
from typing import Any, Callable

from ..coherence.group_commit import GroupCommit, Queued
from ..coherence.replica import Replica
from ..db.protocols import Storage, UnitOfWork
from ..domain import Change
from ..domain.redaction import Redaction
from ..domain.state import State
from ..errors import (ConfigurationError, Conflict, SchemaMoved, StorageUnavailable,
                      ValidationFailed)
from . import planning
from .observers import Observers
from .results import Done
from .validation import RulesMoved, ValueCaps, Verdicts

change_log = logging.getLogger("lazyconfig.changes")
Operation = Callable[[UnitOfWork, State], Any]
RECHECKS = 3  # checks before the lock that a rule change may void, before a 409


class WritePipeline:
    def __init__(self, storage: Storage, replica: Replica, freshness, caps: ValueCaps):
        self._storage, self._replica, self._freshness = storage, replica, freshness
        self.caps = caps  # the size caps of values, by key type
        self.queue = GroupCommit(replica.lock, self._run_group)
        self.observers = Observers()

    def run(self, operation: Operation, expected_revision: int | None = None,
            action: str | None = None, precheck: Callable | None = None) -> Done:
        """Run `operation(uow, state)` in a write transaction (perhaps shared with other
        threads' writes); returns its outcome, or raises what it raised. Observers hear of
        the changes it committed, or of its refusal by a rule (as `action`). With a
        `precheck(state, check=)`, its checks run first, outside the lock, and the
        operation gets `check=`, which only looks them up."""
        if precheck is None:
            return self._run(operation, expected_revision, action)
        for _ in range(RECHECKS):
            verdicts = Verdicts(self.caps)
            try:
                precheck(self._replica.state, check=verdicts.check)
            except ConfigurationError:
                pass  # the refusal is decided in the transaction, on the caught-up state
            try:
                return self._run(partial(operation, check=verdicts.seal().check),
                                 expected_revision, action)
            except RulesMoved:
                continue  # the failed transaction caught this process up: check again
        raise Conflict(f"the rules changed {RECHECKS} times while the write was being "
                       "checked; nothing was changed, send it again")

    def _run(self, operation: Operation, expected_revision: int | None,
             action: str | None) -> Done:
        queued = self.queue.submit(operation, expected_revision)
        self._freshness.wait_for_fence()
        self._log(queued.changes)
        if isinstance(queued.error, ValidationFailed):
            self.observers.refused(action, list(queued.error.errors))
        elif queued.error is None:
            self.observers.written(queued.changes, queued.state.revision)
        return Done(queued.outcome(), queued.changes, queued.state)

    def _log(self, changes: list[Change]) -> None:
        """One log line per change, in the process that made it (sensitive values masked)."""
        if not changes or not change_log.isEnabledFor(logging.INFO):
            return  # a rollback of 10,000 keys need not build 10,000 unused dicts
        shown = Redaction(self._replica.state.rules, reveal=False)
        for change in changes:
            change_log.info("change %s: %s by %s (revision %s)", change.key, change.action,
                            change.user, change.revision,
                            extra={"fields": {"event": "change", **shown.change(change)}})

    def _run_group(self, group: list[Queued]) -> None:
        # A database that is down, or a commit whose outcome is unknown, fails them all:
        # running them again could apply a write twice.
        try:
            self._transaction(group)
        except SchemaMoved as exc:  # every write would meet the same tables
            self._replica.schema_moved = True
            for queued in group:
                queued.fail(exc)
        except StorageUnavailable as exc:
            for queued in group:
                queued.fail(exc)
        except Exception as exc:
            if len(group) == 1:
                group[0].fail(exc)
                return
            for queued in group:
                self._run_group([queued])

    def _transaction(self, group: list[Queued]) -> None:
        started = time.monotonic()
        self._freshness.before_write()
        if self._replica.schema_moved:
            self._replica.reload()
        with self._storage.writing() as uow:
            state, caught_up = self._replica.catch_up_in(uow)
            try:
                outcomes = self._operations(uow, state, group)
            except Exception:
                # What others committed was read under the lock whatever this group does:
                # keep it, so a refusal is shown (and the next write pre-checked) by it.
                self._take(state, caught_up)
                raise
            uow.commit()
        state = outcomes[-1][2]
        if any(own for _, own, _ in outcomes):
            self._freshness.committed(state.revision, started)
        self._take(state, caught_up + [c for _, own, _ in outcomes for c in own])
        for queued, outcome in zip(group, outcomes):
            queued.succeed(*outcome)

    def _operations(self, uow: UnitOfWork, state: State, group: list[Queued]) -> list[tuple]:
        """Each write's (result, own changes, state after it), in turn on the state the
        previous one left; the first to raise stops them all."""
        outcomes = []
        for queued in group:
            planning.check_revision(state, queued.expected_revision)
            appended = len(uow.changes.appended)
            result = queued.operation(uow, state)
            # On PostgreSQL the change log's trigger notifies the other processes.
            state, own = self._replica.advance_own(uow, state, appended)
            outcomes.append((result, own, state))
        return outcomes

    def _take(self, state: State, changes: list[Change]) -> None:
        if state is not self._replica.state:
            self._replica.swap(state)
        self._replica.notifier.publish(changes)
