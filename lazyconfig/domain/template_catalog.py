"""The built-in templates for the lazy-loading keys of catalog.py; each value and why is in
README.md ("Templates") and docs/templates.md. They ship with the release, so they are
read-only: a config migration of a release updates them in this module, with the catalog."""
from __future__ import annotations

from .catalog import BUILTIN_RULES
from .templates import Template, define

MIB = 1 << 20
_MEMORY_BUDGET = {"type": "int", "min": 16 * MIB, "max": 1 << 50,
                  "description": "memory the process may use for loaded packages, in bytes"}

DEFINITIONS = (
    {"name": "balanced",
     "description": "The catalog's defaults: a middle way between memory and speed.",
     "values": {rule.key: rule.default_value for rule in BUILTIN_RULES}},
    {"name": "memory-constrained",
     "description": "Small hosts: unload early and often, low pressure thresholds, a small "
                    "cache derived from the memory budget.",
     "params": {"memory_budget": {**_MEMORY_BUDGET, "default": 256 * MIB}},
     "values": {"lazy_loading_unloading_enabled": True,
                "lazy_loading_unloading_strategy": "AGGRESSIVE",
                "lazy_loading_unloading_check_interval": 15.0,
                "lazy_loading_unloading_aggressive_timeout": 120.0,
                "lazy_loading_unloading_memory_pressure_threshold": 0.6,
                "lazy_loading_unloading_memory_pressure_timeout": 30.0,
                "lazy_loading_unloading_max_unloads_per_cycle": 25,
                "memory_pressure_threshold": 0.7,
                "memory_optimization_enabled": True,
                "memory_cleanup_interval": 60.0,
                "max_concurrent_loads": 2},
     "derived": {"cache_size_limit": "memory_budget // 16",
                 "lazy_loading_unloading_min_memory_savings_threshold":
                     "max(memory_budget // 1024, 65536)"}},
    {"name": "throughput",
     "description": "Large hosts: keep packages loaded, load many at once, a big cache "
                    "derived from the memory budget.",
     "params": {"memory_budget": {**_MEMORY_BUDGET, "default": 4096 * MIB}},
     "values": {"lazy_loading_unloading_strategy": "CONSERVATIVE",
                "lazy_loading_unloading_check_interval": 300.0,
                "lazy_loading_unloading_conservative_timeout": 7200.0,
                "lazy_loading_unloading_memory_pressure_threshold": 0.92,
                "lazy_loading_unloading_max_unloads_per_cycle": 5,
                "memory_pressure_threshold": 0.95,
                "max_concurrent_loads": 16,
                "load_timeout": 120.0,
                "cache_enabled": True,
                "reloading_check_interval": 120.0},
     "derived": {"cache_size_limit": "memory_budget // 4",
                 "lazy_loading_unloading_min_memory_savings_threshold":
                     "max(memory_budget // 256, 1048576)"}},
    {"name": "diagnostics",
     "description": "Investigating: analytics and monitoring on, short collection and "
                    "check intervals.",
     "values": {"analytics_enabled": True,
                "performance_monitoring_enabled": True,
                "metrics_collection_interval": 5.0,
                "lazy_loading_unloading_check_interval": 15.0,
                "reloading_check_interval": 10.0,
                "memory_cleanup_interval": 60.0}},
)


def builtin_templates() -> dict[str, Template]:
    """The built-in templates by name (version 1, author `lazyconfig`)."""
    keys = [rule.key for rule in BUILTIN_RULES]
    return {d["name"]: define(d, keys, author="lazyconfig", builtin=True) for d in DEFINITIONS}
