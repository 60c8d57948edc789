"""ShardedMap: a mapping like a dict, whose updated() leaves the original untouched and
shares the shards it did not change."""
from __future__ import annotations

import pytest

from lazyconfig.domain.sharded import SHARDS, ShardedMap

ITEMS = {f"key_{n}": n for n in range(1000)}


def test_reads_like_the_dict_it_was_made_from():
    found = ShardedMap(ITEMS)
    assert len(found) == len(ITEMS) and found == ITEMS and found.to_dict() == ITEMS
    assert sorted(found) == sorted(ITEMS)
    assert found["key_7"] == 7 and found.get("key_7") == 7
    assert found.get("missing") is None and found.get("missing", 3) == 3
    assert "key_999" in found and "missing" not in found
    with pytest.raises(KeyError):
        found["missing"]
    assert ShardedMap() == {} and len(ShardedMap()) == 0


def test_updated_sets_adds_and_removes_without_touching_the_original():
    before = ShardedMap(ITEMS)
    after = before.updated({"key_1": -1, "new": "n"}, removed=["key_2", "never_there"])
    assert before == ITEMS  # unchanged
    expected = {**ITEMS, "key_1": -1, "new": "n"}
    del expected["key_2"]
    assert after == expected and len(after) == len(expected)
    assert after.to_dict() == expected


def test_updated_copies_only_the_shards_it_changes():
    before = ShardedMap(ITEMS)
    after = before.updated({"key_1": -1})
    shared = sum(a is b for a, b in zip(before.shards, after.shards))
    assert shared == SHARDS - 1
