"""lazyconfig: runtime configuration for a package lazy-loading system."""
from .domain import ConfigurationValidationRule, ValueType
from .service.bootstrap import bootstrap, get_configuration_engine
from .service.engine import ConfigurationEngine
from .service.results import UpdateResult
from .service.service_manager import ServiceManager, get_service_manager

__all__ = ["ConfigurationEngine", "ConfigurationValidationRule", "ServiceManager", "UpdateResult",
           "ValueType", "bootstrap", "create_app", "get_configuration_engine", "get_service_manager"]


def create_app(*args, **kwargs):
    """The Flask application (imported lazily: the engine itself needs no Flask)."""
    from .app import create_app as factory
    return factory(*args, **kwargs)
