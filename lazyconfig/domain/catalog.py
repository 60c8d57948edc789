"""The built-in keys of the spec's "Configuration Keys" section, with their rules.

Rule families (from the spec's "Validation Rules"): booleans; positive integers for counts
and limits; positive floats for intervals and timeouts; 0.0-1.0 for thresholds; an enum for
the strategy; non-negative integers for byte sizes. Upper bounds keep absurd values out.
"""
from __future__ import annotations

from .rules import ConfigurationValidationRule, ValueType

DAY = 86_400.0
STRATEGIES = ("AGGRESSIVE", "BALANCED", "CONSERVATIVE")


def _flag(key: str, default: bool, description: str) -> ConfigurationValidationRule:
    return ConfigurationValidationRule(
        key, default_value=default, value_type=ValueType.BOOL, description=description,
        origin="builtin")


def _seconds(key: str, default: float, description: str) -> ConfigurationValidationRule:
    return ConfigurationValidationRule(
        key, default_value=default, value_type=ValueType.FLOAT, min_value=0.0,
        min_exclusive=True, max_value=DAY, unit="seconds", description=description,
        origin="builtin")


def _ratio(key: str, default: float, description: str) -> ConfigurationValidationRule:
    return ConfigurationValidationRule(
        key, default_value=default, value_type=ValueType.FLOAT, min_value=0.0, max_value=1.0,
        unit="ratio", description=description, origin="builtin")


def _count(key: str, default: int, description: str, high: int = 10_000) -> ConfigurationValidationRule:
    return ConfigurationValidationRule(
        key, default_value=default, value_type=ValueType.INT, min_value=1, max_value=high,
        unit="count", description=description, origin="builtin")


def _bytes(key: str, default: int, description: str) -> ConfigurationValidationRule:
    return ConfigurationValidationRule(
        key, default_value=default, value_type=ValueType.INT, min_value=0, max_value=2**50,
        unit="bytes", description=description, origin="builtin")


BUILTIN_RULES: tuple[ConfigurationValidationRule, ...] = (
    # Unloading
    _flag("lazy_loading_unloading_enabled", True, "Enable/disable the unloading system"),
    _seconds("lazy_loading_unloading_check_interval", 60.0, "Interval between unloading checks"),
    ConfigurationValidationRule(
        "lazy_loading_unloading_strategy", default_value="BALANCED", value_type=ValueType.ENUM,
        choices=STRATEGIES, description="Unloading strategy", origin="builtin"),
    _seconds("lazy_loading_unloading_aggressive_timeout", 300.0, "Timeout for aggressive strategy"),
    _seconds("lazy_loading_unloading_balanced_timeout", 900.0, "Timeout for balanced strategy"),
    _seconds("lazy_loading_unloading_conservative_timeout", 3600.0,
             "Timeout for conservative strategy"),
    _ratio("lazy_loading_unloading_memory_pressure_threshold", 0.8, "Memory pressure threshold"),
    _seconds("lazy_loading_unloading_memory_pressure_timeout", 60.0, "Memory pressure timeout"),
    _count("lazy_loading_unloading_max_unloads_per_cycle", 10,
           "Maximum packages to unload per cycle"),
    _bytes("lazy_loading_unloading_min_memory_savings_threshold", 1_048_576,
           "Minimum memory savings threshold"),
    # Reloading
    _flag("package_reloading_enabled", True, "Enable/disable package reloading"),
    _flag("smart_reloading_enabled", True, "Enable/disable smart reloading"),
    _seconds("reloading_check_interval", 30.0, "Interval between reloading checks"),
    _count("max_reloads_per_cycle", 5, "Maximum packages to reload per cycle"),
    _ratio("reloading_performance_threshold", 0.5, "Performance threshold for reloading"),
    # Memory management
    _ratio("memory_pressure_threshold", 0.85, "Global memory pressure threshold"),
    _flag("memory_optimization_enabled", True, "Enable/disable memory optimization"),
    _seconds("memory_cleanup_interval", 300.0, "Memory cleanup interval"),
    # Performance
    _count("max_concurrent_loads", 4, "Maximum concurrent package loads", high=1024),
    _seconds("load_timeout", 30.0, "Package load timeout"),
    _flag("cache_enabled", True, "Enable/disable caching"),
    _bytes("cache_size_limit", 104_857_600, "Cache size limit"),
    # Analytics and monitoring
    _flag("analytics_enabled", True, "Enable/disable analytics"),
    _flag("performance_monitoring_enabled", True, "Enable/disable performance monitoring"),
    _seconds("metrics_collection_interval", 60.0, "Metrics collection interval"),
)
