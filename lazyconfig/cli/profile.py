"""The profile file: where the command finds a server and its token when neither a flag nor
LAZYCONFIG_URL / LAZYCONFIG_TOKEN names them (as etcdctl's or the Consul CLI's
environment does). TOML at $XDG_CONFIG_HOME/lazyconfig/config.toml (~/.config/… by default):

    url = "http://config.internal:7000"
    token = "eyJ…"

    [profiles.staging]                  # lazyconfig --profile staging …, or LAZYCONFIG_PROFILE
    url = "http://staging.internal:7000"
    token = "eyJ…"

Precedence: flags, then the environment, then the profile. A profile's token is sent only
to that profile's url, and a file holding a token must be private to its owner (like ssh's
keys): one that others may read is refused. No message ever shows a token.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..settings import Settings
from .backend import BadUsage

FIELDS = frozenset({"url", "token"})
PRIVATE = 0o077  # any permission for the group or others


class ProfileError(BadUsage):
    """The profile file cannot be used; the message names the file (exit status 2)."""


@dataclass(frozen=True)
class Remote:
    url: str
    token: str = field(repr=False)


def resolve(settings: Settings) -> Remote | None:
    """The server and token the command works through, or None for local mode."""
    if settings.url and settings.token and not settings.profile:
        return Remote(settings.url, settings.token)  # the file is not even read
    chosen = profile(settings)
    url = settings.url or chosen.get("url")
    if not url:
        return None
    token = settings.token
    if not token and chosen.get("url") in (None, url):
        token = chosen.get("token")
    if not token:
        raise BadUsage(f"no token for {url}: give --token, set LAZYCONFIG_TOKEN, or add "
                        f"`token` to {settings.profile_file}")
    return Remote(url, token)


def profile(settings: Settings) -> dict[str, str]:
    """The chosen profile's fields: [profiles.NAME] with --profile or LAZYCONFIG_PROFILE,
    else the file's top level ({} when there is no file)."""
    path = settings.profile_file
    data = load(path) if path is not None else {}
    if not settings.profile:
        return {name: data[name] for name in FIELDS if name in data}
    named = data.get("profiles", {})
    if settings.profile not in named:
        known = ", ".join(sorted(named)) or "none"
        raise ProfileError(f"no profile {settings.profile!r} in {path} (profiles: {known})")
    return named[settings.profile]


def load(path: Path) -> dict[str, Any]:
    """The file's contents, checked; {} when it does not exist."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return {}
    import tomllib
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ProfileError(f"{path}: not a TOML file: {exc}") from None
    check(path, data)
    return data


def check(path: Path, data: dict[str, Any]) -> None:
    tables = {"": data, **{f"profiles.{name}": table
                           for name, table in _tables(path, data.get("profiles", {}))}}
    for name, table in tables.items():
        unknown = set(table) - FIELDS - ({"profiles"} if name == "" else set())
        if unknown:
            where = f"[{name}]" if name else "the top level"
            raise ProfileError(f"{path}: unknown {', '.join(sorted(unknown))} in {where} "
                               f"(a profile holds url and token)")
        for item in FIELDS & set(table):
            if not isinstance(table[item], str):
                raise ProfileError(f"{path}: {item} must be a string")
    if any("token" in table for table in tables.values()) and path.stat().st_mode & PRIVATE:
        raise ProfileError(f"{path} holds a token and others may read it: "
                           f"chmod 600 {path}")


def _tables(path: Path, profiles: Any) -> list[tuple[str, dict]]:
    if not isinstance(profiles, dict) or not all(isinstance(t, dict) for t in profiles.values()):
        raise ProfileError(f"{path}: profiles must be tables, [profiles.NAME]")
    return list(profiles.items())
