"""Bootstrap: the one place that wires an engine from Settings.

With the default storage it opens the database, migrates it, seeds the built-in rules and
keeps the process in step with other writers (coherence/); given a storage (the tests'
in-memory fakes), it wires the same service over it, alone with it.
"""
from __future__ import annotations

import getpass
import os
import threading
from typing import Iterable, Mapping

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
from ..domain.key_migrations import Step
from ..domain.targeting import read_context
from ..settings import Settings
from .analytics import RefusalLog
from .engine import ConfigurationEngine
from .rules import Validators, seed_builtin_rules
from .sources import ExternalLayers


def bootstrap(settings: Settings | None = None, *, env: Mapping[str, str] | None = None,
              watch: bool = True, storage: Storage | None = None,
              key_migrations: Iterable[Step] | None = None) -> ConfigurationEngine:
    """An engine for `settings` (default: from the environment). `env` supplies the
    environment layer's variables; `watch` follows other processes' writes in the
    background; `storage` replaces the default SqlStorage (one without an `engine`, such as
    the tests' in-memory fakes, is alone with its data: nothing coordinates with others);
    `key_migrations` replaces this release's config-migration steps, which run at start
    when LAZYCONFIG_AUTO_MIGRATE is on."""
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
    refusals = RefusalLog(storage)
    freshness = _freshness(settings, storage, replica, watch, closers)
    if database is not None:
        closers += [refusals.close, freshness.close, database.dispose]
    engine = ConfigurationEngine(settings=settings, storage=storage, replica=replica,
                                 freshness=freshness, validators=validators,
                                 load_sources=load_sources, default_user=_os_user(),
                                 database=database, closers=closers,
                                 context=_context(settings))
    if database is not None:
        engine = engine.recording_refusals(refusals)
    return _migrated(engine, key_migrations)


def _freshness(settings: Settings, storage: Storage, replica: Replica, watch: bool,
               closers: list):
    """How reads prove they are current: alone with in-memory storage, or with the database
    and this host's other processes (and a watcher of other processes' writes)."""
    if getattr(storage, "engine", None) is None:
        return LocalFreshness(replica)
    freshness = HostFreshness(replica, storage, ChangeLogHead(settings.database_url),
                              HostHead(settings.database_url, settings.run_dir))
    if watch:
        # ask_database, not refresh: a poll that finds nothing new takes no lock, so the
        # watcher never makes a writer or a reader wait.
        watcher = RevisionWatcher(freshness.ask_database, settings.database_url,
                                  settings.poll_interval)
        watcher.start()
        closers.append(watcher.stop)
    return freshness


def _migrated(engine: ConfigurationEngine,
              key_migrations: Iterable[Step] | None) -> ConfigurationEngine:
    """The engine, after the pending config-migration steps when auto-migrate is on; an
    engine whose steps are refused does not start."""
    if key_migrations is not None:
        engine.key_migrations = tuple(key_migrations)
    if engine.settings.auto_migrate and engine.key_migrations:
        try:
            engine.migrate_configuration(user="system")
        except BaseException:
            engine.close()
            raise
    return engine


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
