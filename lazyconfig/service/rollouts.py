"""Rollout operations of the engine (a mixin of ConfigurationEngine): start a gradual
rollout of new values, move it step by step, pause, resume, abort, complete. Each value
change is a logged write through the pipeline that sets or removes the keys' `rollout`
layers, so every process evaluates the cohort locally (docs/targeting.md). A step change
is claimed by a conditional UPDATE of the rollout's row in the same transaction, so one
process makes it however many try."""
from __future__ import annotations

from datetime import datetime, timedelta
from functools import partial
from typing import Any, Mapping

from ..db.base import utcnow
from ..db.protocols import UnitOfWork
from ..domain.rollouts import ROLLOUT, read_definition
from ..domain.state import State
from ..domain.targeting import ATTRIBUTES
from ..errors import Conflict, RolloutNotFound
from . import planning
from .apply import apply
from .planning import REMOVE, LayerWrite
from .experiment_events import EventBuffer
from .rollout_driver import RolloutDriver, seconds_until
from .rollout_health import describe, judged, read_observations
from .validation import Check, checked

LIVE = ("running", "paused")


def checked_changes(state: State, definition: Mapping[str, Any],
                    check: Check = checked) -> list[LayerWrite]:
    """The new values as runtime writes, each checked by its key's rule (UnknownKey first)."""
    items = [(k, v, None) for k, v in sorted(definition["changes"].items())]
    return planning.checked_writes(state, items, "runtime", check)


def _layers(rollout_id: int, definition: Mapping[str, Any], step: int) -> list[LayerWrite]:
    percent = definition["steps"][step]["percent"]
    return [LayerWrite(key, ROLLOUT, {"id": rollout_id, "unit": definition["unit"],
                                      "salt": definition["salt"], "percent": percent,
                                      "value": value, "metrics": sorted(
                                          {r["metric"] for r in definition["health"]})})
            for key, value in sorted(definition["changes"].items())]


def _hold(definition: Mapping[str, Any], step: int, now: datetime) -> datetime:
    return now + timedelta(seconds=definition["steps"][step]["hold_s"])


def start(uow: UnitOfWork, state: State, *, definition: dict[str, Any], author,
          check: Check = checked) -> int:
    writes = checked_changes(state, definition, check)
    busy = sorted(w.key for w in writes if ROLLOUT in state.persisted.get(w.key, {}))
    if busy:
        other = state.persisted[busy[0]][ROLLOUT]["id"]
        raise Conflict(f"rollout {other} already changes {', '.join(busy)}; "
                       "let it end or abort it first")
    stored = {**definition, "changes": {w.key: w.value for w in writes}}
    now = utcnow()
    rollout_id = uow.rollouts.add(stored, now, _hold(stored, 0, now), author.user)
    apply(uow, state, _layers(rollout_id, stored, 0), "rollout", author,
          f"rollout {rollout_id} started: {stored['steps'][0]['percent']:g}%")
    return rollout_id


def existing(uow: UnitOfWork, rollout_id: int) -> dict[str, Any]:
    found = uow.rollouts.get(rollout_id)
    if found is None:
        raise RolloutNotFound(rollout_id)
    return found


def advance(uow: UnitOfWork, state: State, *, rollout_id: int, now: datetime | None,
            author) -> bool:
    """The next step (or completion) if the rollout runs and its step is due at `now`
    (None: now, whatever is due); False when another process claimed it first or it is not
    due. Completion makes the values the runtime values and removes the layers."""
    found = existing(uow, rollout_id)
    step, steps = found["step"], found["steps"]
    at = utcnow()
    if step + 1 < len(steps):
        if not uow.rollouts.claim(rollout_id, step, ("running",), now, step=step + 1,
                                  step_at=at, next_at=_hold(found, step + 1, at)):
            return False
        apply(uow, state, _layers(rollout_id, found, step + 1), "rollout", author,
              f"rollout {rollout_id}: step {step + 2} of {len(steps)}, "
              f"{steps[step + 1]['percent']:g}%")
        return True
    if not uow.rollouts.claim(rollout_id, step, ("running",), now, status="completed",
                              ended_at=at, next_at=None):
        return False
    writes = checked_changes(state, found) + _removals(state, found)
    apply(uow, state, writes, "rollout", author, f"rollout {rollout_id} completed")
    return True


def _removals(state: State, found: Mapping[str, Any]) -> list[LayerWrite]:
    return [LayerWrite(key, ROLLOUT, REMOVE) for key in sorted(found["changes"])
            if state.persisted.get(key, {}).get(ROLLOUT, {}).get("id") == found["id"]]


def end(uow: UnitOfWork, state: State, *, rollout_id: int, status: str, reason: str,
        author) -> bool:
    """Every cohort back on the old values at once: the layers removed in one logged write
    (action `rollback`), the rollout `status` with `reason`. False if it had ended."""
    found = existing(uow, rollout_id)
    if not uow.rollouts.claim(rollout_id, found["step"], LIVE, None, status=status,
                              ended_at=utcnow(), next_at=None, reason=reason):
        return False
    apply(uow, state, _removals(state, found), "rollback", author,
          f"rollout {rollout_id} rolled back: {reason}")
    return True


def percent(found: Mapping[str, Any]) -> float:
    """The share of units that have the new values now."""
    if found["status"] in LIVE:
        return found["steps"][found["step"]]["percent"]
    return 100.0 if found["status"] == "completed" else 0.0


class RolloutOperations:
    """What ConfigurationEngine does with gradual rollouts."""

    def start_rollout(self, spec: Any, *, user: str | None = None,
                      request_id: str | None = None) -> dict[str, Any]:
        """Start a rollout ({changes: {key: value}, steps: [{percent, hold_s}], unit?,
        health?, on_breach?}): one logged write (action `rollout`) putting a rollout layer on
        each key; Conflict when another live rollout changes one of the keys."""
        definition = read_definition(spec, ATTRIBUTES)
        done = self.pipeline.run(partial(start, definition=definition,
                                         author=self._author(user, None, request_id)),
                                 None, "rollout", partial(checked_changes, definition=definition))
        return self.get_rollout(done.result)

    def get_rollout(self, rollout_id: int) -> dict[str, Any]:
        """The rollout with its percent now and each health rule's count, mean, breached."""
        with self.storage.reading() as uow:
            found = existing(uow, rollout_id)
            health = judged(uow, found, utcnow())
        return {**found, "percent": percent(found), "health": health}

    def record_rollout_events(self, rollout_id: int, exposures: Any = None,
                              metrics: Any = None) -> dict[str, int]:
        """Record a batch of observations ({unit, metric, value}) of a live rollout, each in
        its unit's cohort, all or none; returns how many were kept in the new cohort."""
        with self.storage.writing() as uow:
            found = existing(uow, rollout_id)
            if found["status"] not in LIVE:
                raise Conflict(f"rollout {rollout_id} has ended ({found['status']})")
            observed = read_observations(found, percent(found), exposures or [], metrics or [])
            uow.rollouts.observe(rollout_id, observed, utcnow())
            uow.commit()
        return {"observations": len(observed), "new": sum(new for new, _, _ in observed)}

    def check_rollout_health(self, rollout_id: int) -> str | None:
        """Judge a running rollout's health rules; on a breach roll every cohort back (one
        logged write, action `rollback`) or pause, per its on_breach. The breach, or None."""
        with self.storage.reading() as uow:
            found = existing(uow, rollout_id)
            breached = [v for v in judged(uow, found, utcnow()) if v["breached"]]
        if found["status"] != "running" or not breached:
            return None
        reason = describe(breached[0])
        if found["on_breach"] == "pause":
            with self.storage.writing() as uow:
                uow.rollouts.claim(rollout_id, found["step"], ("running",), None,
                                   status="paused", next_at=None, reason=reason)
                uow.commit()
        else:
            self.pipeline.run(partial(end, rollout_id=rollout_id, status="rolled_back",
                                      reason=reason,
                                      author=self._author("rollout-driver", None, None)),
                              None, "rollback")
        return reason

    def rollout_page(self, limit: int, offset: int = 0) -> tuple[list[dict[str, Any]], int]:
        with self.storage.reading() as uow:
            items, total = uow.rollouts.page(limit, offset)
            now = utcnow()
            return [{**r, "percent": percent(r), "health": judged(uow, r, now)}
                    for r in items], total

    def advance_rollout(self, rollout_id: int, *, due_only: bool = True) -> bool:
        """Make the rollout's next step (or complete it) if it is due; True if this call did."""
        operation = partial(advance, rollout_id=rollout_id, now=utcnow() if due_only else None,
                            author=self._author("rollout-driver", None, None))
        return self.pipeline.run(operation, None, "rollout").result

    def pause_rollout(self, rollout_id: int) -> dict[str, Any]:
        """Stop a running rollout at its step (its cohort keeps the new values)."""
        return self._set_status(rollout_id, "running", status="paused", next_at=None)

    def resume_rollout(self, rollout_id: int) -> dict[str, Any]:
        """Go on from the paused step, which holds its full time again."""
        found = self.get_rollout(rollout_id)
        return self._set_status(rollout_id, "paused", status="running",
                                next_at=_hold(found, found["step"], utcnow()))

    def _set_status(self, rollout_id: int, was: str, **columns: Any) -> dict[str, Any]:
        with self.storage.writing() as uow:
            found = existing(uow, rollout_id)
            if not uow.rollouts.claim(rollout_id, found["step"], (was,), None, **columns):
                raise Conflict(f"rollout {rollout_id} is {found['status']}, not {was}")
            uow.commit()
        return self.get_rollout(rollout_id)

    def abort_rollout(self, rollout_id: int, *, user: str | None = None,
                      request_id: str | None = None) -> dict[str, Any]:
        """Roll every cohort back to the old values (one logged write, action `rollback`)."""
        done = self.pipeline.run(partial(end, rollout_id=rollout_id, status="aborted",
                                         reason=f"aborted by {user or 'an operator'}",
                                         author=self._author(user, None, request_id)),
                                 None, "rollback")
        if not done.result:
            raise Conflict(f"rollout {rollout_id} has already ended")
        return self.get_rollout(rollout_id)

    def _track_rollouts(self, metric: str, value: float) -> None:
        """Report an observation for every running rollout watching `metric` (the server
        puts this process in its cohort)."""
        for target in list(self.replica.state.targeting.values()):
            layer = target.rollout
            unit = self.context.get(layer["unit"]) if layer else None
            if unit is not None and metric in layer.get("metrics", ()):
                self.rollout_events.observation(layer["id"], str(unit), metric, value)

    @property
    def rollout_events(self) -> EventBuffer:
        """This process's buffered rollout health reports (sent as experiment events are)."""
        if "_rollout_events" not in self.__dict__:
            self._rollout_events = EventBuffer(lambda *b: self.record_rollout_events(*b))
            self._closers.insert(0, self._rollout_events.close)
        return self._rollout_events

    def drive_rollouts(self) -> float | None:
        """Make every due step of the running rollouts (those another process has not
        claimed first); the seconds until the next is due, or None when none runs."""
        with self.storage.reading() as uow:
            running = uow.rollouts.due()
        waits = []
        for rollout_id, next_at in running:
            if self.check_rollout_health(rollout_id) is not None:
                continue
            if next_at is not None and seconds_until(next_at) <= 0:
                self.advance_rollout(rollout_id)
                next_at = self.get_rollout(rollout_id)["next_at"]
            if next_at is not None:
                waits.append(seconds_until(next_at))
        return min(waits, default=None)

    def start_rollout_driver(self) -> bool:
        """Drive rollouts from this process too, unless LAZYCONFIG_ROLLOUT_POLL is 0."""
        if not self.settings.rollout_poll:
            return False
        if getattr(self, "_rollout_driver", None) is None:
            self._rollout_driver = RolloutDriver(self.drive_rollouts, self.settings.rollout_poll)
            self._rollout_driver.start()
            self._closers.insert(0, self._rollout_driver.stop)
        return True
