"""Bootstrap: the one place that wires an engine from Settings.

With the default storage it opens the database, migrates it, seeds the built-in rules and
keeps the process in step with other writers (coherence/); given a storage (the tests'
in-memory fakes), it wires the same service over it, alone with it.
"""
from __future__ import annotations

import getpass
import os
import threading
from typing import Mapping

from ..coherence.freshness import HostFreshness, LocalFreshness
from ..coherence.host_head import HostHead
from ..coherence.notifier import Notifier
from ..coherence.replica import Replica
from ..coherence.watcher import RevisionWatcher
from ..db import migrate
from ..db.connection import make_engine
from ..db.head import ChangeLogHead
from ..db.protocols import Storage
from ..db.unit_of_work import SqlStorage
from ..domain.targeting import read_context
from ..settings import Settings
from .engine import ConfigurationEngine
from .rules import Validators, seed_builtin_rules
from .sources import ExternalLayers


def bootstrap(settings: Settings | None = None, *, env: Mapping[str, str] | None = None,
              watch: bool = True, storage: Storage | None = None) -> ConfigurationEngine:
    """An engine for `settings` (default: from the environment). `env` supplies the
    environment layer's variables; `watch` follows other processes' writes in the
    background; `storage` replaces the default SqlStorage (one without an `engine`, such as
    the tests' in-memory fakes, is alone with its data: nothing coordinates with others)."""
    env = dict(os.environ if env is None else env)
    settings = settings or Settings.from_env(env)

    def load_sources(new_env: Mapping[str, str] | None = None) -> ExternalLayers:
        return ExternalLayers.load(dict(os.environ if new_env is None else new_env),
                                   settings.config_file)

    validators, closers = Validators(), []
    storage = storage or SqlStorage(make_engine(settings.database_url))
    database = getattr(storage, "engine", None)  # None: in memory, alone with its storage
    if database is not None and settings.auto_migrate:
        migrate.run(database)
    seed_builtin_rules(storage)
    replica = Replica(storage, load_sources(env), validators.decorate, Notifier())
    if database is None:
        freshness = LocalFreshness(replica)
    else:
        freshness = HostFreshness(replica, storage, ChangeLogHead(settings.database_url),
                                  HostHead(settings.database_url, settings.run_dir))
        if watch:
            # ask_database, not refresh: a poll that finds nothing new takes no lock, so the
            # watcher never makes a writer or a reader wait.
            watcher = RevisionWatcher(freshness.ask_database, settings.database_url,
                                      settings.poll_interval)
            watcher.start()
            closers.append(watcher.stop)
        closers += [freshness.close, database.dispose]
    return ConfigurationEngine(settings=settings, storage=storage, replica=replica,
                               freshness=freshness, validators=validators,
                               load_sources=load_sources, default_user=_os_user(),
                               database=database, closers=closers,
                               context=_context(settings))


def _context(settings: Settings) -> dict:
    """This process's context: LAZYCONFIG_CONTEXT, with LAZYCONFIG_CLIENT_ID as client_id."""
    given = dict(settings.context or {})
    if settings.client_id:
        given["client_id"] = settings.client_id
    return read_context(given)


def _os_user() -> str:
    """Who a Python call without user= is attributed to."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


_engines: dict[str, ConfigurationEngine] = {}
_engines_lock = threading.Lock()


def get_configuration_engine(settings: Settings | None = None, *,
                             context: Mapping | None = None) -> ConfigurationEngine:
    """The process's engine for the configured database (LAZYCONFIG_DATABASE_URL, or an
    SQLite file in the instance folder), created on first use; with `context`, who this
    process is ({"client_id": ..., "cluster": ...}): `get` answers for it."""
    settings = settings or Settings.from_env()
    with _engines_lock:
        engine = _engines.get(settings.database_url)
        if engine is None:
            engine = _engines[settings.database_url] = bootstrap(settings)
    if context is not None:
        engine.use_context(context)
    return engine


def close_configuration_engines() -> None:
    """Close every engine get_configuration_engine made (tests and shutdown use this)."""
    with _engines_lock:
        for engine in _engines.values():
            engine.close()
        _engines.clear()
