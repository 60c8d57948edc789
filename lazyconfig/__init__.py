"""lazyconfig: runtime configuration for a package lazy-loading system."""
from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING

# Exports load on first use (PEP 562): `lazyconfig --help` and the remote commands import
# this package but never the engine, SQLAlchemy or Alembic (tests/cli/test_fast_start.py).
_EXPORTS = {
    "ConfigurationEngine": ".service.engine",
    "ConfigurationValidationRule": ".domain",
    "ServiceManager": ".service.service_manager",
    "UpdateResult": ".service.results",
    "ValueType": ".domain",
    "bootstrap": ".service.bootstrap",
    "get_configuration_engine": ".service.bootstrap",
    "get_service_manager": ".service.service_manager",
}

__all__ = sorted([*_EXPORTS, "create_app"])

if TYPE_CHECKING:
    from .domain import ConfigurationValidationRule, ValueType
    from .service.bootstrap import bootstrap, get_configuration_engine
    from .service.engine import ConfigurationEngine
    from .service.results import UpdateResult
    from .service.service_manager import ServiceManager, get_service_manager


def __getattr__(name: str):
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(_EXPORTS[name], __name__), name)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_EXPORTS})


def create_app(*args, **kwargs):
    """The Flask application (imported lazily: the engine itself needs no Flask)."""
    from .app import create_app as factory
    return factory(*args, **kwargs)
