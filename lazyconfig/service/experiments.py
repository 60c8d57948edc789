"""Experiment operations of the engine (a mixin of ConfigurationEngine): start one on a
key, record the events clients report, read results, conclude. Starting and concluding are
logged writes through the pipeline; the running experiment is the key's `experiment`
layer, so every process evaluates it locally (docs/targeting.md)."""
from __future__ import annotations

import math
import secrets
from functools import partial
from typing import Any, Mapping

from ..db.base import utcnow
from ..db.protocols import UnitOfWork
from ..domain.experiments import allocate, allocate_slots, check_definition, variant_of
from ..domain.limits import LABEL_MAX, UNIT_ID_MAX
from ..domain.state import State
from ..domain.targeting import ATTRIBUTES, EXPERIMENT, read_conditions
from ..errors import Conflict, ExperimentNotFound, ValidationFailed
from . import planning
from .apply import apply
from .experiment_results import results
from .planning import REMOVE, LayerWrite
from .validation import Check, checked

EVENTS_MAX = 10_000  # exposures and observations in one batch
METRICS_MAX = 20


def read_definition(spec: Mapping[str, Any]) -> dict[str, Any]:
    """An experiment's definition checked for shape (its values are checked by the key's
    rule in the write): ValidationFailed naming each problem."""
    variants, coverage = spec.get("variants"), spec.get("coverage", 1.0)
    salt = spec.get("salt") or f"exp-{secrets.token_hex(6)}"
    check_definition(variants, coverage, [salt, spec.get("layer")])
    if spec.get("unit", "client_id") not in ATTRIBUTES:
        raise ValidationFailed({"unit": [f"the unit is one of {', '.join(ATTRIBUTES)}"]})
    metrics = spec.get("metrics") or []
    if not isinstance(metrics, list) or len(metrics) > METRICS_MAX or not all(
            isinstance(m, str) and 0 < len(m) <= LABEL_MAX for m in metrics):
        raise ValidationFailed({"metrics": [f"up to {METRICS_MAX} metric names"]})
    return {"unit": spec.get("unit", "client_id"), "salt": salt, "layer": spec.get("layer"),
            "coverage": coverage, "metrics": metrics,
            "audience": read_conditions(spec.get("audience"), "audience"),
            "variants": [{"name": v["name"], "value": v.get("value"), "weight": v["weight"]}
                         for v in variants]}


def running(state: State) -> dict[str, Mapping[str, Any]]:
    """The running experiments, by key."""
    return {key: layers[EXPERIMENT] for key, layers in state.persisted.items()
            if EXPERIMENT in layers}


def checked_variants(state: State, key: str, definition: dict[str, Any],
                     check: Check = checked) -> list[dict[str, Any]]:
    return planning.checked_items(state, key, definition["variants"], "variants", check)


def start(uow: UnitOfWork, state: State, *, key: str, definition: dict[str, Any], author,
          check: Check = checked) -> int:
    variants = checked_variants(state, key, definition, check)
    active = running(state)
    if key in active:
        raise Conflict(f"experiment {active[key]['id']} already runs on {key}; conclude it first")
    layer = definition["layer"]
    ranges = allocate(variants, definition["coverage"], bool(layer))
    taken = [r for e in active.values() if layer and e.get("layer") == layer for r in e["slots"]]
    slots = allocate_slots(definition["coverage"], [], taken) if layer else []
    stored = {**definition, "slots": slots,
              "variants": [{**v, "ranges": r} for v, r in zip(variants, ranges)]}
    experiment_id = uow.experiments.add(key, stored, utcnow(), author.user)
    apply(uow, state, [LayerWrite(key, EXPERIMENT, {"id": experiment_id, **stored})],
          "experiment", author, f"experiment {experiment_id} started")
    return experiment_id


def change(uow: UnitOfWork, state: State, *, experiment_id: int, coverage: Any, weights: Any,
           author) -> dict[str, Any]:
    """New coverage or weights, by growing ranges only: no exposed unit changes variant
    (Conflict when that would need it). One logged write, action `experiment`."""
    found = existing(uow, experiment_id, runs=True)
    coverage = found["coverage"] if coverage is None else coverage
    weights = {} if weights is None else weights
    if not isinstance(weights, Mapping) or set(weights) - {v["name"] for v in found["variants"]}:
        raise ValidationFailed({"weights": ["an object of variant name to weight"]})
    variants = [{**v, "weight": weights.get(v["name"], v["weight"])} for v in found["variants"]]
    check_definition(variants, coverage, [])
    layer = found["layer"]
    ranges = allocate(variants, coverage, bool(layer), [v["ranges"] for v in variants])
    others = [r for key, e in running(state).items() if layer and key != found["key"]
              and e.get("layer") == layer for r in e["slots"]]
    stored = {name: found[name] for name in ("unit", "salt", "layer", "metrics", "audience")}
    stored.update(coverage=coverage, slots=allocate_slots(coverage, found["slots"], others)
                  if layer else [], variants=[{**v, "ranges": r} for v, r in zip(variants, ranges)])
    uow.experiments.update(experiment_id, definition=stored)
    apply(uow, state, [LayerWrite(found["key"], EXPERIMENT, {"id": experiment_id, **stored})],
          "experiment", author, f"experiment {experiment_id} changed")
    return existing(uow, experiment_id)


def existing(uow: UnitOfWork, experiment_id: int, runs: bool = False) -> dict[str, Any]:
    found = uow.experiments.get(experiment_id)
    if found is None:
        raise ExperimentNotFound(experiment_id)
    if runs and found["status"] != "running":
        raise Conflict(f"experiment {experiment_id} has ended ({found['status']})")
    return found


def conclude(uow: UnitOfWork, state: State, *, experiment_id: int, winner: str, author,
             check: Check = checked) -> dict[str, Any]:
    """The winner's value becomes the key's runtime value and the experiment ends, in one
    logged write (action `conclude`)."""
    found = existing(uow, experiment_id, runs=True)
    chosen = [v for v in found["variants"] if v["name"] == winner]
    if not chosen:
        raise ValidationFailed({"winner": [f"{winner!r} is not a variant of this experiment"]})
    key = found["key"]
    writes = planning.checked_writes(state, [(key, chosen[0]["value"], None)], "runtime", check)
    if EXPERIMENT in state.persisted.get(key, {}):
        writes.append(LayerWrite(key, EXPERIMENT, REMOVE))
    apply(uow, state, writes, "conclude", author, f"experiment {experiment_id}: {winner} won")
    uow.experiments.update(experiment_id, status="concluded", ended_at=utcnow(), winner=winner)
    return existing(uow, experiment_id)


def read_events(found: Mapping[str, Any], exposures: Any, metrics: Any) -> tuple[list, list]:
    """(unit, variant) exposures and (variant, metric, value) observations, each unit's
    variant computed here; units outside the experiment are left out. ValidationFailed for
    a batch too large, a unit that is not text, an undeclared metric, a value not finite."""
    if not isinstance(exposures, list) or not isinstance(metrics, list) or \
            len(exposures) + len(metrics) > EVENTS_MAX:
        raise ValidationFailed({"events": [f"lists of at most {EVENTS_MAX} events in all"]})
    units = [u for u in exposures if isinstance(u, str) and 0 < len(u) <= UNIT_ID_MAX]
    bad = [m for m in metrics if not is_observation(m, found["metrics"])]
    if len(units) < len(exposures) or bad:
        raise ValidationFailed({"events": [
            f"units are texts of 1 to {UNIT_ID_MAX} characters; metrics are "
            f"{{unit, metric, value}} with a declared metric ({', '.join(found['metrics'])}) "
            "and a finite number"]})
    seen = [(u, v["name"]) for u in units if (v := variant_of(found, u)) is not None]
    observed = [(v["name"], m["metric"], float(m["value"])) for m in metrics
                if (v := variant_of(found, m["unit"])) is not None]
    return seen, observed


def is_observation(item: Any, declared: list[str]) -> bool:
    """Whether `item` is {unit, metric, value}: a unit id, a declared metric, a finite number."""
    return (isinstance(item, Mapping) and isinstance(item.get("unit"), str)
            and 0 < len(item["unit"]) <= UNIT_ID_MAX and item.get("metric") in declared
            and isinstance(item.get("value"), (int, float))
            and not isinstance(item.get("value"), bool) and math.isfinite(item["value"]))


class ExperimentOperations:
    """What ConfigurationEngine does with experiments."""

    def start_experiment(self, key: str, spec: Mapping[str, Any], *, user: str | None = None,
                         request_id: str | None = None) -> dict[str, Any]:
        """Start an experiment on `key` ({variants: [{name, value, weight}], unit?, salt?,
        layer?, audience?, coverage?, metrics?}); one logged write (action `experiment`)."""
        if not isinstance(spec, Mapping):
            raise ValidationFailed({"experiment": ["an experiment is an object"]})
        definition = read_definition(spec)
        done = self.pipeline.run(partial(start, key=key, definition=definition,
                                         author=self._author(user, None, request_id)),
                                 None, "experiment",
                                 partial(checked_variants, key=key, definition=definition))
        return self.get_experiment(done.result)

    def change_experiment(self, experiment_id: int, *, coverage: Any = None, weights: Any = None,
                          user: str | None = None, request_id: str | None = None
                          ) -> dict[str, Any]:
        """Raise coverage or change weights ({variant: weight}); Conflict if that would
        move a unit from its variant."""
        return self.pipeline.run(partial(change, experiment_id=experiment_id, coverage=coverage,
                                         weights=weights,
                                         author=self._author(user, None, request_id)),
                                 None, "experiment").result

    def get_experiment(self, experiment_id: int) -> dict[str, Any]:
        with self.storage.reading() as uow:
            return existing(uow, experiment_id)

    def experiment_page(self, limit: int, offset: int = 0) -> tuple[list[dict[str, Any]], int]:
        with self.storage.reading() as uow:
            return uow.experiments.page(limit, offset)

    def record_events(self, experiment_id: int, exposures: Any = None, metrics: Any = None
                      ) -> dict[str, int]:
        """Record a batch of exposures (units) and observations ({unit, metric, value}) of
        a running experiment, all or none; returns how many of each were kept."""
        with self.storage.writing() as uow:
            found = existing(uow, experiment_id, runs=True)
            seen, observed = read_events(found, [] if exposures is None else exposures,
                                         [] if metrics is None else metrics)
            at = utcnow()
            uow.experiments.expose(experiment_id, seen, at)
            uow.experiments.observe(experiment_id, observed, at)
            uow.commit()
        return {"exposures": len(seen), "observations": len(observed)}

    def experiment_results(self, experiment_id: int) -> dict[str, Any]:
        with self.storage.reading() as uow:
            found = existing(uow, experiment_id)
            return results(found, uow.experiments.exposures(experiment_id),
                           uow.experiments.sums(experiment_id))

    def conclude_experiment(self, experiment_id: int, winner: str, *, user: str | None = None,
                            request_id: str | None = None) -> dict[str, Any]:
        """The winner's value becomes the runtime value; the experiment ends."""
        return self.pipeline.run(partial(conclude, experiment_id=experiment_id, winner=winner,
                                         author=self._author(user, None, request_id)),
                                 None, "conclude").result
