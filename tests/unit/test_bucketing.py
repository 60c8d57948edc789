"""Assignment over 1,000,000 client ids: the server's, the engine's and the client's
bucketing agree on every id, variants get their weights, raising coverage moves nobody
already exposed, and experiments of one layer share no unit (docs/targeting.md)."""
from __future__ import annotations

from collections import Counter

import pytest

from lazyconfig.client import bucketing as client_bucketing
from lazyconfig.domain import bucketing, experiments
from lazyconfig.domain.targeting import KeyTargeting
from lazyconfig.errors import Conflict, ValidationFailed

IDS = [f"loader-{n}" for n in range(1_000_000)]
BUCKETS = bucketing.BUCKETS


@pytest.fixture(scope="module")
def points():
    return [bucketing.bucket("exp-salt", unit) for unit in IDS]


def table(ranges_by_variant: list[list[list[int]]]) -> list[int | None]:
    """bucket -> index of the variant owning it (None: outside the experiment)."""
    owner: list[int | None] = [None] * BUCKETS
    for index, ranges in enumerate(ranges_by_variant):
        for start, end in ranges:
            owner[start:end] = [index] * (end - start)
    return owner


def test_the_server_and_the_client_run_one_implementation():
    # One function, not two copies held equal: the domain names the client's.
    assert bucketing.bucket is client_bucketing.bucket
    assert client_bucketing.BUCKETS == BUCKETS


def test_the_engine_decides_by_the_same_function():
    ranges = experiments.allocate([{"weight": 0.5}, {"weight": 0.5}], 1.0, False)
    experiment = {"id": 1, "salt": "exp-salt", "unit": "client_id", "audience": [],
                  "layer": None, "variants": [{"name": "a", "value": 1, "ranges": ranges[0]},
                                              {"name": "b", "value": 2, "ranges": ranges[1]}]}
    owner, target = table(ranges), KeyTargeting("k", (), experiment)
    for unit in IDS[:20_000]:
        decided = target.decide({"client_id": unit})
        assert decided.variant == "ab"[owner[client_bucketing.bucket("exp-salt", unit)]]


def test_each_variant_gets_its_weight_within_a_fifth_of_a_point(points):
    weights = [0.5, 0.3, 0.2]
    owner = table(experiments.allocate([{"weight": w} for w in weights], 1.0, False))
    counts = Counter(owner[p] for p in points)
    for index, weight in enumerate(weights):
        assert abs(counts[index] / len(IDS) - weight) <= 0.002


def test_raising_coverage_and_weights_moves_no_exposed_unit(points):
    variants = [{"weight": 0.5}, {"weight": 0.5}]
    first = experiments.allocate(variants, 0.10, False)
    before = table(first)
    wider = experiments.allocate([{"weight": 0.7}, {"weight": 0.3}], 0.50, False, first)
    after = table(wider)
    exposed = [p for p in points if before[p] is not None]
    assert abs(len(exposed) / len(IDS) - 0.10) <= 0.002
    assert all(after[p] == before[p] for p in exposed)
    assert abs(sum(after[p] is not None for p in points) / len(IDS) - 0.50) <= 0.002
    with pytest.raises(Conflict):  # 0.5 x 0.1 of the buckets is more than 0.1 x 0.1
        experiments.allocate([{"weight": 0.9}, {"weight": 0.1}], 0.10, False, first)


def test_experiments_in_one_layer_share_no_unit():
    layer = [bucketing.bucket(experiments.layer_salt("loaders"), unit) for unit in IDS]
    first = experiments.allocate_slots(0.4, [], [])
    second = experiments.allocate_slots(0.6, [], first)
    grown_first = experiments.allocate_slots(0.4, first, second)
    assert grown_first == first
    in_first = {n for n, p in enumerate(layer) if experiments.inside(first, p)}
    in_second = {n for n, p in enumerate(layer) if experiments.inside(second, p)}
    assert not in_first & in_second and len(in_first | in_second) == len(IDS)
    with pytest.raises(Conflict):
        experiments.allocate_slots(0.1, [], first + second)


@pytest.mark.parametrize("variants, coverage", [
    ([{"name": "a", "weight": 0.5}, {"name": "b", "weight": 0.6}], 1.0),
    ([{"name": "a", "weight": 0.5}, {"name": "a", "weight": 0.5}], 1.0),
    ([{"name": "a", "weight": 1.0}], 1.0),
    ([{"name": "a", "weight": 0.5}, {"name": "b", "weight": 0.5}], 0),
    ([{"name": "a", "weight": True}, {"name": "b", "weight": 0.5}], 1.0),
])
def test_definitions_that_do_not_add_up_are_refused(variants, coverage):
    with pytest.raises(ValidationFailed):
        experiments.check_definition(variants, coverage, ["salt"])
