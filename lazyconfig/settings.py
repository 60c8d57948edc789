"""Settings: defaults, then LAZYCONFIG_* environment variables, then explicit overrides.

This is the only module that reads a LAZYCONFIG_* setting; everything else is handed a
`Settings`. `VARIABLES` is the one list of them: `SETTING_NAMES`, which keeps them apart
from the environment layer's `LAZYCONFIG_<KEY>` variables, derives from it.
"""
from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, ClassVar, Mapping

PREFIX = "LAZYCONFIG_"
DEFAULT_TOKEN_TTL = 3600  # seconds
DEFAULT_MAX_TOKEN_LIFETIME = 30 * 24 * 3600  # seconds from a token's iat to its exp
DEFAULT_MAX_BODY_BYTES = 1024 * 1024
DEFAULT_MAX_STRING_VALUE = 64 * 1024  # characters of a string or enum value
DEFAULT_MAX_JSON_VALUE = 256 * 1024  # characters of a json value's compact JSON text
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
LOG_FORMATS = ("json", "text")
_TRUE, _FALSE = ("1", "true", "yes", "on"), ("0", "false", "no", "off")


class InvalidSetting(ValueError):
    """A variable holds a value the service cannot use; the message names the variable.

    A ValueError, not one of errors.py: settings is a leaf that imports nothing of ours
    (docs/architecture.md), and this stops a process from starting, never crosses the API."""


def _whole(minimum: int) -> Callable[[str], int]:
    def read(raw: str) -> int:
        value = int(raw)
        if value < minimum:
            raise ValueError(raw)
        return value
    return read


def _seconds(raw: str) -> float:
    value = float(raw)
    if not math.isfinite(value) or value <= 0:
        raise ValueError(raw)
    return value


def _seconds_or_off(raw: str) -> float:
    value = float(raw)
    if not math.isfinite(value) or value < 0:
        raise ValueError(raw)
    return value


def _flag(raw: str) -> bool:
    word = raw.strip().lower()
    if word not in _TRUE + _FALSE:
        raise ValueError(raw)
    return word in _TRUE


def _url(raw: str) -> str:
    if not raw.strip().lower().startswith(("http://", "https://")):
        raise ValueError(raw)
    return raw.strip()


def _json_object(raw: str) -> dict:
    found = json.loads(raw)
    if not isinstance(found, dict):
        raise ValueError(raw)
    return found


def _choice(options: tuple[str, ...], normal: Callable[[str], str]) -> Callable[[str], str]:
    def read(raw: str) -> str:
        if normal(raw.strip()) not in options:
            raise ValueError(raw)
        return normal(raw.strip())
    return read


_SIGN_ON_ROLES = ("viewer", "editor", "admin")  # auth.ROLES; this module imports nothing of ours


def _role_map(raw: str) -> tuple[tuple[str, str], ...]:
    pairs = []
    for item in filter(None, (part.strip() for part in raw.split(","))):
        group, _, role = item.rpartition("=")
        if not group.strip() or role.strip() not in _SIGN_ON_ROLES:
            raise ValueError(raw)
        pairs.append((group.strip(), role.strip()))
    return tuple(pairs)


@dataclass(frozen=True)
class Variable:
    """One LAZYCONFIG_* variable: the Settings attribute it sets, how its text is read (a
    ValueError means unusable) and what a usable value is, for the message."""

    attribute: str
    read: Callable[[str], Any] = str
    expected: str = "text"
    fallback: str | None = None  # a variable read when this one is unset


VARIABLES: dict[str, Variable] = {  # the names after the prefix
    "DATABASE_URL": Variable("database_url", expected="a SQLAlchemy URL"),
    "INSTANCE_PATH": Variable("instance_path", Path, "a directory"),
    "CONFIG_FILE": Variable("config_file", expected="a file name"),
    "SNAPSHOT_MAX_COUNT": Variable("snapshot_max_count", _whole(0), "a whole number, 0 or more"),
    "SNAPSHOT_MAX_AGE_DAYS": Variable("snapshot_max_age_days", _whole(0),
                                      "a whole number of days, 0 or more"),
    "CHANGELOG_MAX_ENTRIES": Variable("changelog_max_entries", _whole(0),
                                      "a whole number, 0 (no limit) or more"),
    "CHANGELOG_MAX_AGE_DAYS": Variable("changelog_max_age_days", _whole(0),
                                       "a whole number of days, 0 (no limit) or more"),
    "POLL_INTERVAL": Variable("poll_interval", _seconds, "a number of seconds above 0"),
    "AUTO_MIGRATE": Variable("auto_migrate", _flag, "one of " + "/".join(_TRUE + _FALSE)),
    "RUN_DIR": Variable("run_dir", Path, "a directory"),
    "JWT_SECRET": Variable("jwt_secret"),
    "ENV": Variable("env", str.lower),
    "TOKEN_TTL": Variable("token_ttl", _whole(1), "a whole number of seconds, 1 or more"),
    "MAX_TOKEN_LIFETIME": Variable("max_token_lifetime", _whole(1),
                                   "a whole number of seconds, 1 or more"),
    "MAX_BODY_BYTES": Variable("max_body_bytes", _whole(1), "a whole number of bytes, 1 or more"),
    "MAX_STRING_VALUE": Variable("max_string_value", _whole(1),
                                 "a whole number of characters, 1 or more"),
    "MAX_JSON_VALUE": Variable("max_json_value", _whole(1),
                               "a whole number of characters, 1 or more"),
    "LOG_LEVEL": Variable("log_level", _choice(LOG_LEVELS, str.upper),
                          "one of " + ", ".join(LOG_LEVELS)),
    "LOG_FORMAT": Variable("log_format", _choice(LOG_FORMATS, str.lower), "json or text"),
    "HEADER_TIMEOUT": Variable("header_timeout", _seconds, "a number of seconds above 0"),
    "BODY_TIMEOUT": Variable("body_timeout", _seconds, "a number of seconds above 0"),
    "MAX_WAITING_CLIENTS": Variable("max_waiting_clients", _whole(0),
                                    "a whole number, 0 or more"),
    # Watchers served from the event loop (lazyconfig/serving/streams.py), per worker.
    "MAX_WATCHERS": Variable("max_watchers", _whole(0), "a whole number, 0 or more"),
    # Watchers not seen for longer leave GET /clients and are pruned (service/clients.py).
    "CLIENT_TTL": Variable("client_ttl", _whole(1), "a whole number of seconds, 1 or more"),
    # WEB_CONCURRENCY is the name gunicorn and hosting platforms use for the same thing.
    "WORKERS": Variable("workers", _whole(1), "a whole number, 1 or more", "WEB_CONCURRENCY"),
    # Single sign-on (docs/auth.md): tokens of an OIDC provider, verified with its keys.
    "OIDC_ISSUER": Variable("oidc_issuer", expected="the provider's issuer URL"),
    "OIDC_AUDIENCE": Variable("oidc_audience", expected="the audience tokens must name"),
    "OIDC_JWKS_URL": Variable("oidc_jwks_url", _url, "an http:// or https:// URL"),
    "OIDC_ROLE_CLAIM": Variable("oidc_role_claim", expected="a claim name (a.b for nested)"),
    "OIDC_ROLE_MAP": Variable("oidc_role_map", _role_map,
                              "GROUP=ROLE pairs, comma-separated, each ROLE viewer, editor "
                              "or admin"),
    "OIDC_USER_CLAIM": Variable("oidc_user_claim", expected="a claim name"),
    "OIDC_CLIENT_ID": Variable("oidc_client_id", expected="the console's client id"),
    # The command line's remote mode (lazyconfig/cli/profile.py): a server and its token.
    "URL": Variable("url", _url, "an http:// or https:// URL"),
    "TOKEN": Variable("token"),
    "PROFILE": Variable("profile", expected="a profile name"),
    # Scheduled backups (service/backup_schedule.py, docs/backups.md).
    "BACKUP_DIR": Variable("backup_dir", Path, "a directory"),
    "BACKUP_INTERVAL": Variable("backup_interval", _seconds_or_off,
                                "a number of seconds, 0 (off) or more"),
    "BACKUP_KEEP": Variable("backup_keep", _whole(1), "a whole number, 1 or more"),
    # Who this process is, for targeting and experiments (docs/targeting.md).
    "CLIENT_ID": Variable("client_id", expected="a client id"),
    "CONTEXT": Variable("context", _json_object, 'a JSON object, such as {"cluster": "eu-1"}'),
    # Gradual rollouts: how often a serving process checks for a due step (docs/targeting.md).
    "ROLLOUT_POLL": Variable("rollout_poll", _seconds_or_off,
                             "a number of seconds, 0 (this process drives none) or more"),
}
RESERVED = frozenset({"TEST_DATABASE_URL"})  # the test suite's (tests/conftest.py), not ours
# Names under the prefix that configure the service itself, never a configuration key.
SETTING_NAMES = frozenset(VARIABLES) | RESERVED


def _default_workers() -> int:
    # Each worker holds its own engine: more than a handful buys nothing for a config service.
    return min(2 * (os.cpu_count() or 1) + 1, 8)


@dataclass(frozen=True)
class Settings:
    """Every setting of the service; the README's Settings table says what each means."""

    database_url: str
    instance_path: Path
    config_file: str | None = None
    snapshot_max_count: int = 100
    snapshot_max_age_days: int = 30
    # Change-log retention (service/compaction.py, docs/operations.md); 0: no such limit.
    changelog_max_entries: int = 1_000_000
    changelog_max_age_days: int = 0
    poll_interval: float = 0.2
    auto_migrate: bool = True
    run_dir: Path | None = None  # where this host's processes share a head (host_head.py)
    jwt_secret: str = field(default="", repr=False)  # kept out of logs and tracebacks
    env: str = ""  # "production" demands a configured secret (auth.py)
    token_ttl: int = DEFAULT_TOKEN_TTL
    max_token_lifetime: int = DEFAULT_MAX_TOKEN_LIFETIME  # the server refuses longer tokens
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    max_string_value: int = DEFAULT_MAX_STRING_VALUE  # longer values are refused (422)
    max_json_value: int = DEFAULT_MAX_JSON_VALUE
    log_level: str = "INFO"
    log_format: str = "json"
    header_timeout: float = 10.0  # seconds a client may take to send a request's headers
    body_timeout: float = 30.0  # and its body (lazyconfig/serving)
    max_waiting_clients: int | None = None  # None: sized from the worker's threads, else 256
    # Event-loop watchers a worker holds: ~40 KiB each while up to date, at most 1 MiB unsent
    # before one is cut off (docs/notifications.md, "Limits").
    max_watchers: int = 20_000
    client_ttl: int = 3600  # seconds a named watcher stays known after it was last seen
    workers: int = field(default_factory=_default_workers)
    oidc_issuer: str = ""  # unset: no single sign-on
    oidc_audience: str = ""
    oidc_jwks_url: str | None = None
    oidc_role_claim: str = "groups"
    oidc_role_map: tuple[tuple[str, str], ...] = ()  # (provider group, role)
    oidc_user_claim: str = "preferred_username"  # else `sub`
    oidc_client_id: str = ""  # for the console's sign-in (authorization code with PKCE)
    url: str | None = None  # a server: the command line works through its API
    token: str = field(default="", repr=False)
    profile: str | None = None  # a [profiles.NAME] table of the profile file
    profile_file: Path | None = None  # the command line's profile file (cli/profile.py)
    backup_dir: Path | None = None  # None: <instance_path>/backups
    backup_interval: float = 0.0  # seconds between scheduled backups; 0: none
    backup_keep: int = 7  # backups kept in backup_dir, newest first
    client_id: str | None = None  # this process's unit in experiments and percentages
    context: dict | None = None  # this process's other attributes (cluster, host, version…)
    rollout_poll: float = 0.5  # seconds between checks for a due rollout step; 0: none

    SETTING_NAMES: ClassVar[frozenset[str]] = SETTING_NAMES

    def __post_init__(self) -> None:
        if self.token_ttl > self.max_token_lifetime:  # it would refuse the tokens it makes
            raise InvalidSetting(f"{PREFIX}TOKEN_TTL ({self.token_ttl}) must not exceed "
                                 f"{PREFIX}MAX_TOKEN_LIFETIME ({self.max_token_lifetime})")


    @property
    def oidc_enabled(self) -> bool:
        """True when single sign-on is configured; InvalidSetting when it is half done."""
        oidc = (self.oidc_issuer, self.oidc_audience, self.oidc_jwks_url)
        if any(oidc) and not all(oidc):
            raise InvalidSetting(f"single sign-on needs all of {PREFIX}OIDC_ISSUER, "
                                 f"{PREFIX}OIDC_AUDIENCE and {PREFIX}OIDC_JWKS_URL")
        return all(oidc)

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides) -> "Settings":
        """Defaults, then the variables in `env` (default: os.environ), then `overrides`
        (attribute names). InvalidSetting, naming the variable, for an unusable value."""
        env = os.environ if env is None else env
        values = {spec.attribute: value for name, spec in VARIABLES.items()
                  if (value := _read(env, name, spec)) is not None}
        instance = values.setdefault("instance_path", Path.cwd() / "instance")
        values.setdefault("database_url", f"sqlite:///{instance / 'lazyconfig.db'}")
        values.setdefault("profile_file", _profile_file(env))
        values.update(overrides)
        return cls(**values)

    @classmethod
    def load(cls, config: Mapping[str, Any] | None = None,
             env: Mapping[str, str] | None = None, **overrides) -> "Settings":
        """flaskr's order: defaults, then the environment, then the LAZYCONFIG_* entries of
        `config` (a test_config), read like the environment's; an unknown one is refused."""
        given = {name: str(value) for name, value in (config or {}).items()
                 if name.startswith(PREFIX)}
        unknown = sorted(name for name in given if name[len(PREFIX):] not in SETTING_NAMES)
        if unknown:
            raise InvalidSetting(f"{', '.join(unknown)}: not a lazyconfig setting")
        return cls.from_env({**(os.environ if env is None else env), **given}, **overrides)


def _profile_file(env: Mapping[str, str]) -> Path:
    """The XDG place: $XDG_CONFIG_HOME/lazyconfig/config.toml, else ~/.config/…"""
    base = env.get("XDG_CONFIG_HOME") or Path(env.get("HOME") or Path.home()) / ".config"
    return Path(base) / "lazyconfig" / "config.toml"


def _read(env: Mapping[str, str], name: str, spec: Variable) -> Any:
    """The value of PREFIX+name (else of its fallback) in `env`; None when unset or empty."""
    for variable in (PREFIX + name, spec.fallback):
        raw = env.get(variable) if variable else None
        if raw not in (None, ""):
            try:
                return spec.read(raw)
            except ValueError:
                raise InvalidSetting(f"{variable} must be {spec.expected}, not {raw!r}") from None
    return None
