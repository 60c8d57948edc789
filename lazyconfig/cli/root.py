"""The root command group: global options, the backend it opens on demand (local or
remote), and the one place where lazyconfig's exceptions become a single line on stderr and
a non-zero exit."""
from __future__ import annotations

import functools
from dataclasses import dataclass, field

import click

from ..errors import ConfigurationError, SecretError, ValidationFailed
from ..settings import Settings
from .backend import Backend, open_backend

REFUSED, BAD_USAGE = 1, 2


class Failure(click.ClickException):
    """One clear line: `lazyconfig: <message>`."""

    def __init__(self, message: str, exit_code: int = REFUSED):
        super().__init__(message)
        self.exit_code = exit_code

    def show(self, file=None) -> None:
        click.echo(f"lazyconfig: {self.format_message()}", err=True)


def _one_line(exc: ConfigurationError) -> str:
    if isinstance(exc, ValidationFailed) and exc.errors:
        return "refused: " + "; ".join(f"{k}: {', '.join(m)}" for k, m in exc.errors.items())
    return exc.message


class Root(click.Group):
    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except (SecretError, ValueError) as exc:  # InvalidSetting, BadUsage: ValueErrors
            raise Failure(str(exc), BAD_USAGE) from exc
        except ConfigurationError as exc:
            raise Failure(_one_line(exc)) from exc
        except OSError as exc:
            raise Failure(f"{exc.filename or ''}: {exc.strerror or exc}".lstrip(": ")) from exc


@dataclass
class Session:
    """What every command shares: settings, the acting user, and a backend opened lazily
    (commands like `token` and `db` never open one)."""

    settings: Settings
    user: str | None = None
    database_given: bool = False  # --database-url: work on a database, even with a URL set
    url_given: bool = False
    _backend: Backend | None = field(default=None, repr=False)

    @property
    def backend(self) -> Backend:
        if self._backend is None:
            self._backend = open_backend(self.settings, self.user,
                                         database_given=self.database_given,
                                         url_given=self.url_given)
        return self._backend

    def close(self) -> None:
        if self._backend is not None:
            self._backend.close()


pass_session = click.make_pass_decorator(Session)


def pass_backend(command):
    """Call `command(backend, ...)` with the session's backend, opened on first use."""
    @functools.wraps(command)
    @click.pass_context
    def call(ctx: click.Context, *args, **kwargs):
        return command(ctx.find_object(Session).backend, *args, **kwargs)
    return call


@click.group(cls=Root, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--url", metavar="URL",
              help="Work through this server's REST API (default: LAZYCONFIG_URL, else the "
                   "profile file).")
@click.option("--token", metavar="TOKEN",
              help="Bearer token for --url (default: LAZYCONFIG_TOKEN, else the profile "
                   "file's).")
@click.option("--profile", metavar="NAME",
              help="Take url and token from [profiles.NAME] of the profile file (default: "
                   "LAZYCONFIG_PROFILE).")
@click.option("--database-url", metavar="URL",
              help="Work on this database (default: LAZYCONFIG_DATABASE_URL, else the "
                   "embedded SQLite).")
@click.option("--user", metavar="NAME",
              help="Who changes are attributed to, on a database (default: the "
                   "operating-system user; through a server: the token's user).")
@click.pass_context
def root(ctx: click.Context, url: str | None, token: str | None, profile: str | None,
         database_url: str | None, user: str | None) -> None:
    """Runtime configuration for the lazy loader: read and change it on the database, or
    through a server with --url; serve the API, migrate the database, make tokens.

    \b
    Example:
      lazyconfig get load_timeout                                 # on the database
      lazyconfig --url http://127.0.0.1:7000 --token "$TOKEN" get load_timeout
    """
    given = {"database_url": database_url, "url": url, "token": token, "profile": profile}
    session = Session(Settings.from_env(**{k: v for k, v in given.items() if v}), user,
                      database_given=bool(database_url), url_given=bool(url))
    ctx.obj = session
    ctx.call_on_close(session.close)
