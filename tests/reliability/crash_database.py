"""The database the crash trials run on: 1,000 keys (the 25 built-ins and 975 defined here),
two whole states of them with a pinned snapshot each, and the inspection after each kill.
"""
from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from lazyconfig.db.models import ChangeRow, SnapshotRow
from lazyconfig.domain import BUILTIN_RULES, ConfigurationValidationRule, ValueType
from lazyconfig import ConfigurationEngine, bootstrap
from lazyconfig.settings import Settings

from . import crash_child
from .crash_checks import Batch, ChangeLogReplay, LoggedChange, sqlite_integrity_problems
from .crash_checks import which_state

KEY_COUNT = 1000
OPERATIONS = ("update", "import", "rollback")
SESSION_END_TIMEOUT = 10.0


def other_value(rule: ConfigurationValidationRule) -> Any:
    """A valid value of `rule` other than its default."""
    default = rule.default_value
    candidates = {ValueType.BOOL: lambda: [not default],
                  ValueType.ENUM: lambda: [c for c in rule.choices if c != default],
                  ValueType.FLOAT: lambda: [default / 2, default + 0.25],
                  ValueType.INT: lambda: [default + 1, default - 1]}.get(
        rule.value_type, lambda: [f"{default}-b"])()
    valid = [c for c in candidates if c != default and not rule.check(c)[1]]
    assert valid, f"no second valid value found for {rule.key}"
    return valid[0]


def custom_rules(count: int) -> list[ConfigurationValidationRule]:
    return [ConfigurationValidationRule(f"crash_key_{n:04d}", default_value=0,
                                        value_type=ValueType.INT,
                                        description="a key of the crash harness")
            for n in range(count)]


def two_states(rules: list[ConfigurationValidationRule]) -> dict[str, dict[str, Any]]:
    """States "a" and "b": every key has a different value in each."""
    a, b = {}, {}
    for n, rule in enumerate(sorted(rules, key=lambda r: r.key)):
        if rule.origin == "builtin":
            a[rule.key], b[rule.key] = rule.default_value, other_value(rule)
        else:
            a[rule.key], b[rule.key] = n + 1, -(n + 1)
    return {"a": a, "b": b}


def start_of_log() -> ChangeLogReplay:
    """The replay before the first change: only the built-in keys exist, at their defaults."""
    return ChangeLogReplay({rule.key: rule.default_value for rule in BUILTIN_RULES})


def wait_until(condition: Callable[[], bool], timeout: float, what: str,
               interval: float = 0.002) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)


@dataclass
class CrashDatabase:
    url: str
    workdir: Path
    states: dict[str, dict[str, Any]]
    snapshots: dict[str, int]  # a pinned snapshot of each state
    seconds: dict[str, float]  # one operation's time, measured in setup
    replay: ChangeLogReplay  # the log as checked so far
    current: str = "a"  # the state the last inspection found

    def __post_init__(self) -> None:
        self.raw = create_engine(self.url, poolclass=NullPool)  # holds no connection between uses

    @property
    def backend(self) -> str:
        return self.raw.dialect.name

    def env(self, application: str | None = None) -> dict[str, str]:
        """An engine's environment; on PostgreSQL its sessions carry `application`'s name."""
        url = make_url(self.url)
        if application and self.backend == "postgresql":
            url = url.update_query_dict({"application_name": application})
        return {"LAZYCONFIG_DATABASE_URL": url.render_as_string(hide_password=False),
                "LAZYCONFIG_INSTANCE_PATH": str(self.workdir / "instance")}

    def open_engine(self) -> ConfigurationEngine:
        env = self.env()
        return bootstrap(Settings.from_env(env), env=env, watch=False)

    def close(self) -> None:
        self.raw.dispose()

    def changes_after(self, revision: int) -> list[LoggedChange]:
        table = ChangeRow.__table__
        stmt = (select(table.c.id, table.c.key, table.c.old_value, table.c.new_value,
                       table.c.action, table.c.batch_id)
                .where(table.c.id > revision).order_by(table.c.id))
        with self.raw.connect() as conn:
            return [LoggedChange(*row) for row in conn.execute(stmt)]

    def changes_up_to(self, revision: int) -> int:
        table = ChangeRow.__table__
        stmt = select(func.count()).select_from(table).where(table.c.id <= revision)
        with self.raw.connect() as conn:
            return conn.scalar(stmt)

    def wait_for_sessions_to_end(self, application: str) -> None:
        """PostgreSQL: wait until the server has ended a killed child's sessions, and with
        them its transaction and the write lock it may have held."""
        if self.backend != "postgresql":
            return
        query = text("SELECT count(*) FROM pg_stat_activity "
                     "WHERE datname = current_database() AND application_name = :name")
        # Autocommit: inside one transaction pg_stat_activity would never change.
        with self.raw.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            wait_until(lambda: conn.execute(query, {"name": application}).scalar() == 0,
                       SESSION_END_TIMEOUT, f"the sessions of {application} to end")

    def inspect(self) -> tuple[str, list[Batch]]:
        """Check the database as a fresh engine finds it: sound file (SQLite), every key in
        state "a" or every key in state "b", and a change log that replays to those values.
        Returns the state and the batches the log gained since the last inspection."""
        if self.backend == "sqlite":
            problems = sqlite_integrity_problems(make_url(self.url).database)
            assert not problems, f"SQLite integrity check failed: {problems}"
        assert self.changes_up_to(self.replay.head) == self.replay.row_count, (
            "change-log rows up to the last checked revision were added or removed")
        engine = self.open_engine()
        try:
            entries, revision = engine.entries(), engine.revision
        finally:
            engine.close()
        values = {key: entry.value for key, entry in entries.items()}
        observed = which_state(values, self.states)
        key_count = len(self.states[observed])
        sources = Counter(entry.source for entry in entries.values())
        assert sources == {"runtime": key_count}, f"values come from {dict(sources)}, not runtime"
        batches = self.replay.extend(self.changes_after(self.replay.head))
        assert all(b.size == key_count for b in batches), f"a partial batch in the log: {batches}"
        self.replay.agree_with(values, revision)
        self.current = observed
        return observed, batches

    def check_snapshots(self) -> None:
        """Every snapshot holds one whole state: the setup, imports and rollbacks only ever
        snapshot the database in state "a" or "b"."""
        table = SnapshotRow.__table__
        with self.raw.connect() as conn:
            rows = list(conn.execute(select(table.c.id, table.c.key_count, table.c.data)))
        assert rows, "no snapshots at all"
        for snapshot_id, key_count, data in rows:
            assert key_count == len(data), f"snapshot {snapshot_id} counts {key_count} keys"
            try:
                which_state({key: layers.get("runtime") for key, layers in data.items()},
                            self.states)
            except AssertionError as exc:
                raise AssertionError(f"snapshot {snapshot_id}: {exc}") from None

    def replay_from_start(self) -> None:
        """Replay the whole change log again from revision 0: same values as the fresh
        engine's, and as the replay built up trial by trial."""
        fresh = start_of_log()
        fresh.extend(self.changes_after(0))
        engine = self.open_engine()
        try:
            fresh.agree_with({k: e.value for k, e in engine.entries().items()}, engine.revision)
        finally:
            engine.close()
        assert fresh.values == self.replay.values


def prepare(url: str, workdir: Path,
            custom_keys: int = KEY_COUNT - len(BUILTIN_RULES)) -> CrashDatabase:
    """Define the custom keys (975: 1,000 keys in all), pin a snapshot of each state, time
    each operation, and leave the database in state "a", inspected."""
    env = {"LAZYCONFIG_DATABASE_URL": url, "LAZYCONFIG_INSTANCE_PATH": str(workdir / "instance")}
    engine = bootstrap(Settings.from_env(env), env=env, watch=False)
    try:
        for rule in custom_rules(custom_keys):
            engine.put_rule(rule, user="crash-setup")
        rules = engine.list_rules()
        assert len(rules) == len(BUILTIN_RULES) + custom_keys
        states = two_states(rules)
        snapshots = {}
        for name in ("b", "a"):
            assert all(engine.update(states[name], user="crash-setup").values())
            snapshots[name] = engine.create_snapshot(f"crash state {name}", pinned=True)
        seconds = {op: time_operation(engine, op, states, snapshots) for op in OPERATIONS}
    finally:
        engine.close()
    database = CrashDatabase(url, workdir, states, snapshots, seconds, start_of_log())
    database.inspect()
    return database


def time_operation(engine: ConfigurationEngine, operation: str, states, snapshots) -> float:
    """The mean time of `operation` from state "a" to "b" and back."""
    job = crash_child.Job(operation, {}, states, snapshots, 0.0, "")
    taken = []
    for target in ("b", "a"):
        started = time.monotonic()
        crash_child.perform(engine, job, target)
        taken.append(time.monotonic() - started)
    return sum(taken) / len(taken)
