"""The one exception hierarchy of lazyconfig; the API translates it to HTTP at its edge."""
from __future__ import annotations


class ConfigurationError(Exception):
    """Base of every error lazyconfig raises on purpose."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class UnknownKey(ConfigurationError):
    def __init__(self, key: str):
        super().__init__(f"unknown configuration key: {key!r}")
        self.key = key


class ValidationFailed(ConfigurationError):
    """One or more values broke their rules; `errors` maps each key to its messages."""

    def __init__(self, errors: dict[str, list[str]], message: str | None = None):
        summary = "; ".join(f"{key}: {', '.join(msgs)}" for key, msgs in errors.items())
        super().__init__(message or f"validation failed: {summary}")
        self.errors = errors


class SnapshotNotFound(ConfigurationError):
    def __init__(self, snapshot_id: object):
        super().__init__(f"snapshot {snapshot_id!r} does not exist")
        self.snapshot_id = snapshot_id


class InvalidDocument(ConfigurationError):
    """An import document, config file or request body that is not of the expected shape."""


class InvalidSource(ConfigurationError):
    """A write named a layer that cannot be written (default, file or environment)."""


class Conflict(ConfigurationError):
    """The state changed since the caller read it (a version or revision precondition)."""

    def __init__(self, message: str, current: object = None):
        super().__init__(message)
        self.current = current


class StorageUnavailable(ConfigurationError):
    """The database could not be reached; nothing was written."""


class SecretError(ConfigurationError):
    """No usable token signing secret: the server must not start."""
