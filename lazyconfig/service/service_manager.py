"""The service-manager integration: services that provide configuration values.

A service registers the keys and values it provides, and optionally a callback for changes
to those keys. An integrated engine writes the values as the `service` layer (validated;
a refused value is reported by validate_configuration and not applied), takes in the values
a service updates later, and calls the service's callback when any of its keys change.
"""
from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from typing import Any, Callable

from ..domain import Change
from ..domain.model import same
from . import reads

log = logging.getLogger(__name__)
ValuesListener = Callable[["RegisteredService"], None]


@dataclass
class RegisteredService:
    name: str
    values: dict[str, Any] = field(default_factory=dict)
    on_change: Callable[[Change], object] | None = None


class ServiceManager:
    """A registry of services and the configuration values they provide."""

    def __init__(self) -> None:
        self._services: dict[str, RegisteredService] = {}
        self._listeners: list[ValuesListener] = []
        self._lock = threading.RLock()

    def register_service(self, name: str, values: dict[str, Any] | None = None,
                         on_change: Callable[[Change], object] | None = None) -> RegisteredService:
        service = RegisteredService(name, dict(values or {}), on_change)
        with self._lock:
            self._services[name] = service
            listeners = list(self._listeners)
        for listener in listeners:
            listener(service)
        return service

    def update_service(self, name: str, values: dict[str, Any]) -> None:
        """A service's new values; integrated engines take them in at once."""
        with self._lock:
            service = self._services[name]
            service.values.update(values)
            listeners = list(self._listeners)
        for listener in listeners:
            listener(RegisteredService(name, dict(values), service.on_change))

    def unregister_service(self, name: str) -> None:
        with self._lock:
            self._services.pop(name, None)

    def services(self) -> list[RegisteredService]:
        with self._lock:
            return list(self._services.values())

    def add_listener(self, listener: ValuesListener) -> None:
        with self._lock:
            self._listeners.append(listener)

    def remove_listener(self, listener: ValuesListener) -> None:
        with self._lock:
            if listener in self._listeners:
                self._listeners.remove(listener)


_default_manager = ServiceManager()


def get_service_manager() -> ServiceManager:
    """The process-wide manager `integrate_with_service_manager()` uses by default."""
    return _default_manager


def set_service_manager(manager: ServiceManager) -> ServiceManager:
    """Make `manager` the process-wide default; returns the one it replaces."""
    global _default_manager
    previous, _default_manager = _default_manager, manager
    return previous


class Integrations:
    """An engine's integrations, one per manager, and the service problems they reported."""

    def __init__(self) -> None:
        self.errors: dict[str, list[str]] = {}
        self._by_manager: dict[int, ServiceIntegration] = {}
        self._lock = threading.Lock()

    def integrate(self, engine, manager: ServiceManager | None) -> dict[str, dict[str, list[str]]]:
        manager = manager or get_service_manager()
        with self._lock:  # one integration per manager: integrating again must not double up
            integration = self._by_manager.get(id(manager))
            if integration is None:
                integration = self._by_manager[id(manager)] = ServiceIntegration(engine, manager)
        return integration.start()

    def record_errors(self, errors: dict[str, list[str]]) -> None:
        for key, messages in errors.items():
            if messages:
                self.errors[key] = list(messages)
            else:
                self.errors.pop(key, None)

    def stop(self) -> None:
        """A closed engine must not keep writing a manager's values."""
        for integration in list(self._by_manager.values()):
            integration.stop()
        self._by_manager.clear()


class ServiceIntegration:
    """Wires one engine to one manager."""

    def __init__(self, engine, manager: ServiceManager):
        self.engine = engine
        self.manager = manager
        self._subscribed: set[str] = set()
        self._subscriptions: list = []
        self._listening = False

    def start(self) -> dict[str, dict[str, list[str]]]:
        """Load every registered service now; returns the refused values per service.
        Starting again reloads them without listening or subscribing twice."""
        if not self._listening:
            self.manager.add_listener(self._take_in)
            self._listening = True
        return {service.name: self._take_in(service) for service in self.manager.services()}

    def stop(self) -> None:
        """Stop taking in the manager's values and calling its services back."""
        self.manager.remove_listener(self._take_in)
        self._listening = False
        for subscription in self._subscriptions:
            self.engine.unsubscribe(subscription)
        self._subscriptions.clear()
        self._subscribed.clear()

    def _take_in(self, service: RegisteredService) -> dict[str, list[str]]:
        refused = {key: problems for key, value in service.values.items()
                   if (problems := reads.check(self.engine.replica.state, key, value,
                                               self.engine.pipeline.caps))}
        if refused:
            log.error("service %s provided invalid values, not applied: %s", service.name, refused)
        # Every key the service just provided gets its report replaced: a good value clears
        # an earlier rejection.
        self.engine.record_service_errors(
            {key: [f"service {service.name} value rejected: {m}" for m in refused.get(key, [])]
             for key in service.values})
        entries = self.engine.entries()
        changed = {key: value for key, value in service.values.items()
                   if key not in refused and not _layer_holds(entries[key].layers, value)}
        if changed:
            self.engine.write_values(changed, source="service", user=f"service:{service.name}",
                                     description=f"provided by service {service.name}")
        if service.on_change is not None and service.name not in self._subscribed:
            self._subscribed.add(service.name)
            self._subscriptions.append(self.engine.subscribe(self._forwarder(service.name)))
        return refused

    def _forwarder(self, name: str) -> Callable[[Change], None]:
        """Delivers a change to the service's callback if the key is one the service provides
        now: keys it adds later count, and a re-registration's new callback is the one used."""
        def forward(change: Change) -> None:
            service = next((s for s in self.manager.services() if s.name == name), None)
            if service is not None and service.on_change and change.key in service.values:
                service.on_change(change)
        return forward


def _layer_holds(layers: dict[str, Any], value: Any) -> bool:
    return "service" in layers and same(layers["service"], value)
