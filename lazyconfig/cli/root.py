"""The root command group: global options, the engine it opens on demand, and the one place
where lazyconfig's exceptions become a single line on stderr and a non-zero exit."""
from __future__ import annotations

from dataclasses import dataclass, field

import click

from ..errors import ConfigurationError, SecretError, ValidationFailed
from ..settings import Settings

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
        except (SecretError, ValueError) as exc:  # InvalidSetting is a ValueError
            raise Failure(str(exc), BAD_USAGE) from exc
        except ConfigurationError as exc:
            raise Failure(_one_line(exc)) from exc
        except OSError as exc:
            raise Failure(f"{exc.filename or ''}: {exc.strerror or exc}".lstrip(": ")) from exc


@dataclass
class Session:
    """What every command shares: settings, the acting user, and an engine opened lazily
    (commands like `token` and `db` never open one)."""

    settings: Settings
    user: str | None
    _engine: object = field(default=None, repr=False)

    @property
    def engine(self):
        if self._engine is None:
            from ..service.bootstrap import bootstrap
            # One command, one short-lived engine: no watcher thread needed.
            self._engine = bootstrap(self.settings, watch=False)
        return self._engine

    def close(self) -> None:
        if self._engine is not None:
            self._engine.close()

    @property
    def actor(self) -> str:
        return self.user or self.engine.default_user


pass_session = click.make_pass_decorator(Session)


@click.group(cls=Root, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--database-url", metavar="URL",
              help="SQLAlchemy URL (default: LAZYCONFIG_DATABASE_URL, else the embedded SQLite).")
@click.option("--user", metavar="NAME",
              help="Who changes are attributed to (default: the operating-system user).")
@click.pass_context
def root(ctx: click.Context, database_url: str | None, user: str | None) -> None:
    """Runtime configuration for the lazy loader: serve the API, migrate the database, and
    read or change the configuration directly through the engine."""
    overrides = {"database_url": database_url} if database_url else {}
    session = Session(Settings.from_env(**overrides), user)
    ctx.obj = session
    ctx.call_on_close(session.close)
