"""The Alembic history builds, tears down and rebuilds the schema, and matches the models."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Column, Integer, String, insert, inspect, select

from lazyconfig.db import migrate
from lazyconfig.db.base import Base
from lazyconfig.db.connection import make_engine
from lazyconfig.db.models import ChangeRow, RuleRow, SnapshotRow, ValueRow

TABLES = set(Base.metadata.tables)  # every table the models define
pytestmark = pytest.mark.fresh_database  # on SQLite: migrate an empty file, not the template


def _drift(db) -> list:
    with db.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        return compare_metadata(context, Base.metadata)


def test_upgrade_downgrade_upgrade_round_trip(database_url):
    db = make_engine(database_url)
    try:
        migrate.run(db, "upgrade", "head")
        assert TABLES <= set(inspect(db).get_table_names())
        assert migrate.current_revision(db) == migrate.head_revision()

        migrate.run(db, "downgrade", "base")
        assert not TABLES & set(inspect(db).get_table_names())
        assert migrate.current_revision(db) is None

        migrate.run(db, "upgrade", "head")
        assert TABLES <= set(inspect(db).get_table_names())
        assert _drift(db) == []
    finally:
        db.dispose()


def test_models_and_migrations_do_not_drift(database_url):
    db = make_engine(database_url)
    try:
        migrate.run(db, "upgrade", "head")
        assert _drift(db) == [], "models differ from migrations: write a migration"
    finally:
        db.dispose()


def test_drift_check_notices_a_model_the_migrations_lack(database_url):
    """The drift check can fail: a table only the models know about is reported."""
    db = make_engine(database_url)
    extra = Base.metadata
    table = None
    try:
        migrate.run(db, "upgrade", "head")
        from sqlalchemy import Table
        table = Table("drift_probe", extra, Column("id", Integer, primary_key=True),
                      Column("name", String(10)))
        diffs = _drift(db)
        assert any(d[0] == "add_table" and d[1].name == "drift_probe" for d in diffs)
    finally:
        if table is not None:
            extra.remove(table)
        db.dispose()


def test_schema_constraints_follow_the_naming_convention(database_url):
    db = make_engine(database_url)
    try:
        migrate.run(db, "upgrade", "head")
        inspector = inspect(db)
        assert inspector.get_pk_constraint("changes")["name"] in ("pk_changes", None)  # SQLite: unnamed PK
        uniques = {u["name"] for u in inspector.get_unique_constraints("config_values")}
        assert "uq_config_values_key_source" in uniques
        fks = inspector.get_foreign_keys("config_values")
        assert fks and fks[0]["referred_table"] == "config_rules"
    finally:
        db.dispose()


def test_a_key_that_is_a_name_and_a_newline_is_renamed_or_dropped(database_url):
    """Before 0004 a key could be a valid name plus "\\n" (matched with `$`). Upgrading
    gives such a key its name when that is free, and drops it when the name is taken."""
    db = make_engine(database_url)
    now = datetime.now(timezone.utc)
    keys = ("taken", "taken\n", "free\n")
    try:
        migrate.run(db, "downgrade", "base")
        migrate.run(db, "upgrade", "0003")
        with db.begin() as conn:
            conn.execute(insert(RuleRow.__table__), [
                {"key": key, "value_type": "int", "default": 1, "origin": "custom",
                 "updated_at": now} for key in keys])
            conn.execute(insert(ValueRow.__table__), [
                {"key": key, "source": "runtime", "value": n, "revision": n, "updated_at": now}
                for n, key in enumerate(keys, 1)])
            conn.execute(insert(ChangeRow.__table__), [
                {"at": now, "key": "free\n", "source": "runtime", "action": "set"}])
            conn.execute(insert(SnapshotRow.__table__), [
                {"tags": [], "created_at": now, "revision": 3, "key_count": 3,
                 "data": {key: {"runtime": n} for n, key in enumerate(keys, 1)}}])
        migrate.run(db, "upgrade", "head")
        with db.connect() as conn:
            assert set(conn.scalars(select(RuleRow.key))) == {"taken", "free"}
            assert set(conn.execute(select(ValueRow.key, ValueRow.value)).all()) == {
                ("taken", 1), ("free", 3)}
            assert list(conn.scalars(select(ChangeRow.key))) == ["free"]
            assert conn.scalar(select(SnapshotRow.data)) == {"taken": {"runtime": 1},
                                                              "free": {"runtime": 3}}
    finally:
        db.dispose()
