"""Experiments: the checks of a definition, the bucket ranges of its variants, and which
variant a unit sees (docs/targeting.md, "Experiments").

Assignment is sticky because ranges only grow: each variant owns ranges of the 10,000
buckets of bucket(salt, unit), and a change of coverage or weights adds free buckets to a
variant, never takes any away; a change that would need to is refused. Experiments in one
layer own disjoint ranges of bucket("layer." + layer, unit), so they never share a unit.
"""
from __future__ import annotations

import math
import re
from typing import Any, Iterable, Mapping

from ..errors import Conflict, ValidationFailed
from .bucketing import BUCKETS, bucket

NAME = re.compile(r"[A-Za-z0-9_.\-]{1,64}")  # variant, salt and layer names: no ":"
VARIANTS_MAX = 20
Ranges = list[list[int]]  # [[start, end), ...], sorted and disjoint


def layer_salt(layer: str) -> str:
    return f"layer.{layer}"


def inside(ranges: Iterable[list[int]], point: int) -> bool:
    return any(start <= point < end for start, end in ranges)


def variant_of(experiment: Mapping[str, Any], unit: str) -> Mapping[str, Any] | None:
    """The variant `unit` sees, or None when it is outside the experiment's coverage."""
    layer = experiment.get("layer")
    if layer and not inside(experiment["slots"], bucket(layer_salt(layer), unit)):
        return None
    point = bucket(experiment["salt"], unit)
    return next((v for v in experiment["variants"] if inside(v["ranges"], point)), None)


def check_definition(variants: Any, coverage: Any, names: Iterable[str]) -> None:
    """ValidationFailed unless variants are 2 to 20 {name, value, weight} with distinct
    names and weights summing to 1, and 0 < coverage <= 1; `names` are the salt and layer."""
    problems: dict[str, list[str]] = {}
    if not isinstance(variants, list) or not 2 <= len(variants) <= VARIANTS_MAX or not all(
            isinstance(v, Mapping) for v in variants):
        raise ValidationFailed({"variants": [f"2 to {VARIANTS_MAX} variants, each "
                                             "{name, value, weight}"]})
    weights = [v.get("weight") for v in variants]
    if not all(isinstance(w, (int, float)) and not isinstance(w, bool) and math.isfinite(w)
               and w >= 0 for w in weights):
        problems["variants"] = ["each weight is a number from 0 to 1"]
    elif abs(sum(weights) - 1) > 1e-9:
        problems["variants"] = [f"the weights sum to {sum(weights):g}, not 1"]
    given = [v.get("name") for v in variants]
    if not all(isinstance(n, str) and NAME.fullmatch(n) for n in given) or len(set(given)) < len(given):
        problems.setdefault("variants", []).append(
            "variant names are distinct, 1 to 64 letters, digits, '_', '.' or '-'")
    if isinstance(coverage, bool) or not isinstance(coverage, (int, float)) or not 0 < coverage <= 1:
        problems["coverage"] = ["coverage is a number above 0, at most 1"]
    bad = [n for n in names if n is not None and not (isinstance(n, str) and NAME.fullmatch(n))]
    if bad:
        problems["salt"] = ["salt and layer are 1 to 64 letters, digits, '_', '.' or '-'"]
    if problems:
        raise ValidationFailed(problems)


def shares(total: int, weights: list[float]) -> list[int]:
    """`total` buckets split by `weights` (largest remainders), summing to `total` exactly."""
    exact = [total * w for w in weights]
    counts = [math.floor(x) for x in exact]
    order = sorted(range(len(weights)), key=lambda i: counts[i] - exact[i])
    for i in order[:total - sum(counts)]:
        counts[i] += 1
    return counts


def grow(owned: list[Ranges], targets: list[int], anchors: list[int],
         taken: Iterable[list[int]] = ()) -> list[Ranges]:
    """Each owner's ranges grown to its target count of buckets: first on from where its
    ranges end (or its anchor), then the lowest free buckets. Conflict when an owner holds
    more than its target (shrinking would move units), or too few buckets are free."""
    used = bytearray(BUCKETS)
    for start, end in [*taken, *(r for ranges in owned for r in ranges)]:
        used[start:end] = b"\x01" * (end - start)
    grown = []
    for ranges, target, anchor in zip(owned, targets, anchors):
        have = set(_points(ranges))
        if len(have) > target:
            raise Conflict("this change would take buckets from a variant, moving units "
                           "already exposed to it; raise coverage instead")
        point = ranges[-1][1] if ranges else anchor
        while len(have) < target and point < BUCKETS and not used[point]:
            used[point] = 1
            have.add(point)
            point += 1
        for point in range(BUCKETS):
            if len(have) >= target:
                break
            if not used[point]:
                used[point] = 1
                have.add(point)
        if len(have) < target:
            raise Conflict("not enough free buckets left in this layer for that coverage")
        grown.append(_ranges(sorted(have)))
    return grown


def _points(ranges: Ranges) -> Iterable[int]:
    for start, end in ranges:
        yield from range(start, end)


def _ranges(points: list[int]) -> Ranges:
    found: Ranges = []
    for point in points:
        if found and found[-1][1] == point:
            found[-1][1] = point + 1
        else:
            found.append([point, point + 1])
    return found


def allocate(variants: list[Mapping[str, Any]], coverage: float, layered: bool,
             owned: list[Ranges] | None = None) -> list[Ranges]:
    """The variants' bucket ranges for `coverage` (applied by the layer's slots instead
    when `layered`), grown from `owned`; each variant starts where the weights before it
    end, so its range grows in place as coverage rises (as GrowthBook's bucket ranges)."""
    weights = [v["weight"] for v in variants]
    total = BUCKETS if layered else round(BUCKETS * coverage)
    anchors = [math.floor(BUCKETS * sum(weights[:i])) for i in range(len(weights))]
    return grow(owned or [[] for _ in variants], shares(total, weights), anchors)


def allocate_slots(coverage: float, owned: Ranges, others: Iterable[list[int]]) -> Ranges:
    """An experiment's share of its layer: round(10,000 x coverage) buckets of the layer's
    hash, none of them another experiment's."""
    return grow([owned], [round(BUCKETS * coverage)], [0], list(others))[0]
