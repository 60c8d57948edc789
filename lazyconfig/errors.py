"""The one exception hierarchy of lazyconfig; the API translates it to HTTP at its edge
(lazyconfig/api/errors.py), the CLI to one line (lazyconfig/cli/root.py)."""
from __future__ import annotations

from typing import Any, Mapping


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


class UnstorableText(ValidationFailed):
    """Text no database could store as given (a NUL, a lone surrogate, longer than its
    column) in what describes a request (a description, tag, user, a rule's unit): a
    malformed request rather than a value that broke its rule."""


class ValueTooLarge(UnstorableText):
    """A value longer than its key type's cap (LAZYCONFIG_MAX_STRING_VALUE,
    LAZYCONFIG_MAX_JSON_VALUE): refused whatever its rule says."""


class SnapshotNotFound(ConfigurationError):
    def __init__(self, snapshot_id: object):
        super().__init__(f"snapshot {snapshot_id!r} does not exist")
        self.snapshot_id = snapshot_id


class TemplateNotFound(ConfigurationError):
    def __init__(self, name: object):
        super().__init__(f"template {name!r} does not exist")
        self.name = name
class TokenNotFound(ConfigurationError):
    """No service token has this id."""

    def __init__(self, token_id: int):
        super().__init__(f"there is no service token {token_id}")
        self.token_id = token_id


class ExperimentNotFound(ConfigurationError):
    def __init__(self, experiment_id: object):
        super().__init__(f"experiment {experiment_id!r} does not exist")
        self.experiment_id = experiment_id


class ChangeRequestNotFound(ConfigurationError):
    """No change request has this id."""

    def __init__(self, request_id: int):
        super().__init__(f"there is no change request {request_id}")
        self.change_request_id = request_id


class NotAllowed(ConfigurationError):
    """The caller's role suffices, but this caller may not do this (four eyes: nobody
    approves their own change request)."""


class RolloutNotFound(ConfigurationError):
    def __init__(self, rollout_id: object):
        super().__init__(f"rollout {rollout_id!r} does not exist")
        self.rollout_id = rollout_id


class ChangeLogCompacted(ConfigurationError):
    """A request named a revision older than the change log keeps: the changes up to
    `first_kept_revision` were compacted into a checkpoint, so only that revision and later
    ones can be answered exactly (docs/operations.md, "Change-log retention")."""

    def __init__(self, revision: int, first_kept_revision: int):
        super().__init__(
            f"revision {revision} is older than the change log keeps: changes up to revision "
            f"{first_kept_revision} were compacted; ask for revision {first_kept_revision} "
            "or later, or read the current state again")
        self.revision, self.first_kept_revision = revision, first_kept_revision


class InvalidDocument(ConfigurationError):
    """An import document, config file or request body that is not of the expected shape."""


class InvalidSource(ConfigurationError):
    """A write named a layer that cannot be written (default, file or environment)."""


class Conflict(ConfigurationError):
    """The state changed since the caller read it (a version or revision precondition)."""

    def __init__(self, message: str, current: object = None):
        super().__init__(message)
        self.current = current


class PreconditionFailed(Conflict):
    """A precondition the caller sent no longer holds. `current` is {key: version} of the
    keys that moved, or the revision; `entries` holds those keys' entries as they stood
    when the write was refused (None for a revision), so nobody has to read them again."""

    def __init__(self, message: str, current: object,
                 entries: Mapping[str, Any] | None = None):
        super().__init__(message, current)
        self.entries = entries


class Unavailable(ConfigurationError):
    """Not now: the same request may well succeed in a few seconds."""


class StorageUnavailable(Unavailable):
    """The database could not be reached; nothing was written."""


class FeedBusy(Unavailable):
    """The change feed already serves as many waiting clients as it may."""


class FeedClosed(Unavailable):
    """The change feed closed (the process is shutting down), or a listener fell so far
    behind that it must catch up from the change log."""

    def __init__(self, message: str = "cannot wait for changes now: the change feed closed"):
        super().__init__(message)


class NotReady(ConfigurationError):
    """This process should get no traffic until an operator acts (a schema behind)."""


class SchemaMoved(NotReady):
    """The database's tables no longer match ours (a table missing, renamed, or holding
    rows our schema forbids): nothing was changed, and nothing will be until the schema is
    back at the newest migration and this process has loaded its state again."""


class InvalidParameter(ConfigurationError):
    """A request's text the database cannot hold (a NUL character, say): nothing was read
    or changed, and the same request will be refused again."""


class SecretError(ConfigurationError):
    """No usable token signing secret: the server must not start."""


class InvalidBackup(ConfigurationError):
    """A backup file that fails verification: damaged, not a backup, or of a schema this
    lazyconfig cannot restore (docs/backups.md)."""


class BackupNotFound(ConfigurationError):
    def __init__(self, backup_id: object):
        super().__init__(f"backup {backup_id!r} does not exist")
        self.backup_id = backup_id


class DatabaseNotEmpty(ConfigurationError):
    """A restore's target already holds configuration; `--force` replaces it."""
