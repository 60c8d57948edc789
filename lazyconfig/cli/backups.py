"""Backups: `backup create [-o FILE]`, `backup verify FILE`, `backup restore FILE [--force]`;
always on the local database (--database-url / LAZYCONFIG_DATABASE_URL), like `db`. A
server's backups are taken and listed through its API (docs/backups.md)."""
from __future__ import annotations

import getpass
from pathlib import Path

import click

from .output import echo_json
from .root import Session, pass_session, root


@root.group()
def backup() -> None:
    """Backups of the whole configuration database: one file, checksummed, restorable
    into SQLite or PostgreSQL.

    \b
    Example:
      lazyconfig backup create -o before-upgrade.lcbackup
    """


def _user(session: Session) -> str:
    return session.user or getpass.getuser()


@backup.command()
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="the file to write (default: a new file in LAZYCONFIG_BACKUP_DIR, else "
                   "the instance folder's backups/)")
@pass_session
def create(session: Session, output: Path | None) -> None:
    """Back up the database in one consistent read (writers go on); prints the manifest.

    \b
    Example:
      lazyconfig backup create -o before-upgrade.lcbackup
    """
    from ..db.connection import make_engine
    from ..service import backups
    from ..service.backup_directory import SUFFIX

    if output is None:
        folder = session.settings.backup_dir or Path(session.settings.instance_path) / "backups"
        folder.mkdir(parents=True, exist_ok=True)
        output = folder / (backups.backup_name() + SUFFIX)
    database = make_engine(session.settings.database_url)
    try:
        manifest = backups.create(database, output, _user(session))
    finally:
        database.dispose()
    echo_json({"file": str(output), **manifest})


@backup.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def verify(file: Path) -> None:
    """Check the checksums, then restore into a scratch SQLite database and compare its
    state hash with the manifest's; exit 1 if anything differs.

    \b
    Example:
      lazyconfig backup verify before-upgrade.lcbackup
    """
    from ..service import backups

    manifest = backups.verify(file)
    click.echo(f"{file.name}: valid (revision {manifest['revision']}, "
               f"{sum(manifest['tables'].values())} rows, state {manifest['state_sha256']})")


@backup.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True,
              help="replace what the target database holds (refused otherwise)")
@pass_session
def restore(session: Session, file: Path, force: bool) -> None:
    """Restore a backup into the database (SQLite or PostgreSQL, migrated first) in one
    transaction; an SQLite backup restores into PostgreSQL and back. Stop the servers on
    that database first.

    \b
    Example:
      lazyconfig --database-url postgresql+psycopg://app@db/lazyconfig \\
          backup restore before-upgrade.lcbackup
    """
    from ..db.connection import make_engine
    from ..service import backups

    database = make_engine(session.settings.database_url)
    try:
        manifest = backups.restore(database, file, force=force, user=_user(session))
    finally:
        database.dispose()
    click.echo(f"restored {file.name}: revision {manifest['revision']}, "
               f"{sum(manifest['tables'].values())} rows")
