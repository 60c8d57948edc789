"""`lazyconfig changelog compact|status`: change-log retention, always on the database
(like `db`), since compaction is maintenance of the database, not a configuration change."""
from __future__ import annotations

import click

from .root import Session, pass_session, root


@root.group()
def changelog() -> None:
    """The change log's retention: compact it, or show where it begins; always the local
    database (docs/operations.md, "Change-log retention").

    \b
    Example:
      lazyconfig changelog status
    """


def _engine(session: Session):
    from ..service.bootstrap import bootstrap
    return bootstrap(session.settings, watch=False)


@changelog.command()
@click.option("--max-entries", type=click.IntRange(min=0), metavar="N",
              help="keep the newest N revisions (default: LAZYCONFIG_CHANGELOG_MAX_ENTRIES; "
                   "0: no count limit)")
@click.option("--max-age-days", type=click.IntRange(min=0), metavar="DAYS",
              help="drop changes older than DAYS (default: LAZYCONFIG_CHANGELOG_MAX_AGE_DAYS; "
                   "0: no age limit)")
@pass_session
def compact(session: Session, max_entries: int | None, max_age_days: int | None) -> None:
    """Compact the change log now, in steps that each hold the write lock briefly; safe
    beside running servers. Prints what was removed and where the log now begins.

    \b
    Example:
      lazyconfig changelog compact --max-entries 100000
    """
    from ..service.compaction import LogRetention

    settings = session.settings
    retention = LogRetention(
        settings.changelog_max_entries if max_entries is None else max_entries,
        settings.changelog_max_age_days if max_age_days is None else max_age_days)
    engine = _engine(session)
    try:
        done = engine.change_log.compact(user=session.user, retention=retention)
    finally:
        engine.close()
    click.echo(f"removed {done.removed} change(s) in {done.steps} step(s); the change log "
               f"now begins after revision {done.first_kept_revision}")


@changelog.command()
@pass_session
def status(session: Session) -> None:
    """Where the change log begins, its head, and the newest compactions.

    \b
    Example:
      lazyconfig changelog status
    """
    engine = _engine(session)
    try:
        first, head = engine.change_log.first_kept_revision(), engine.revision
        records = engine.change_log.records(5)
    finally:
        engine.close()
    click.echo(f"first kept revision: {first}\nhead: {head}")
    for record in records:
        click.echo(f"compacted through {record['through']} ({record['removed']} removed) "
                   f"by {record['user']} at {record['at'].isoformat()}")
