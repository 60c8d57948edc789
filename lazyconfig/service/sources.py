"""The layers that live outside the database: a config file and environment variables.

Both are read once per process (and again on `engine.reload_sources()`); their text is
parsed by each key's type. A value that fails to parse or validate is not applied: the next
layer down stands, and the error is reported by `validate_configuration()`.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

from ..domain import ConfigurationValidationRule
from ..errors import InvalidDocument
from ..settings import PREFIX, SETTING_NAMES
from .formats import parse_document

log = logging.getLogger(__name__)


def env_name(key: str) -> str:
    """The environment variable that overrides `key`: LAZYCONFIG_<KEY IN UPPER CASE>."""
    return PREFIX + key.upper().replace(".", "_").replace("-", "_")


def read_config_file(path: str) -> dict[str, Any]:
    """A flat mapping of key to value from a YAML, TOML or JSON file (chosen by extension)."""
    try:
        data = parse_document(Path(path).read_bytes(), Path(path).suffix or Path(path).name)
    except InvalidDocument as exc:
        raise InvalidDocument(f"{path}: {exc.message}") from exc
    if not isinstance(data, dict):
        raise InvalidDocument(f"{path}: expected a mapping of configuration keys to values")
    return data


@dataclass
class ExternalLayers:
    """Raw values from the config file and the environment, before parsing."""

    file_values: dict[str, Any] = field(default_factory=dict)
    environment: dict[str, str] = field(default_factory=dict)
    errors: dict[str, list[str]] = field(default_factory=dict)  # problems not tied to a key

    @classmethod
    def load(cls, env: Mapping[str, str], config_file: str | None) -> "ExternalLayers":
        layers = cls(environment={k: v for k, v in env.items()
                                  if k.startswith(PREFIX) and k[len(PREFIX):] not in SETTING_NAMES})
        if config_file:
            try:
                layers.file_values = read_config_file(config_file)
            except (OSError, InvalidDocument) as exc:
                message = exc.message if isinstance(exc, InvalidDocument) else str(exc)
                log.error("config file not applied: %s", message)
                layers.errors[config_file] = [message]
        return layers

    def values_for(self, rule: ConfigurationValidationRule) -> tuple[dict[str, Any], list[str]]:
        """The valid file and environment values for one key, and messages for invalid ones."""
        found: dict[str, Any] = {}
        errors: list[str] = []
        raw_by_source = (("file", self.file_values, rule.key),
                         ("environment", self.environment, env_name(rule.key)))
        for source, raw_values, name in raw_by_source:
            if name not in raw_values:
                continue
            try:
                value, problems = rule.check(rule.parse(raw_values[name]))
            except ValueError as exc:
                # The parser's message quotes the text: keep a sensitive key's text out of it.
                problems = ([f"cannot parse the text as {rule.value_type.value}"] if rule.sensitive
                            else [f"cannot parse {raw_values[name]!r}: {exc}"])
            if problems:
                errors.extend(f"{source} value rejected: {p}" for p in problems)
            else:
                found[source] = value
        return found, errors

    def unknown_keys(self, known: set[str]) -> dict[str, list[str]]:
        known_env = {env_name(k) for k in known}
        unknown = {k: ["file value for an unknown key"] for k in self.file_values if k not in known}
        unknown.update({name: ["environment variable for an unknown key"]
                        for name in self.environment if name not in known_env})
        return unknown
