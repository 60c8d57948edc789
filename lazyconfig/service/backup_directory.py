"""The engine's backups: the backup directory (one file per backup, named by its UTC time),
its retention by count, listing, verifying, and the schedule (docs/backups.md)."""
from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import Any

from ..errors import BackupNotFound, ConfigurationError, InvalidBackup
from . import backup_file, backups
from .backup_schedule import BackupSchedule

log = logging.getLogger("lazyconfig.backups")
SUFFIX = ".lcbackup"
BACKUP_ID = re.compile(r"lazyconfig-[0-9]{8}T[0-9]{12}Z")  # backups.backup_name()
LISTED = ("created_at", "created_by", "revision", "schema_revision", "format_version",
          "source", "tables", "content_sha256", "state_sha256")


def listing(path: Path) -> dict[str, Any]:
    """What a list of backups shows of one file: its manifest's fields, or why it has none."""
    entry: dict[str, Any] = {"id": path.name[:-len(SUFFIX)], "file": str(path), "size": 0}
    try:
        entry["size"] = path.stat().st_size  # retention elsewhere may just have removed it
        manifest = backup_file.read_manifest(path)
    except (InvalidBackup, ValueError, OSError) as exc:
        return {**entry, "problem": getattr(exc, "message", str(exc))}
    return {**entry, **{name: manifest.get(name) for name in LISTED}}


class BackupOperations:
    """The engine's backup methods (a mixin of ConfigurationEngine)."""

    @property
    def backup_dir(self) -> Path:
        return self.settings.backup_dir or Path(self.settings.instance_path) / "backups"

    def create_backup(self, *, user: str | None = None) -> dict[str, Any]:
        """Take a backup into the backup directory (then keep the newest
        LAZYCONFIG_BACKUP_KEEP); returns its listing."""
        if self.database is None:
            raise ConfigurationError("backups need a database; this engine has none")
        self.backup_dir.mkdir(parents=True, exist_ok=True)
        path = self.backup_dir / (backups.backup_name() + SUFFIX)
        backups.create(self.database, path, user or self.default_user)
        for old in self._backup_files()[self.settings.backup_keep:]:
            old.unlink(missing_ok=True)
        return listing(path)

    def list_backups(self) -> list[dict[str, Any]]:
        """Every backup of the backup directory, newest first, with its manifest's fields."""
        return [listing(path) for path in self._backup_files()]

    def last_backup(self) -> dict[str, Any] | None:
        newest = self._backup_files()[:1]
        return listing(newest[0]) if newest else None

    def verify_backup(self, backup_id: str) -> dict[str, Any]:
        """Verify one backup of the directory: {id, valid, problem?, ...manifest fields}."""
        path = self._backup_path(backup_id)
        try:
            backups.verify(path)
        except InvalidBackup as exc:
            return {**listing(path), "valid": False, "problem": exc.message}
        return {**listing(path), "valid": True}

    def start_backup_schedule(self) -> bool:
        """Take scheduled backups from this process too, if LAZYCONFIG_BACKUP_INTERVAL is
        set (the database's lease lets one process take each); True when started."""
        if not self.settings.backup_interval or self.database is None:
            return False
        if getattr(self, "_backup_schedule", None) is None:
            self._backup_schedule = BackupSchedule(
                self.database, self.settings.backup_interval,
                lambda: self.create_backup(user="scheduled"))
            self._backup_schedule.start()
            self._closers.insert(0, self._backup_schedule.stop)
        return True

    def _backup_files(self) -> list[Path]:
        if not self.backup_dir.is_dir():
            return []
        return sorted((path for path in self.backup_dir.iterdir()
                       if path.suffix == SUFFIX and BACKUP_ID.fullmatch(path.stem)),
                      reverse=True)

    def _backup_path(self, backup_id: str) -> Path:
        path = self.backup_dir / (backup_id + SUFFIX)
        if not BACKUP_ID.fullmatch(backup_id) or not path.is_file():
            raise BackupNotFound(backup_id)
        return path
