"""Rollout health: the metric observations clients report, each put in its cohort by the
server, and the health rules judged over them (docs/targeting.md, "Gradual rollouts")."""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Mapping

from ..db.protocols import UnitOfWork
from ..domain.limits import UNIT_ID_MAX
from ..domain.rollouts import OPS, in_cohort
from ..errors import ValidationFailed
from .experiments import EVENTS_MAX, is_observation


def read_observations(found: Mapping[str, Any], share: float, exposures: Any,
                      metrics: Any) -> list[tuple[bool, str, float]]:
    """(new cohort?, metric, value) of each observation, the cohort computed here from the
    unit; ValidationFailed for a batch too large, an unknown metric or a value not finite.
    Exposures are accepted for the experiments' shape and not kept."""
    declared = sorted({rule["metric"] for rule in found["health"]})
    if not isinstance(exposures, list) or not isinstance(metrics, list) or \
            len(exposures) + len(metrics) > EVENTS_MAX:
        raise ValidationFailed({"events": [f"lists of at most {EVENTS_MAX} events in all"]})
    if not all(is_observation(m, declared) for m in metrics):
        raise ValidationFailed({"events": [
            f"metrics are {{unit, metric, value}} with a unit of 1 to {UNIT_ID_MAX} characters, "
            f"a metric of a health rule ({', '.join(declared) or 'none'}) and a finite number"]})
    layer = {"salt": found["salt"], "percent": share}
    return [(in_cohort(layer, m["unit"]), m["metric"], float(m["value"])) for m in metrics]


def judged(uow: UnitOfWork, found: Mapping[str, Any], now: datetime) -> list[dict[str, Any]]:
    """Each health rule with the new cohort's count and mean over its window, and whether it
    is `breached` (enough samples, and the mean fails `mean op threshold`)."""
    verdicts = []
    for rule in found["health"]:
        since = max(now - timedelta(seconds=rule["window_s"]), found["created_at"])
        count, mean = uow.rollouts.window(found["id"], rule["metric"], since)
        breached = (count >= rule["min_samples"] and mean is not None
                    and not OPS[rule["op"]](mean, float(rule["threshold"])))
        verdicts.append({**rule, "count": count, "mean": mean, "breached": breached})
    return verdicts


def describe(verdict: Mapping[str, Any]) -> str:
    return (f"health rule {verdict['metric']} {verdict['op']} {verdict['threshold']:g} "
            f"breached: mean {verdict['mean']:g} over {verdict['count']} samples "
            f"in {verdict['window_s']:g} s")
