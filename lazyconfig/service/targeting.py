"""Targeting operations of the engine (a mixin of ConfigurationEngine): the process's own
context and its resolved values, answers for any context with what decided them, and the
writes of a key's targeting rules (docs/targeting.md)."""
from __future__ import annotations

from functools import partial
from typing import Any, Mapping

from ..db.protocols import UnitOfWork
from ..domain.state import State
from ..domain.targeting import TARGETING, Decision, read_context, read_rules, resolved
from . import planning
from .apply import apply
from .experiment_events import EventBuffer
from .planning import targeting_writes
from .validation import Check, checked


def write_targeting(uow: UnitOfWork, state: State, *, key: str, rules, author,
                    check: Check = checked) -> None:
    action = "untarget" if rules is None else "target"
    described = "targeting removed" if rules is None else f"targeting: {len(rules)} rule(s)"
    apply(uow, state, targeting_writes(state, key, rules, check), action, author, described)


class TargetingOperations:
    """What ConfigurationEngine does with contexts and targeting rules."""

    context: dict[str, Any] = {}

    def use_context(self, context: Mapping[str, Any] | None) -> None:
        """Say who this process is ({"client_id": ..., "cluster": ...}); `get` then answers
        for it, by local evaluation. InvalidDocument for a context that is not one."""
        self.context = read_context(context)
        with self.replica.lock:
            self._take_state(self.replica.state)

    def _take_state(self, state: State) -> None:
        # The hot path stays one dict read: targeted keys are resolved here, once a state.
        self._values = resolved(state.values, state.targeting, self.context, self._exposed)

    def _exposed(self, decision: Decision) -> None:
        """Report this process's exposure to an experiment once (off the read path)."""
        unit = str(self.context.get(decision.unit, ""))
        exposures = self.__dict__.setdefault("_exposures", {})
        if exposures.get(decision.experiment) != unit:
            exposures[decision.experiment] = unit
            self.events.exposure(decision.experiment, unit)

    @property
    def events(self) -> EventBuffer:
        """This process's buffered experiment events (experiment_events.py)."""
        if "_events" not in self.__dict__:
            self._events = EventBuffer(lambda *batch: self.record_events(*batch))
            self._closers.insert(0, self._events.close)  # before the database goes
        return self._events

    def track(self, metric: str, value: float) -> None:
        """Report an observation of `metric` for every experiment and rollout this process is in;
        buffered and sent in the background, never waiting for the database."""
        for experiment_id, unit in dict(self.__dict__.get("_exposures", {})).items():
            self.events.observation(experiment_id, unit, metric, value)
        self._track_rollouts(metric, value)

    def decide(self, key: str, context: Mapping[str, Any] | None = None) -> Decision:
        """What `key` is for `context` (default: this process's), and what decided it."""
        state = self.replica.state
        entry = planning.known(state.entries, key)
        context = self.context if context is None else read_context(context)
        target = state.targeting.get(key)
        found = target.decide(context) if target is not None and context else None
        return found or Decision(entry.value, entry.source)

    def get_targeting(self, key: str) -> list[dict[str, Any]]:
        """`key`'s targeting rules, in order ([] for none)."""
        planning.known(self.replica.state.rules, key)
        return list(self.replica.state.persisted.get(key, {}).get(TARGETING, []))

    def put_targeting(self, key: str, rules: Any, *, user: str | None = None,
                      description: str | None = None, request_id: str | None = None):
        """Replace `key`'s targeting rules (None or [] removes them): one logged write,
        action `target` (or `untarget`); ValidationFailed for a rule or value refused."""
        rules = None if rules is None else (read_rules(rules) or None)
        return self._write(partial(write_targeting, key=key, rules=rules,
                                   author=self._author(user, description, request_id)),
                           [key], "untarget" if rules is None else "target",
                           partial(targeting_writes, key=key, rules=rules))
