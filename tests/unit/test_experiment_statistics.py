"""Results on simulated clients: a true difference is found, no difference rarely is, and a
skewed split is flagged as a sample-ratio mismatch (service/experiment_results.py).

The documented sample size: 800 clients per variant detect a difference of 0.2 standard
deviations (100 against 102, sd 10) with a power of about 98%."""
from __future__ import annotations

import numpy as np

from lazyconfig.service.experiment_results import results, sample_ratio

EXPERIMENT = {"id": 1, "key": "k", "status": "running",
              "variants": [{"name": "control", "weight": 0.5}, {"name": "new", "weight": 0.5}]}
PER_VARIANT = 800


def p_value(seed: int, shift: float) -> float:
    """Welch's p-value of one simulated experiment, from the sums SQL would return."""
    rng = np.random.default_rng(seed)
    sums = []
    for name, mean in (("control", 100.0), ("new", 100.0 + shift)):
        values = rng.normal(mean, 10.0, PER_VARIANT)
        sums.append((name, "load_ms", PER_VARIANT, float(values.sum()),
                     float((values * values).sum())))
    found = results(EXPERIMENT, {"control": PER_VARIANT, "new": PER_VARIANT}, sums)
    return found["variants"][1]["metrics"]["load_ms"]["p_value"]


def test_a_true_difference_is_detected_in_at_least_90_of_100_runs():
    assert sum(p_value(seed, 2.0) < 0.05 for seed in range(100)) >= 90


def test_no_difference_gives_few_false_positives():
    # About 5 of 100 expected at alpha 0.05; 10 is the tolerance for one seeded sample.
    assert sum(p_value(1000 + seed, 0.0) < 0.05 for seed in range(100)) <= 10


def test_a_48_52_split_over_100000_exposures_is_a_sample_ratio_mismatch():
    assert sample_ratio([48_000, 52_000], [0.5, 0.5])["mismatch"]
    assert not sample_ratio([50_100, 49_900], [0.5, 0.5])["mismatch"]


def test_means_and_intervals_come_from_the_sums():
    found = results(EXPERIMENT, {"control": 3}, [("control", "m", 3, 6.0, 14.0)])
    control = found["variants"][0]
    assert control["exposures"] == 3 and control["metrics"]["m"]["mean"] == 2.0
    low, high = control["metrics"]["m"]["ci_low"], control["metrics"]["m"]["ci_high"]
    assert low < 2.0 < high and abs((high - low) / 2 - 2.484) < 0.01  # t(0.975, 2) x 1/sqrt(3)
    assert found["variants"][1] == {"name": "new", "exposures": 0, "metrics": {}}
