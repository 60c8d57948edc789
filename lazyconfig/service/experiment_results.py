"""An experiment's results from the sums SQL aggregated: per variant its exposures and, per
metric, the mean with a 95% confidence interval and the difference against control (the
first variant) with Welch's t-test p-value; and a sample-ratio-mismatch check, chi-square
of the exposures against the weights, flagged below p = 0.001 (docs/targeting.md)."""
from __future__ import annotations

import math
from typing import Any, Iterable

from scipy import stats

CONFIDENCE = 0.95
SRM_ALPHA = 0.001


def _finite(x: float) -> float | None:
    return x if x is not None and math.isfinite(x) else None


def summary(count: int, total: float, squares: float) -> dict[str, Any]:
    """Mean, standard deviation and confidence interval from count, sum, sum of squares."""
    mean = total / count
    var = max(squares - total * total / count, 0.0) / (count - 1) if count > 1 else math.nan
    sd = math.sqrt(var)
    half = stats.t.ppf(0.5 + CONFIDENCE / 2, count - 1) * sd / math.sqrt(count) if count > 1 \
        else math.nan
    return {"count": count, "mean": mean, "sd": _finite(sd), "ci_low": _finite(mean - half),
            "ci_high": _finite(mean + half)}


def against(variant: dict[str, Any], control: dict[str, Any]) -> dict[str, Any]:
    """The difference of means against control, and Welch's t-test p-value for it."""
    difference = variant["mean"] - control["mean"]
    if variant["sd"] is None or control["sd"] is None:
        return {"difference": difference, "p_value": None}
    test = stats.ttest_ind_from_stats(variant["mean"], variant["sd"], variant["count"],
                                      control["mean"], control["sd"], control["count"],
                                      equal_var=False)
    return {"difference": difference, "p_value": _finite(float(test.pvalue))}


def sample_ratio(observed: list[int], weights: list[float]) -> dict[str, Any]:
    """Chi-square of exposures against the weights; `mismatch` when p < 0.001."""
    total = sum(observed)
    kept = [(o, w) for o, w in zip(observed, weights) if w > 0]
    if total == 0 or len(kept) < 2:
        return {"p_value": None, "mismatch": False}
    weight = sum(w for _, w in kept)
    p = float(stats.chisquare([o for o, _ in kept],
                              [total * w / weight for _, w in kept]).pvalue)
    return {"p_value": p, "mismatch": p < SRM_ALPHA}


def results(experiment: dict[str, Any], exposures: dict[str, int],
            sums: Iterable[tuple[str, str, int, float, float]]) -> dict[str, Any]:
    names = [v["name"] for v in experiment["variants"]]
    metrics: dict[str, dict[str, dict[str, Any]]] = {}
    for variant, metric, count, total, squares in sums:
        metrics.setdefault(metric, {})[variant] = summary(count, float(total), float(squares))
    control = names[0]
    for by_variant in metrics.values():
        for name, found in by_variant.items():
            if name != control and control in by_variant:
                found.update(against(found, by_variant[control]))
    observed = [exposures.get(name, 0) for name in names]
    return {"experiment": experiment["id"], "key": experiment["key"],
            "status": experiment["status"], "control": control,
            "variants": [{"name": name, "exposures": exposures.get(name, 0),
                          "metrics": {m: v[name] for m, v in metrics.items() if name in v}}
                         for name in names],
            "sample_ratio": sample_ratio(observed, [v["weight"] for v in experiment["variants"]])}
