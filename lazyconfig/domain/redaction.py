"""What a caller may see of sensitive values: the one place that masks them.

The API, the change stream, the CLI, exports and the change log's log lines all show values
through a Redaction, so a sensitive key reads the same everywhere: `***` unless revealed.
"""
from __future__ import annotations

from typing import Any, Mapping

from .model import Change
from .rules import MASK, ConfigurationValidationRule


class Redaction:
    """Shows values as one caller may see them: masked for sensitive keys unless `reveal`."""

    __slots__ = ("_rules", "reveal")

    def __init__(self, rules: Mapping[str, ConfigurationValidationRule], reveal: bool):
        self._rules, self.reveal = rules, reveal

    def is_sensitive(self, key: str) -> bool:
        rule = self._rules.get(key)
        return bool(rule and rule.sensitive)

    def value(self, key: str, value: Any) -> Any:
        if self.reveal or value is None or not self.is_sensitive(key):
            return value
        return MASK

    def layers(self, key: str, layers: Mapping[str, Any]) -> dict[str, Any]:
        return {source: self.value(key, value) for source, value in layers.items()}

    def change(self, change: Change) -> dict[str, Any]:
        """A change-log entry as a dict, its old and new value shown as this caller may."""
        data = change.as_dict()
        if not self.reveal and self.is_sensitive(change.key):
            data["old_value"] = self.value(change.key, change.old_value)
            data["new_value"] = self.value(change.key, change.new_value)
        return data
