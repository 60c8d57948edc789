"""This process's copy of the configuration: the current State, kept in step with the log.

Readers take `replica.state` (or `replica.values`) without a lock; writers and refreshers
build the next State under `lock` and swap it in, publishing its changes to subscribers in
revision order, once each.
"""
from __future__ import annotations

import threading
from typing import Callable, Iterable

from ..db.protocols import PAGE_ROWS, Storage, UnitOfWork
from ..domain import Change, ConfigurationValidationRule
from ..domain.state import ExternalLayers, KeyMeta, State, build
from ..errors import SchemaMoved
from .notifier import Notifier

Rule = ConfigurationValidationRule


class Replica:
    def __init__(self, storage: Storage, external: ExternalLayers,
                 decorate: Callable[[Rule], Rule], notifier: Notifier):
        """`decorate(rule)` adds what this process knows of a stored rule (its validator)."""
        self._storage, self.external, self._decorate = storage, external, decorate
        self.notifier = notifier
        self.lock = threading.RLock()  # held by writers and refreshers, never by readers
        self.state = self.values = None
        # Set when the database's tables stopped matching ours: what was read since may be
        # wrong, so the next refresh or write loads everything again (reload()).
        self.schema_moved = False
        self._followers: list[Callable[[State], None]] = []
        self.page_rows = PAGE_ROWS  # changes read at once when catching up
        with storage.reading() as uow:
            self.swap(self._load(uow))

    def follow(self, take: Callable[[State], None]) -> None:
        """Call `take(state)` now and with every state swapped in (under `lock`), so a
        hot reader can keep what it needs one attribute away from itself."""
        self._followers.append(take)
        take(self.state)

    def swap(self, state: State) -> None:
        # Values first, the state last: whoever sees the new revision sees its values too.
        self.values = state.values
        for take in self._followers:
            take(state)
        self.state = state

    def rebuild(self, rules: dict[str, Rule] | None = None,
                touched: Iterable[str] | None = None) -> None:
        """Swap in the current state rebuilt with new `rules` (or new external layers)."""
        state = self.state
        self.swap(build(state.revision, rules or state.rules, state.persisted, state.meta,
                        self.external, previous=state if touched is not None else None,
                        touched=touched))

    def _load(self, uow: UnitOfWork) -> State:
        revision = uow.changes.head()
        rules = {rule.key: self._decorate(rule) for rule in uow.rules.all()}
        return build(revision, rules, uow.values.layers(), uow.changes.last_per_key(),
                     self.external)

    def advance(self, uow: UnitOfWork, state: State) -> tuple[State, list[Change]]:
        """The state after the next page of changes committed since `state` (a page is
        bounded in rows and bytes: db/protocols.py), and those changes."""
        changes = uow.changes.since(state.revision, self.page_rows)
        # A gap after `state` may be compacted changes (docs/architecture.md, "Change-log
        # retention"): then no step from `state` can be trusted, and the whole state loads
        # (at the head, so later pages are already in it; only this page is published).
        if (changes and changes[0].revision > state.revision + 1
                and uow.compactions.through() > state.revision):
            return self._load(uow), changes
        return self._advanced(uow, state, changes, uow.values.layers)

    def catch_up_in(self, uow: UnitOfWork) -> tuple[State, list[Change]]:
        """For a writer, under `lock`: every change committed since the current state, a
        page at a time; each page but the last is swapped in and published at once (so a
        long way behind is never held whole), the last is returned, with the state after
        it, for the writer to take with its own."""
        state, changes = self.advance(uow, self.state)
        while changes:
            following, more = self.advance(uow, state)
            if not more:
                break
            self.swap(state)
            self.notifier.publish(changes)
            state, changes = following, more
        return state, changes

    def advance_own(self, uow: UnitOfWork, state: State,
                    appended: int) -> tuple[State, list[Change]]:
        """The state after this transaction's own writes (those past the first `appended`
        changes), from what its repositories recorded instead of reading them back: under
        the database-wide write lock no other writer's change can be among them."""
        return self._advanced(uow, state, uow.changes.appended[appended:],
                              lambda keys: uow.values.written_layers(state.persisted, keys))

    def _advanced(self, uow: UnitOfWork, state: State, changes: list[Change],
                  layers_of: Callable[[set[str]], dict]) -> tuple[State, list[Change]]:
        if not changes:
            return state, []
        keys = {c.key for c in changes}
        rules = state.rules
        # A config migration may remove a key's rule (service/key_migrations.py): a rule
        # not found is gone.
        rule_keys = {c.key for c in changes if c.action in ("rule", "migrate")}
        if rule_keys:
            found = {r.key: self._decorate(r) for r in uow.rules.for_keys(rule_keys)}
            rules = {**{k: r for k, r in rules.items() if k not in rule_keys}, **found}
        layers = layers_of(keys)
        persisted = state.persisted.updated(layers, [key for key in keys if key not in layers])
        meta = state.meta.updated({c.key: KeyMeta(c.revision, c.timestamp, c.user)
                                   for c in changes})  # the last change of each key wins
        return build(changes[-1].revision, rules, persisted, meta, self.external,
                     previous=state, touched=keys), changes

    def reload(self) -> int:
        """Load the whole state again, under the lock, and swap it in: after the schema
        moved, no incremental step from the old state can be trusted. Subscribers hear of
        no change for it."""
        with self.lock:
            try:
                with self._storage.reading() as uow:
                    state = self._load(uow)
            except SchemaMoved:
                self.schema_moved = True
                raise
            self.swap(state)
            self.schema_moved = False
            return state.revision

    def refresh(self) -> int:
        """Catch up with writes from other processes now; returns the revision reached.

        The database is read without the lock, so this process's writers do not wait behind
        a refresh's round trips; the lock is taken only to swap the state in (and, if a
        write or another refresh moved it meanwhile, to read again from there)."""
        if self.schema_moved:
            return self.reload()
        try:
            return self._refresh()
        except SchemaMoved:
            self.schema_moved = True
            raise

    def _refresh(self) -> int:
        # A page at a time, each swapped in and published before the next is read.
        while self._refresh_page():
            pass
        return self.state.revision

    def _refresh_page(self) -> bool:
        """Swap in the next page of changes; False once there was none to read."""
        base = self.state
        with self._storage.reading() as uow:
            state, changes = self.advance(uow, base)
        if not changes:
            return False  # nothing committed after `base`; we hold at least it
        with self.lock:
            if self.state is not base:
                if self.state.revision >= state.revision:
                    return True  # a write or another refresh got as far: look past it
                with self._storage.reading() as uow:
                    state, changes = self.advance(uow, self.state)
            if changes:
                self.swap(state)
                self.notifier.publish(changes)
            return bool(changes)

    def catch_up_to(self, head: int) -> None:
        if head <= self.state.revision:
            return
        # Our own write may be what moved the head, committed but not yet swapped in: let
        # it finish instead of reading its rows back and building a second copy of the
        # state beside its own (docs/architecture.md, "How it works").
        with self.lock:
            pass
        if head > self.state.revision:
            self.refresh()
