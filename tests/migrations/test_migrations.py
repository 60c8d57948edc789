"""The Alembic history builds, tears down and rebuilds the schema, and matches the models."""
from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Column, Integer, String, inspect

from lazyconfig.db import migrate
from lazyconfig.db.base import Base
from lazyconfig.db.connection import make_engine

TABLES = {"changes", "config_rules", "config_values", "snapshots", "hosts"}


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
