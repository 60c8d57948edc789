"""Backups: create one from a database in one consistent read, verify one (checksums, then a
trial restore into a scratch SQLite database and its state hash), restore one into an
empty database of either kind in one transaction (docs/backups.md)."""
from __future__ import annotations

import logging
import tempfile
import zlib
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import StatementError

from ..db import backup_tables, migrate
from ..db.base import utcnow
from ..db.models import Base
from ..errors import DatabaseNotEmpty, InvalidBackup
from . import backup_file

log = logging.getLogger("lazyconfig.backups")
KIND = "lazyconfig-backup"


def create(database: Engine, path: Path, user: str) -> dict[str, Any]:
    """Write a backup of `database` to `path`, every table read from one snapshot while
    writers go on; returns its manifest."""
    with backup_tables.reading(database) as conn:
        manifest = {"kind": KIND, "format_version": backup_file.FORMAT_VERSION,
                    "schema_revision": _schema_revision(conn),
                    "revision": backup_tables.head_revision(conn),
                    "created_at": utcnow().isoformat(), "created_by": user,
                    "source": conn.dialect.name,
                    "excluded": sorted(backup_tables.EXCLUDED)}
        manifest = backup_file.write(path, _sections(conn), manifest)
    log.info("backup %s taken by %s at revision %s", path.name, user, manifest["revision"],
             extra={"fields": {"event": "backup", "file": path.name, "user": user,
                               "revision": manifest["revision"]}})
    return manifest


def _sections(conn: Connection):
    for table, lines in backup_tables.dump(conn):
        yield backup_tables.header(table), lines


def _schema_revision(conn: Connection) -> str | None:
    return conn.scalar(text("SELECT version_num FROM alembic_version"))


def state_hash(database: Engine) -> str:
    """SHA-256 of the database's canonical rows, as a backup's `state_sha256` has it."""
    with backup_tables.reading(database) as conn:
        return backup_file.state_sha256(_sections(conn))


def checked_manifest(path: Path) -> dict[str, Any]:
    """The manifest of a backup whose checksums hold and which this lazyconfig can restore;
    InvalidBackup otherwise. Reads the file once, decompresses nothing."""
    manifest = backup_file.read_manifest(path)
    backup_file.check_content(path, manifest)
    if manifest.get("kind") != KIND or manifest.get("format_version") != backup_file.FORMAT_VERSION:
        raise InvalidBackup(f"{path.name}: not a lazyconfig backup of format "
                            f"{backup_file.FORMAT_VERSION}")
    head = migrate.head_revision()
    if manifest.get("schema_revision") != head:
        raise InvalidBackup(f"{path.name}: made at schema revision "
                            f"{manifest.get('schema_revision')}; this lazyconfig is at {head}: "
                            "restore it with the lazyconfig version that made it")
    return manifest


def verify(path: Path) -> dict[str, Any]:
    """The manifest when `path` is sound: checksums first, then a trial restore into a
    scratch SQLite database whose row counts and state hash must be the manifest's.
    InvalidBackup, saying what failed, otherwise."""
    manifest = checked_manifest(path)
    with tempfile.TemporaryDirectory(prefix="lazyconfig-verify-") as scratch:
        database = backup_tables.scratch_sqlite(str(Path(scratch) / "trial.db"))
        try:
            Base.metadata.create_all(database)  # the models are the migrations (drift test)
            with backup_tables.writing(database) as conn:
                _load(conn, path, manifest)
                conn.commit()
            found = state_hash(database)
        finally:
            database.dispose()
    if found != manifest["state_sha256"]:
        raise InvalidBackup(f"{path.name}: the restored state's hash {found} is not the "
                            f"manifest's {manifest['state_sha256']}")
    return manifest


def restore(database: Engine, path: Path, *, force: bool = False,
            user: str = "unknown") -> dict[str, Any]:
    """Restore `path` into `database` (migrated to the newest schema first) in one
    transaction. DatabaseNotEmpty when the target holds configuration, unless `force`,
    which replaces it. The change log is restored as it was: a restore writes no changes
    of its own, and is recorded in the log lines (docs/backups.md, "Attribution")."""
    manifest = checked_manifest(path)
    migrate.run(database)
    with backup_tables.writing(database) as conn:
        if not backup_tables.is_empty(conn):
            if not force:
                raise DatabaseNotEmpty("the target database already holds configuration; "
                                       "restore into an empty one, or pass --force to "
                                       "replace what it holds")
            backup_tables.clear(conn)
        _load(conn, path, manifest)
        backup_tables.reset_sequences(conn)
        conn.commit()
    log.warning("backup %s restored by %s (revision %s, force=%s)", path.name, user,
                manifest["revision"], force,
                extra={"fields": {"event": "restore", "file": path.name, "user": user,
                                  "revision": manifest["revision"], "force": force}})
    return manifest


def _load(conn: Connection, path: Path, manifest: dict[str, Any]) -> None:
    tables = {table.name: table for table in backup_tables.backed_up_tables()}
    counts = {}
    try:
        for head, rows in backup_file.sections(path, manifest):
            table = tables.get(head.get("table"))
            if table is None or table.name in counts:
                raise InvalidBackup(f"{path.name}: unexpected table {head.get('table')!r}")
            if table.name in backup_tables.DERIVED:
                conn.execute(table.delete())  # what the trigger made of the restored log
            counts[table.name] = backup_tables.insert(conn, table, head["columns"], rows)
    except (ValueError, KeyError, TypeError, OSError, EOFError, zlib.error, StatementError,
            conn.dialect.dbapi.Error) as exc:  # the driver's own, from its cursor
        raise InvalidBackup(f"{path.name}: could not be restored ({exc}); nothing was "
                            "changed") from exc
    if counts != manifest["tables"] or set(counts) != set(tables):
        raise InvalidBackup(f"{path.name}: the tables restored ({counts}) are not the "
                            f"manifest's ({manifest['tables']})")


def backup_name(now: datetime | None = None) -> str:
    """A new backup's id: its UTC time to the microsecond, so names sort by age."""
    return "lazyconfig-" + (now or utcnow()).strftime("%Y%m%dT%H%M%S%fZ")
