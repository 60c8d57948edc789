"""Backups on both databases: what a backup holds, a restore into the other kind of database
(SQLite → PostgreSQL and PostgreSQL → SQLite on the PostgreSQL run; SQLite → SQLite
otherwise), single-byte damage caught by verify, a restore refused over existing data, and a
backup taken while writers go on being one consistent state (docs/backups.md)."""
from __future__ import annotations

import json
import random
import threading

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from lazyconfig import bootstrap
from lazyconfig.db import backup_tables
from lazyconfig.db.connection import make_engine as make_database
from lazyconfig.db.models import Base
from lazyconfig.errors import DatabaseNotEmpty, InvalidBackup
from lazyconfig.service import backup_file, backups
from lazyconfig.settings import Settings

KEY, OTHER = "lazy_loading_unloading_check_interval", "load_timeout"
FLIPS = 200


def fill(engine) -> None:
    """A little of everything: values by two users, a snapshot, a custom rule, an unset."""
    engine.set(KEY, 45.0, user="alice", description="tuning")
    engine.put_rule({"key": "feature_flags", "value_type": "json", "default": {"b": 1, "a": 2},
                     "description": "flags"}, user="admin")
    engine.set("feature_flags", {"z": [1, 2.5, None], "a": "ü"}, user="bob")
    engine.create_snapshot("before", ["t1"], user="carol")
    engine.set(OTHER, 12.0, user="bob")
    engine.unset(KEY, user="alice")


def engine_on(url, tmp_path, name):
    env = {"LAZYCONFIG_DATABASE_URL": url, "LAZYCONFIG_INSTANCE_PATH": str(tmp_path / name),
           "LAZYCONFIG_RUN_DIR": str(tmp_path / f"{name}-run")}
    return bootstrap(Settings.from_env(env), env=env, watch=False)


def visible_state(engine) -> tuple:
    """What users see: values, the whole change log, snapshots, rules."""
    return (engine.export(include_sensitive=True)["values"],
            engine.get_notifications(limit=1000, since=0),
            [engine.get_snapshot(s["id"]) for s in engine.list_snapshots()],
            [rule.to_record() if hasattr(rule, "to_record") else repr(rule)
             for rule in engine.list_rules()])


@pytest.fixture
def other_postgres(postgres_url):
    """A scratch PostgreSQL database beside the test one (created, then dropped)."""
    if not postgres_url:
        pytest.skip("needs PostgreSQL (LAZYCONFIG_TEST_DATABASE_URL)")
    url = make_url(postgres_url)
    target = f"{url.database}_target"
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{target}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{target}"'))
    yield url.set(database=target).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{target}" WITH (FORCE)'))
    admin.dispose()


def round_trip(source_url, target_url, tmp_path):
    """Fill a database at `source_url`, back it up, restore into `target_url`; returns the
    manifest and both engines' visible states and state hashes."""
    source = engine_on(source_url, tmp_path, "source")
    fill(source)
    path = tmp_path / "round.lcbackup"
    manifest = backups.create(source.database, path, "tester")
    target_db = make_database(target_url)
    backups.restore(target_db, path, user="tester")
    target = engine_on(target_url, tmp_path, "target")
    try:
        return (manifest, visible_state(source), visible_state(target),
                backups.state_hash(source.database), backups.state_hash(target_db), target)
    finally:
        source.close()
        target_db.dispose()


def check_round_trip(source_url, target_url, tmp_path):
    manifest, before, after, source_hash, target_hash, target = round_trip(
        source_url, target_url, tmp_path)
    try:
        assert source_hash == target_hash == manifest["state_sha256"]
        assert after == before
        assert len(before[1]) == manifest["revision"] == manifest["tables"]["changes"]
        # ids go on after the restored ones (PostgreSQL's sequences were moved)
        assert target.set(OTHER, 13.0, user="after") is True
        assert target.get_notifications(limit=1)[0]["revision"] == manifest["revision"] + 1
        assert target.create_snapshot("next") > max(s["id"] for s in before[2])
    finally:
        target.close()


def test_every_model_table_is_backed_up_or_named_operational():
    backed = {table.name for table in backup_tables.backed_up_tables()}
    assert backed | backup_tables.EXCLUDED == set(Base.metadata.tables)
    assert backup_tables.EXCLUDED <= set(Base.metadata.tables)  # no stale exclusion
    assert not backed & backup_tables.EXCLUDED
    order = [t.name for t in backup_tables.backed_up_tables()]
    assert order.index("config_rules") < order.index("config_values")  # parents first


def test_restore_into_the_other_kind_of_database(database_url, tmp_path, postgres_url,
                                                  request):
    other = (f"sqlite:///{tmp_path / 'other.db'}" if postgres_url
             else f"sqlite:///{tmp_path / 'copy.db'}")
    check_round_trip(database_url, other, tmp_path)  # PostgreSQL → SQLite (or SQLite → SQLite)


def test_sqlite_backup_restores_into_postgresql(tmp_path, other_postgres):
    check_round_trip(f"sqlite:///{tmp_path / 'source.db'}", other_postgres, tmp_path)


@pytest.fixture
def small_backup(engine, tmp_path):
    fill(engine)
    path = tmp_path / "small.lcbackup"
    return path, backups.create(engine.database, path, "tester")


def test_every_sampled_single_byte_flip_is_caught_by_verify(small_backup):
    path, manifest = small_backup
    original = path.read_bytes()
    assert backups.verify(path)["state_sha256"] == manifest["state_sha256"]
    positions = random.Random(16).sample(range(len(original)), min(FLIPS, len(original)))
    assert len(positions) == FLIPS, "the backup is too small to sample 200 positions"
    for position in positions:
        damaged = bytearray(original)
        damaged[position] ^= 1 << random.Random(position).randrange(8)
        path.write_bytes(bytes(damaged))
        with pytest.raises(InvalidBackup):
            backups.verify(path)
    path.write_bytes(original)
    backups.verify(path)


def reseal(path, manifest, forged, edit, claimed_state=None):
    """A copy of a backup with each table's row lines passed through `edit(table, lines)`
    and its checksums computed again: a forgery only the trial restore can see through.
    `claimed_state` replaces the manifest's state hash."""
    lines = []
    for head, rows in backup_file.sections(path, manifest):
        rows = [json.dumps(row, sort_keys=True, separators=(",", ":")) for row in rows]
        lines.append((head, iter(edit(head["table"], rows))))
    kept = {k: manifest[k] for k in manifest
            if k not in ("tables", "state_sha256", "content_sha256", "content_bytes")}
    written = backup_file.write(forged, lines, kept)
    if claimed_state is not None:
        written["state_sha256"] = claimed_state
        sealed = json.dumps(written, sort_keys=True).encode() + b"\n"
        body = forged.read_bytes()[:written["content_bytes"]]
        forged.write_bytes(body + sealed + backup_file.footer(sealed))
    return written


def test_a_resealed_backup_with_other_rows_fails_the_trial_restore(small_backup, tmp_path):
    """Checksums recomputed after a row changed: only the trial restore's state hash sees it."""
    path, manifest = small_backup
    forged = tmp_path / "forged.lcbackup"

    def edit(table, rows):  # load_timeout's value
        return [row.replace("12.0", "99.0") for row in rows] if table == "config_values" else rows
    written = reseal(path, manifest, forged, edit, claimed_state=manifest["state_sha256"])
    assert backup_file.read_manifest(forged)["content_sha256"] == written["content_sha256"]
    with pytest.raises(InvalidBackup, match="restored state's hash"):
        backups.verify(forged)


def test_a_restore_that_fails_midway_changes_nothing(engine, small_backup, tmp_path):
    """A value row whose key has no rule: the database refuses it after the old rows were
    deleted (--force) and the rules, the log and the snapshots went in; the one transaction
    leaves the database as it was."""
    path, manifest = small_backup
    forged = tmp_path / "orphan.lcbackup"

    def edit(table, rows):
        if table != "config_values":
            return rows
        return [row.replace('"feature_flags"', '"no_such_key"') for row in rows]
    reseal(path, manifest, forged, edit)
    with pytest.raises(InvalidBackup, match="could not be restored"):
        backups.verify(forged)
    engine.set(OTHER, 31.0, user="later")
    before = backups.state_hash(engine.database)
    with pytest.raises(InvalidBackup, match="could not be restored"):
        backups.restore(engine.database, forged, force=True)
    assert backups.state_hash(engine.database) == before


def test_a_restore_into_a_database_with_configuration_is_refused_unless_forced(
        small_backup, make_engine):
    path, manifest = small_backup
    target = make_engine()  # the same database: it holds what was backed up, and more
    target.set(OTHER, 30.0, user="later")
    database = target.database
    before = backups.state_hash(database)
    with pytest.raises(DatabaseNotEmpty):
        backups.restore(database, path)
    assert backups.state_hash(database) == before  # nothing changed
    backups.restore(database, path, force=True)
    assert backups.state_hash(database) == manifest["state_sha256"]


def test_a_backup_taken_while_writers_go_on_is_one_consistent_state(engine, tmp_path):
    stop, written = threading.Event(), []

    def writer():
        value = 10.0
        while not stop.is_set() and value < 2000:
            engine.update({KEY: value, OTHER: value}, user="writer")
            written.append(value)
            value += 1.0
    thread = threading.Thread(target=writer)
    thread.start()
    try:
        while len(written) < 20:
            stop.wait(0.01)
        path = tmp_path / "busy.lcbackup"
        manifest = backups.create(engine.database, path, "tester")
    finally:
        stop.set()
        thread.join()
    restored = make_database(f"sqlite:///{tmp_path / 'busy.db'}")
    backups.restore(restored, path)
    with restored.connect() as conn:
        head = conn.scalar(text("SELECT MAX(id) FROM changes"))
        newest = conn.scalar(text("SELECT MAX(revision) FROM config_values"))
        last = {key: json.loads(value) for key, value in conn.execute(text(
            "SELECT key, new_value FROM changes WHERE id IN "
            "(SELECT MAX(id) FROM changes GROUP BY key)"))}
        values = {key: json.loads(value) for key, value in conn.execute(text(
            "SELECT key, value FROM config_values WHERE source = 'runtime'"))}
    restored.dispose()
    assert head == manifest["revision"] and newest <= head
    assert values[KEY] == values[OTHER] == last[KEY] == last[OTHER]
    assert len(written) > 20  # the writer went on during the backup
