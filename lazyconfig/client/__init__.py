"""A Python client for the lazyconfig REST API, and LiveConfig, a local copy that stays
current from the change stream.

    from lazyconfig.client import ConfigClient, LiveConfig

    client = ConfigClient("http://127.0.0.1:7000", token)
    client.set("lazy_loading_unloading_check_interval", 30.0, description="faster")
    with LiveConfig(client) as config:
        config.get("lazy_loading_unloading_check_interval")   # a memory read
"""
from .config_client import ConfigClient
from .errors import (ApiError, Conflict, Forbidden, MalformedRequest, NotFound, ServerError,
                     ServiceUnavailable, Unauthorized, ValidationFailed)
from .events import ChangeStream
from .live import LiveConfig

__all__ = ["ApiError", "ChangeStream", "ConfigClient", "Conflict", "Forbidden", "LiveConfig",
           "MalformedRequest", "NotFound", "ServerError", "ServiceUnavailable", "Unauthorized",
           "ValidationFailed"]
