"""Running the service: `serve`, `db upgrade|downgrade|current`, `token create|issue`."""
from __future__ import annotations

import os
import sys

import click

from ..auth import ROLES
from ..settings import Settings
from .root import Session, pass_session, root

# Both from the installed package, so `serve` needs no checkout (and stays where it is run).
GUNICORN_CONFIG = "python:lazyconfig.gunicorn_conf"
WSGI_APP = "lazyconfig.wsgi:application()"


def startup_notice(settings: Settings | None = None, stream=None) -> None:
    """What `scripts/serve.sh` and gunicorn print at start-up: on the embedded default
    without a configured secret, an admin token to follow the spec's curl examples."""
    from ..auth import create_token, resolve_secret

    settings = settings or Settings.from_env()
    stream = stream or sys.stdout
    secret = resolve_secret(settings)
    if secret.generated_at is None:
        print("lazyconfig: make a token with: lazyconfig token create --user NAME --role "
              "viewer|editor|admin", file=stream)
        return
    token = create_token(secret.value, "admin", "admin", settings.token_ttl)
    print(f"lazyconfig: no LAZYCONFIG_JWT_SECRET set; using the generated secret in "
          f"{secret.generated_at}.\nAn admin token valid for {settings.token_ttl // 60} "
          f"minutes (more: lazyconfig token create --user NAME --role ROLE):\n\n"
          f"  export TOKEN={token}\n", file=stream, flush=True)


@root.command(context_settings={"ignore_unknown_options": True})
@click.option("--bind", default="127.0.0.1:7000", show_default=True, help="host:port to serve on")
@click.option("--workers", type=click.IntRange(min=1), help="gunicorn workers (default: by CPU)")
@click.argument("gunicorn_args", nargs=-1, type=click.UNPROCESSED)
@pass_session
def serve(session: Session, bind: str, workers: int | None, gunicorn_args: tuple[str, ...]) -> None:
    """Upgrade the schema, then serve the REST API with gunicorn (extra arguments go to
    gunicorn).

    \b
    Example:
      lazyconfig serve --bind 0.0.0.0:7000 --workers 4
    """
    _migrate(session.settings, "upgrade", "head")
    command = [sys.executable, "-m", "gunicorn", "-c", GUNICORN_CONFIG, "--bind", bind]
    command += ["--workers", str(workers)] if workers else []
    env = {**os.environ, "LAZYCONFIG_DATABASE_URL": session.settings.database_url}
    os.execve(sys.executable, command + list(gunicorn_args) + [WSGI_APP], env)


@root.group()
def db() -> None:
    """The database schema (Alembic migrations); always the local database.

    \b
    Example:
      lazyconfig db current
    """


def _migrate(settings: Settings, action: str, revision: str) -> None:
    from ..db import migrate
    from ..db.connection import make_engine

    engine = make_engine(settings.database_url)
    try:
        migrate.run(engine, action, revision)
    finally:
        engine.dispose()


@db.command()
@click.argument("revision", default="head")
@pass_session
def upgrade(session: Session, revision: str) -> None:
    """Upgrade the schema (to the newest revision by default).

    \b
    Example:
      lazyconfig db upgrade
    """
    _migrate(session.settings, "upgrade", revision)
    click.echo(f"schema upgraded to {revision}")


@db.command()
@click.argument("revision")
@pass_session
def downgrade(session: Session, revision: str) -> None:
    """Downgrade the schema to REVISION (`-1` for one step, `base` for an empty database).

    \b
    Example:
      lazyconfig db downgrade -1
    """
    _migrate(session.settings, "downgrade", revision)
    click.echo(f"schema downgraded to {revision}")


@db.command()
@pass_session
def current(session: Session) -> None:
    """Print the schema's revision and the newest one; exit 1 when they differ.

    \b
    Example:
      lazyconfig db current
    """
    from ..db import migrate
    from ..db.connection import make_engine

    engine = make_engine(session.settings.database_url)
    try:
        revision = migrate.current_revision(engine)
    finally:
        engine.dispose()
    head = migrate.head_revision()
    click.echo(f"current: {revision or 'none (empty database)'}\nhead:    {head}")
    if revision != head:
        click.get_current_context().exit(1)


@root.group()
def token() -> None:
    """API tokens: signed with this machine's secret (`create`), or opaque service tokens
    kept in the database, revocable (`issue`).

    \b
    Example:
      lazyconfig token create --user alice --role editor
      lazyconfig token issue --name loader-eu1 --role viewer --expires-in 30d
    """


@token.command()
@click.option("--user", "token_user", required=True, help="who changes are attributed to")
@click.option("--role", required=True, type=click.Choice(ROLES))
@click.option("--expires-in", type=int, metavar="SECONDS",
              help="lifetime in seconds  [default: LAZYCONFIG_TOKEN_TTL, else 3600]")
@pass_session
def create(session: Session, token_user: str, role: str, expires_in: int | None) -> None:
    """Print a signed Bearer token the server accepts (same secret: LAZYCONFIG_JWT_SECRET,
    or the one generated in the instance folder on the embedded default).

    \b
    Example:
      export TOKEN=$(lazyconfig token create --user alice --role admin --expires-in 600)
    """
    from ..auth import create_token, resolve_secret

    lifetime = session.settings.token_ttl if expires_in is None else expires_in
    longest = session.settings.max_token_lifetime
    # Checked before the secret is looked for: bad usage (exit 2) whatever the database.
    if lifetime <= 0:
        raise ValueError("--expires-in must be a positive number of seconds")
    if lifetime > longest:  # the server would refuse the token (auth.py)
        raise ValueError(f"--expires-in must be at most {longest} seconds "
                         "(LAZYCONFIG_MAX_TOKEN_LIFETIME)")
    click.echo(create_token(resolve_secret(session.settings).value, token_user, role, lifetime))


DURATION_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def duration(text: str | None) -> int | None:
    """Seconds of `30d`, `12h`, `15m`, `90s` or `90`."""
    if text is None:
        return None
    number, unit = (text[:-1], text[-1]) if text[-1:] in DURATION_UNITS else (text, "s")
    if not (number.isascii() and number.isdigit()) or int(number) <= 0:
        raise ValueError(f"--expires-in takes a duration such as 30d, 12h, 15m or 90s, "
                         f"not {text!r}")
    return int(number) * DURATION_UNITS[unit]


@token.command()
@click.option("--name", required=True, help="who the token is for; its changes are recorded "
                                            "under this name")
@click.option("--role", required=True, type=click.Choice(ROLES))
@click.option("--keys", multiple=True, metavar="PATTERN",
              help="a glob pattern of keys it may read and write (repeat; default: all)")
@click.option("--expires-in", metavar="DURATION", help="e.g. 30d, 12h  [default: never]")
@pass_session
def issue(session: Session, name: str, role: str, keys: tuple[str, ...],
          expires_in: str | None) -> None:
    """Issue an opaque service token (`lzc_…`), on the database or through --url (as an
    admin). The token is printed once, never stored: only its hash is kept. Revoke it with
    DELETE /tokens/{id}.

    \b
    Example:
      lazyconfig token issue --name loader-eu1 --role viewer --keys 'lazy_loading_*' \\
        --expires-in 30d
    """
    issued = session.backend.issue_token(name, role, list(keys) or None, duration(expires_in))
    click.echo(f"issued service token {issued['id']} ({name}, {role})", err=True)
    click.echo(issued["token"])
