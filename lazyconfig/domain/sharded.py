"""ShardedMap: an immutable mapping whose next version shares most of its memory.

Each write makes the engine's next State. With plain dicts that meant copying, and later
freeing, every per-key dict, in the writer and again in every other worker's refresh: a
cost that grew with the number of keys (bench/HISTORY.md). A ShardedMap keeps its items in SHARDS small dicts chosen by
the key's hash, and `updated()` copies only the shards of the keys it changes. Reads pay a
hash (cached on a str) and a list index; the hottest read, the effective value, stays a
plain dict (see state.py).
"""
from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from itertools import chain
from typing import Any

SHARDS = 64
_MASK = SHARDS - 1


class ShardedMap(Mapping):
    __slots__ = ("_shards", "_size")

    def __init__(self, items: Mapping[str, Any] | None = None):
        shards: list[dict[str, Any]] = [{} for _ in range(SHARDS)]
        for key, value in (items or {}).items():
            shards[hash(key) & _MASK][key] = value
        self._shards, self._size = shards, sum(map(len, shards))

    def __getitem__(self, key: str) -> Any:
        return self._shards[hash(key) & _MASK][key]

    def get(self, key: str, default: Any = None) -> Any:
        return self._shards[hash(key) & _MASK].get(key, default)

    def __contains__(self, key: object) -> bool:
        return key in self._shards[hash(key) & _MASK]

    def __iter__(self) -> Iterator[str]:
        return chain.from_iterable(self._shards)

    def __len__(self) -> int:
        return self._size

    def __repr__(self) -> str:
        return f"ShardedMap({self.to_dict()!r})"

    @property
    def shards(self) -> tuple[dict[str, Any], ...]:
        """The shards themselves: consecutive maps share every shard a change left alone."""
        return tuple(self._shards)

    def to_dict(self) -> dict[str, Any]:
        return {key: value for shard in self._shards for key, value in shard.items()}

    def updated(self, changed: Mapping[str, Any], removed: Iterable[str] = ()) -> ShardedMap:
        """A new map with `changed` set and `removed` gone; this one is left as it was."""
        shards = list(self._shards)
        copied: set[int] = set()
        size = self._size

        def shard_of(key: str) -> dict[str, Any]:
            index = hash(key) & _MASK
            if index not in copied:
                shards[index] = dict(shards[index])
                copied.add(index)
            return shards[index]

        for key, value in changed.items():
            shard = shard_of(key)
            size += key not in shard
            shard[key] = value
        for key in removed:
            shard = shard_of(key)
            if key in shard:
                del shard[key]
                size -= 1
        new = ShardedMap.__new__(ShardedMap)
        new._shards, new._size = shards, size
        return new
