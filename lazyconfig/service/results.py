"""What the engine's operations return: typed, immutable results.

The spec promises dicts for reset, rollback and import, so these results are also read-only
mappings of their fields (`result["diff"]`); `set`/`update` keep their spec types.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
import logging
from typing import Any, Callable, Iterable, Iterator

from ..domain import Change, ConfigEntry
from ..errors import UnknownKey, ValidationFailed

log = logging.getLogger("lazyconfig.service.engine")


class _Fields(Mapping):
    """A dataclass readable as a mapping of its fields."""

    def __getitem__(self, name: str) -> Any:
        if name not in self._names():
            raise KeyError(name)
        return getattr(self, name)

    def __iter__(self) -> Iterator[str]:
        return iter(self._names())

    def __len__(self) -> int:
        return len(self._names())

    def _names(self) -> tuple[str, ...]:
        return tuple(f.name for f in fields(self))


class _SafetySnapshot:
    """Every write that takes a snapshot first names it `safety_snapshot_id` (None when it
    took none), whatever other name its result used before."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "safety_snapshot_id", self.snapshot_id)


@dataclass(frozen=True, eq=False)
class ResetResult(_SafetySnapshot, _Fields):
    reset: list[str]  # keys whose runtime override was removed
    snapshot_id: int  # the safety snapshot taken first
    changes: list[Change]
    revision: int  # the revision the configuration is at after the reset
    safety_snapshot_id: int = field(init=False)  # = snapshot_id


@dataclass(frozen=True, eq=False)
class RollbackResult(_Fields):
    snapshot_id: int  # the snapshot restored
    dry_run: bool
    diff: list[dict[str, Any]]
    safety_snapshot_id: int | None
    changes: list[Change]
    revision: int


@dataclass(frozen=True, eq=False)
class ImportResult(_SafetySnapshot, _Fields):
    dry_run: bool
    diff: list[dict[str, Any]]
    snapshot_id: int | None  # the safety snapshot taken first; None if nothing changed
    changes: list[Change]
    revision: int
    safety_snapshot_id: int | None = field(init=False)  # = snapshot_id


class WriteResult(list):
    """The changes a write made, in order (a list of Change), with the revision it left and
    the entries of the keys it wrote as that write left them: the answer to a write
    describes that write, not a later one that shared its transaction. `snapshot_id` (also
    `safety_snapshot_id`) is the snapshot a batch took first, or None."""

    def __init__(self, changes: list[Change], revision: int,
                 entries: dict[str, ConfigEntry], snapshot_id: int | None = None):
        super().__init__(changes)
        self.revision = revision
        self.entries = entries
        self.snapshot_id = self.safety_snapshot_id = snapshot_id


class UpdateResult(dict):
    """{key: applied}. All values are True or all False (updates are atomic); `errors` holds
    the messages for the keys that were refused."""

    def __init__(self, results: Mapping[str, bool], errors: dict[str, list[str]] | None = None):
        super().__init__(results)
        self.errors = errors or {}

    @classmethod
    def of(cls, write: Callable[[], object], keys: Iterable[str]) -> "UpdateResult":
        """What `write()` did to `keys`, with its refusals as errors instead of raised."""
        try:
            write()
        except ValidationFailed as exc:
            return cls({key: False for key in keys}, exc.errors)
        except UnknownKey as exc:
            return cls({key: False for key in keys},
                       {exc.key: [f"unknown configuration key: {exc.key!r}"]})
        return cls({key: True for key in keys})


def applied(write: Callable[[], object], key: str, strict: bool) -> bool:
    """Whether `write()` (of `key`) was applied; a refusal is logged, or raised if strict."""
    try:
        write()
    except (UnknownKey, ValidationFailed) as exc:
        if strict:
            raise
        log.warning("set %s refused: %s", key, exc.message)
        return False
    return True


@dataclass(frozen=True)
class Done:
    """A write's outcome from the pipeline: what its operation returned, the changes it made
    and the state it left (later writes of its transaction excluded)."""

    result: Any
    changes: list[Change] = field(default_factory=list)
    state: Any = None

    @property
    def revision(self) -> int:
        return self.state.revision
