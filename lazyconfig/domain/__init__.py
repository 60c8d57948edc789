"""Plain types, the key catalog and rule evaluation; imports nothing outside the stdlib."""
from .catalog import BUILTIN_RULES
from .model import SOURCES, WRITABLE_SOURCES, Change, ConfigEntry
from .rules import MASK, ConfigurationValidationRule, ValueType

__all__ = ["BUILTIN_RULES", "SOURCES", "WRITABLE_SOURCES", "Change", "ConfigEntry", "MASK",
           "ConfigurationValidationRule", "ValueType"]
