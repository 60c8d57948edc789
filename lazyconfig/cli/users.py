"""`lazyconfig user add|remove|list`: the console's accounts, always on the database (like
`db`): an admin makes them where the server's database is (docs/console.md, "Sign-in")."""
from __future__ import annotations

import sys

import click

from ..auth import ROLES
from .root import Session, pass_session, root


@root.group()
def user() -> None:
    """Console accounts: a name and password that sign in at /console with a role.

    \b
    Example:
      lazyconfig user add alice --role editor
    """


def _engine(session: Session):
    from ..service.bootstrap import bootstrap
    return bootstrap(session.settings, watch=False)


def _password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    return click.prompt("password", hide_input=True, confirmation_prompt=True)


@user.command("add")
@click.argument("name")
@click.option("--role", type=click.Choice(ROLES), default="viewer", show_default=True)
@click.option("--password-stdin", is_flag=True,
              help="read the password from the first line of standard input, not a prompt")
@pass_session
def add(session: Session, name: str, role: str, password_stdin: bool) -> None:
    """Create the account NAME (or give it a new role and password).

    \b
    Example:
      echo 's3cret-pass' | lazyconfig user add alice --role editor --password-stdin
    """
    password = _password(password_stdin)
    engine = _engine(session)
    try:
        engine.add_user(name, role, password)
    finally:
        engine.close()
    click.echo(f"{name}: {role}")


@user.command("remove")
@click.argument("name")
@pass_session
def remove(session: Session, name: str) -> None:
    """Delete the account NAME (its open console sessions end when they expire).

    \b
    Example:
      lazyconfig user remove alice
    """
    engine = _engine(session)
    try:
        engine.remove_user(name)
    finally:
        engine.close()
    click.echo(f"removed {name}")


@user.command("list")
@pass_session
def list_(session: Session) -> None:
    """Every account and its role, one a line.

    \b
    Example:
      lazyconfig user list
    """
    engine = _engine(session)
    try:
        accounts = engine.list_users()
    finally:
        engine.close()
    for name, role in accounts:
        click.echo(f"{name}\t{role}")
