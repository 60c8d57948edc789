"""In-memory fakes of the storage protocols (lazyconfig/db/protocols.py), for service tests
that run in milliseconds. tests/contract/ runs the same checks against these and the real
repositories on both databases, so they cannot drift apart."""
from __future__ import annotations

import copy
import json
import time
from dataclasses import dataclass, field, replace
from typing import Any, Iterable

from lazyconfig.db.protocols import PAGE_BYTES, PAGE_ROWS
from lazyconfig.domain import Change, ConfigurationValidationRule
from lazyconfig.domain.model import Snapshot, SnapshotInfo
from lazyconfig.domain.past import KeyTrail
from lazyconfig.domain.state import KeyMeta
from lazyconfig.errors import ChangeLogCompacted


@dataclass
class Tables:
    rules: dict[str, dict[str, Any]] = field(default_factory=dict)
    values: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    changes: list[Change] = field(default_factory=list)
    snapshots: dict[int, Snapshot] = field(default_factory=dict)
    hosts: dict[str, tuple[float, bool]] = field(default_factory=dict)
    next_snapshot: int = 1
    checkpoint: dict[str, tuple[KeyMeta, Any]] = field(default_factory=dict)
    compactions: list[dict[str, Any]] = field(default_factory=list)
    head: int = 0  # the newest revision handed out; compaction never takes the newest row
    templates: dict[str, dict[str, Any]] = field(default_factory=dict)
    key_migrations: dict[str, dict[str, Any]] = field(default_factory=dict)
    tokens: dict[int, dict[str, Any]] = field(default_factory=dict)  # with its secret_hash
    revocations: list[tuple[int, str, Any]] = field(default_factory=list)
    audit: list[dict[str, Any]] = field(default_factory=list)


class FakeRules:
    def __init__(self, tables: Tables):
        self._t = tables

    def all(self) -> list[ConfigurationValidationRule]:
        return [ConfigurationValidationRule.from_record(r) for r in self._t.rules.values()]

    def for_keys(self, keys: Iterable[str]) -> list[ConfigurationValidationRule]:
        wanted = set(keys)
        return [rule for rule in self.all() if rule.key in wanted]

    def keys(self) -> set[str]:
        return set(self._t.rules)

    def put(self, record: dict[str, Any], at, user: str | None) -> None:
        self._t.rules[record["key"]] = copy.deepcopy(record)

    def delete(self, keys: Iterable[str]) -> None:
        for key in keys:
            self._t.rules.pop(key, None)
            for pair in [pair for pair in self._t.values if pair[0] == key]:
                del self._t.values[pair]  # the value rows' foreign key cascades


class FakeValues:
    def __init__(self, tables: Tables):
        self._t = tables

    def layers(self, keys: Iterable[str] | None = None) -> dict[str, dict[str, Any]]:
        wanted = None if keys is None else set(keys)
        found: dict[str, dict[str, Any]] = {}
        for (key, source), row in self._t.values.items():
            if wanted is None or key in wanted:
                found.setdefault(key, {})[source] = copy.deepcopy(row["value"])
        return found

    def written_layers(self, before, keys: Iterable[str]) -> dict[str, dict[str, Any]]:
        return self.layers(keys)

    def put_many(self, rows: list[dict[str, Any]]) -> None:
        for row in rows:
            self._t.values[(row["key"], row["source"])] = copy.deepcopy(row)

    def delete_many(self, pairs: Iterable[tuple[str, str]]) -> None:
        for pair in pairs:
            self._t.values.pop(pair, None)


def _weighed(page: list[Change], max_bytes: int) -> list[Change]:
    """The page up to the first change whose values (as JSON text) bring it to max_bytes."""
    kept, weight = [], 0
    for change in page:
        if weight >= max_bytes:
            break
        kept.append(change)
        weight += len(json.dumps(change.old_value)) + len(json.dumps(change.new_value))
    return kept


class FakeChanges:
    def __init__(self, tables: Tables):
        self._t = tables
        self.appended: list[Change] = []

    def append_many(self, rows: list[dict[str, Any]]) -> list[Change]:
        made = []
        for row in rows:
            self._t.head += 1
            made.append(Change(self._t.head, row["at"], row["key"],
                               copy.deepcopy(row["old_value"]), copy.deepcopy(row["new_value"]),
                               row["source"], row["action"], row["actor"], row["description"],
                               row["batch_id"], row["request_id"]))
            self._t.changes.append(made[-1])
        self.appended += made
        return made

    def head(self) -> int:
        return self._t.head

    def since(self, revision: int, limit: int = PAGE_ROWS,
              max_bytes: int = PAGE_BYTES) -> list[Change]:
        return self.latest(limit, since=revision, max_bytes=max_bytes)

    def latest(self, limit: int, since: int | None = None, key: str | None = None,
               max_bytes: int = PAGE_BYTES) -> list[Change]:
        if since is None:
            return list(reversed(self.newest_first(limit, key=key, max_bytes=max_bytes)))
        found = [c for c in self._t.changes if (key is None or c.key == key)
                 and c.revision > since]
        return _weighed(found[:limit], max_bytes)

    def newest_first(self, limit: int, offset: int = 0, key: str | None = None,
                     max_bytes: int = PAGE_BYTES) -> list[Change]:
        found = [c for c in reversed(self._t.changes) if key is None or c.key == key]
        return _weighed(found[offset:offset + limit], max_bytes)

    def count(self, key: str | None = None) -> int:
        return sum(1 for c in self._t.changes if key is None or c.key == key)

    def value_at(self, key: str, revision: int) -> tuple[bool, Any]:
        through = FakeCompactions(self._t).through()
        if revision < through:
            raise ChangeLogCompacted(revision, through)
        mine = [c for c in self._t.changes if c.key == key]
        upto = [c for c in mine if c.revision <= revision]
        if upto:
            return True, upto[-1].new_value
        if key in self._t.checkpoint:
            return True, self._t.checkpoint[key][1]
        after = [c for c in mine if c.revision > revision]
        return (True, after[0].old_value) if after else (False, None)

    def trails_at(self, revision: int) -> dict[str, KeyTrail]:
        """What db/repositories/past.py reads, replayed in Python."""
        through = FakeCompactions(self._t).through()
        if revision < through:
            raise ChangeLogCompacted(revision, through)
        trails = {}
        for key in self._t.rules:
            mine = [c for c in self._t.changes if c.key == key]
            upto = [c for c in mine if c.revision <= revision]
            after = [c for c in mine if c.revision > revision]
            if upto:
                c = upto[-1]
                trails[key] = KeyTrail(key, c.revision, c.new_value, c.timestamp, c.user, c.source)
            elif key in self._t.checkpoint:
                meta, value = self._t.checkpoint[key]
                trails[key] = KeyTrail(key, meta.version, value, meta.updated_at, meta.updated_by)
            else:
                trails[key] = KeyTrail(key, changed_later=bool(after),
                                       before=after[0].old_value if after else None)
        return trails

    def revision_at(self, at) -> int:
        return max((c.revision for c in self._t.changes if c.timestamp <= at), default=0)

    def last_per_key(self) -> dict[str, KeyMeta]:
        return {**{key: meta for key, (meta, _) in self._t.checkpoint.items()},
                **{c.key: KeyMeta(c.revision, c.timestamp, c.user) for c in self._t.changes}}


class FakeCompactions:
    def __init__(self, tables: Tables):
        self._t = tables

    def through(self) -> int:
        return self._t.compactions[-1]["through"] if self._t.compactions else 0

    def nth_after(self, revision: int, n: int) -> int | None:
        after = [c.revision for c in self._t.changes if c.revision > revision]
        return after[n - 1] if len(after) >= n else None

    def first_at_or_after(self, after: int, upto: int, cutoff) -> int | None:
        return next((c.revision for c in self._t.changes
                     if after < c.revision <= upto and c.timestamp >= cutoff), None)

    def compact(self, through: int, at, actor: str | None) -> int:
        gone = [c for c in self._t.changes if c.revision <= through]
        for c in gone:
            self._t.checkpoint[c.key] = (KeyMeta(c.revision, c.timestamp, c.user),
                                         copy.deepcopy(c.new_value))
        self._t.changes = [c for c in self._t.changes if c.revision > through]
        self._t.compactions.append({"at": at, "user": actor, "through": through,
                                    "removed": len(gone)})
        return len(gone)

    def checkpoint(self) -> dict[str, tuple[KeyMeta, Any]]:
        return copy.deepcopy(self._t.checkpoint)

    def records(self, limit: int = 20) -> list[dict[str, Any]]:
        return list(reversed(self._t.compactions))[:limit]


class FakeSnapshots:
    def __init__(self, tables: Tables):
        self._t = tables

    def add(self, *, description, tags, pinned, created_at, created_by, revision,
            data) -> SnapshotInfo:
        info = SnapshotInfo(self._t.next_snapshot, description, tuple(tags), created_at,
                            created_by, revision, len(data), pinned)
        self._t.snapshots[info.id] = Snapshot(info, copy.deepcopy(data))
        self._t.next_snapshot += 1
        return info

    def get(self, snapshot_id: int) -> Snapshot | None:
        found = self._t.snapshots.get(snapshot_id)
        return None if found is None else replace(found, data=copy.deepcopy(found.data))

    def exists(self, snapshot_id: int) -> bool:
        return snapshot_id in self._t.snapshots

    def page(self, limit: int, offset: int = 0) -> tuple[list[SnapshotInfo], int]:
        newest_first = [self._t.snapshots[i].info for i in sorted(self._t.snapshots, reverse=True)]
        return newest_first[offset:offset + limit], len(newest_first)

    def replace_data(self, snapshot_id: int, data) -> None:
        found = self._t.snapshots[snapshot_id]
        self._t.snapshots[snapshot_id] = replace(
            found, info=replace(found.info, key_count=len(data)), data=copy.deepcopy(data))

    def retention_listing(self):
        return [(s.info.id, s.info.pinned, s.info.created_at)
                for s in (self._t.snapshots[i] for i in sorted(self._t.snapshots, reverse=True))]

    def set_pinned(self, snapshot_id: int, pinned: bool):
        found = self._t.snapshots.get(snapshot_id)
        if found is None:
            return None
        self._t.snapshots[snapshot_id] = replace(found, info=replace(found.info, pinned=pinned))
        return self._t.snapshots[snapshot_id].info, found.info.pinned != pinned

    def delete_many(self, snapshot_ids: Iterable[int]) -> int:
        return sum(self._t.snapshots.pop(i, None) is not None for i in list(snapshot_ids))


class FakeTemplates:
    def __init__(self, tables: Tables):
        self._t = tables

    def all(self) -> list[dict[str, Any]]:
        return [copy.deepcopy(self._t.templates[name]) for name in sorted(self._t.templates)]

    def get(self, name: str) -> dict[str, Any] | None:
        return copy.deepcopy(self._t.templates.get(name))

    def put(self, record: dict[str, Any], at) -> None:
        created = self._t.templates.get(record["name"], {}).get("created_at", at)
        self._t.templates[record["name"]] = {**copy.deepcopy(record), "created_at": created,
                                             "updated_at": at}

    def delete(self, name: str) -> bool:
        return self._t.templates.pop(name, None) is not None


class FakeKeyMigrations:
    def __init__(self, tables: Tables):
        self._t = tables

    def applied(self) -> set[str]:
        return set(self._t.key_migrations)

    def record(self, step_id: str, description, at, user, revision: int) -> None:
        self._t.key_migrations[step_id] = {"description": description, "applied_at": at,
                                           "applied_by": user, "revision": revision}


class FakeHosts:
    def __init__(self, tables: Tables):
        self._t = tables

    def enlist(self, host_id: str, writes: bool) -> tuple[float, float | None]:
        now = time.time()
        seen, wrote = self._t.hosts.get(host_id, (None, False))
        self._t.hosts[host_id] = (now, wrote or writes)
        return now, seen if wrote else None

    def forget(self, seen_before: float) -> None:
        for host in [h for h, (seen, _) in self._t.hosts.items() if seen < seen_before]:
            del self._t.hosts[host]

    def newest_other(self, host_id: str) -> float | None:
        return max((seen for h, (seen, _) in self._t.hosts.items() if h != host_id), default=None)


TOKEN_FIELDS = ("id", "name", "role", "keys", "created_at", "created_by", "expires_at",
                "last_used_at", "revoked_at")


class FakeServiceTokens:
    def __init__(self, tables: Tables):
        self._t = tables

    def add(self, **fields) -> dict[str, Any]:
        token_id = max(self._t.tokens, default=0) + 1
        self._t.tokens[token_id] = {**fields, "id": token_id, "last_used_at": None,
                                    "revoked_at": None}
        return self._public(token_id)

    def _public(self, token_id: int) -> dict[str, Any]:
        return {name: self._t.tokens[token_id][name] for name in TOKEN_FIELDS}

    def find(self, token_id: int):
        if token_id not in self._t.tokens:
            return None
        return self._public(token_id), self._t.tokens[token_id]["secret_hash"]

    def page(self, limit: int, offset: int):
        ids = sorted(self._t.tokens)
        return [self._public(i) for i in ids[offset:offset + limit]], len(ids)

    def revoke(self, token_id: int, at) -> bool:
        row = self._t.tokens.get(token_id)
        if row is None or row["revoked_at"] is not None:
            return False
        row["revoked_at"] = at
        return True

    def touch(self, token_id: int, at, unless_since) -> None:
        row = self._t.tokens.get(token_id)
        if row is not None and (row["last_used_at"] is None or row["last_used_at"] < unless_since):
            row["last_used_at"] = at


class FakeRevocations:
    def __init__(self, tables: Tables):
        self._t = tables

    def add(self, token_id: str, at, by, expires_at) -> bool:
        if any(t == token_id for _, t, _ in self._t.revocations):
            return False
        self._t.revocations.append((self.head() + 1, token_id, expires_at))
        return True

    def head(self) -> int:
        return max((i for i, _, _ in self._t.revocations), default=0)

    def after(self, revision: int):
        return [row for row in self._t.revocations if row[0] > revision]

    def forget_expired(self, before) -> None:
        self._t.revocations = [r for r in self._t.revocations if r[2] is None or r[2] >= before]


class FakeAudit:
    def __init__(self, tables: Tables):
        self._t = tables

    def record(self, **event) -> None:
        self._t.audit.append({"id": len(self._t.audit) + 1, "detail": None, **event})

    def page(self, limit: int, offset: int):
        newest = list(reversed(self._t.audit))
        return newest[offset:offset + limit], len(newest)


class FakeUnitOfWork:
    """Works on a copy of the committed tables; commit() makes the copy the committed one."""

    def __init__(self, storage: "FakeStorage"):
        self._storage = storage

    def __enter__(self) -> "FakeUnitOfWork":
        self._tables = copy.deepcopy(self._storage.tables)
        self.rules, self.values = FakeRules(self._tables), FakeValues(self._tables)
        self.changes, self.snapshots = FakeChanges(self._tables), FakeSnapshots(self._tables)
        self.hosts, self.compactions = FakeHosts(self._tables), FakeCompactions(self._tables)
        self.templates = FakeTemplates(self._tables)
        self.key_migrations = FakeKeyMigrations(self._tables)
        self.tokens, self.audit = FakeServiceTokens(self._tables), FakeAudit(self._tables)
        self.revocations = FakeRevocations(self._tables)
        return self

    def __exit__(self, *exc_info) -> None:
        pass  # what was not committed is dropped with the copy

    def commit(self) -> None:
        self._storage.tables = self._tables
        self._storage.commits += 1
        self._tables = copy.deepcopy(self._tables)
        for repository in (self.rules, self.values, self.changes, self.snapshots, self.hosts,
                           self.compactions, self.templates, self.key_migrations, self.tokens,
                           self.revocations, self.audit):
            repository._t = self._tables


class FakeStorage:
    """In-memory storage with no `engine`: bootstrap wires it alone, with no coordination."""

    def __init__(self) -> None:
        self.tables = Tables()
        self.commits = 0

    def reading(self) -> FakeUnitOfWork:
        return FakeUnitOfWork(self)

    def writing(self) -> FakeUnitOfWork:
        return FakeUnitOfWork(self)
