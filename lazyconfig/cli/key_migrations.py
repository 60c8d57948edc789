"""`config migrate`: this release's config-migration steps, on the database."""
from __future__ import annotations

import click

from .output import diff_rows
from .root import Session, pass_session, root


@root.group("config")
def config_group() -> None:
    """Config migrations: carry stored values across key-catalog changes; always the
    local database (like `db`).

    \b
    Example:
      lazyconfig config migrate --dry-run
    """


@config_group.command()
@click.option("--dry-run", is_flag=True, help="show what would change; change nothing")
@pass_session
def migrate(session: Session, dry_run: bool) -> None:
    """Apply this release's config-migration steps not yet applied: to values, snapshots
    and templates, in one transaction, each step once.

    \b
    Example:
      lazyconfig config migrate
    """
    from ..service.bootstrap import bootstrap

    # Started without its steps, so that a dry run can show them before they run.
    engine = bootstrap(session.settings, watch=False, key_migrations=())
    try:
        from ..domain.key_migrations import RELEASE_STEPS
        result = engine.migrate_configuration(RELEASE_STEPS, dry_run,
                                              user=session.user or engine.default_user)
    finally:
        engine.close()
    if not result["steps"]:
        click.echo("no pending config-migration steps")
        return
    click.echo(("would apply: " if dry_run else "applied: ") + ", ".join(result["steps"]))
    diff_rows(result["diff"])
    click.echo(f"snapshots rewritten: {len(result['snapshots'])}; templates rewritten: "
               f"{', '.join(result['templates']) or 'none'}")
