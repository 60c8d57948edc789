"""The configuration's tables (and, from db/access_models.py, those of who may call);
db/migrations/ mirrors them exactly (tests/migrations checks it). Column sizes come from
domain/limits.py, which validation checks first, so that both databases refuse the same
input."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..domain.limits import (BATCH_ID_MAX, HOST_ID_MAX, KEY_MAX, NAME_MAX, PATTERN_MAX,
                             REQUEST_ID_MAX, STEP_ID_MAX, TEMPLATE_NAME_MAX, UNIT_ID_MAX,
                             UNIT_MAX, USER_MAX, LABEL_MAX)

DAY_MAX = 10  # YYYY-MM-DD
PASSWORD_HASH_MAX = 200  # an argon2id hash in its PHC text form is about 100 characters
from .base import Base, BigId, JSONValue, UTCDateTime, utcnow

CLIENT_FIELD_MAX = 200  # a watcher's id, host and version (service/clients.py)


class RuleRow(Base):
    """Validation-rule metadata for one key; a key without a row does not exist."""

    __tablename__ = "config_rules"

    key: Mapped[str] = mapped_column(String(KEY_MAX), primary_key=True)
    value_type: Mapped[str] = mapped_column(String(NAME_MAX))
    default: Mapped[Any] = mapped_column(JSONValue, nullable=True)
    min_value: Mapped[float | None]
    max_value: Mapped[float | None]
    min_exclusive: Mapped[bool] = mapped_column(default=False)
    choices: Mapped[Any] = mapped_column(JSONValue, nullable=True)
    pattern: Mapped[str | None] = mapped_column(String(PATTERN_MAX))
    required: Mapped[bool] = mapped_column(default=False)
    sensitive: Mapped[bool] = mapped_column(default=False)
    unit: Mapped[str | None] = mapped_column(String(UNIT_MAX))
    description: Mapped[str | None] = mapped_column(Text)
    error_message: Mapped[str | None] = mapped_column(Text)
    origin: Mapped[str] = mapped_column(String(NAME_MAX))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_by: Mapped[str | None] = mapped_column(String(USER_MAX))


class ValueRow(Base):
    """A value in one persisted layer (service or runtime) for one key."""

    __tablename__ = "config_values"
    __table_args__ = (UniqueConstraint("key", "source"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    key: Mapped[str] = mapped_column(String(KEY_MAX),
                                     ForeignKey("config_rules.key", ondelete="CASCADE"))
    source: Mapped[str] = mapped_column(String(NAME_MAX))
    value: Mapped[Any] = mapped_column(JSONValue, nullable=True)
    revision: Mapped[int] = mapped_column(BigId)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_by: Mapped[str | None] = mapped_column(String(USER_MAX))
    description: Mapped[str | None] = mapped_column(Text)


class SnapshotRow(Base):
    """The persisted layers at one revision, as one JSON blob {key: {source: value}}."""

    __tablename__ = "snapshots"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    description: Mapped[str | None] = mapped_column(Text)
    tags: Mapped[Any] = mapped_column(JSONValue)
    pinned: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    created_by: Mapped[str | None] = mapped_column(String(USER_MAX))
    revision: Mapped[int] = mapped_column(BigId)
    key_count: Mapped[int]
    data: Mapped[Any] = mapped_column(JSONValue)


class ChangeRow(Base):
    """The append-only change log; its id is the global revision."""

    __tablename__ = "changes"
    __table_args__ = (Index("ix_changes_key_id", "key", "id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    key: Mapped[str] = mapped_column(String(KEY_MAX))
    old_value: Mapped[Any] = mapped_column(JSONValue, nullable=True)
    new_value: Mapped[Any] = mapped_column(JSONValue, nullable=True)
    source: Mapped[str] = mapped_column(String(NAME_MAX))
    action: Mapped[str] = mapped_column(String(NAME_MAX))
    actor: Mapped[str | None] = mapped_column(String(USER_MAX))
    description: Mapped[str | None] = mapped_column(Text)
    batch_id: Mapped[str | None] = mapped_column(String(BATCH_ID_MAX))
    request_id: Mapped[str | None] = mapped_column(String(REQUEST_ID_MAX))


class CheckpointRow(Base):
    """The change log's checkpoint: each key's last change among those compaction removed
    (its revision, when, by whom, the effective value after it), so versions and reads at
    any kept revision answer as the whole log did (docs/architecture.md, "Change-log
    retention")."""

    __tablename__ = "change_checkpoint"

    key: Mapped[str] = mapped_column(String(KEY_MAX), primary_key=True)
    revision: Mapped[int] = mapped_column(BigId)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    actor: Mapped[str | None] = mapped_column(String(USER_MAX))
    value: Mapped[Any] = mapped_column(JSONValue, nullable=True)


class CompactionRow(Base):
    """One compaction step: every change up to `through` was folded into the checkpoint;
    the newest row's `through` is where the change log now begins."""

    __tablename__ = "change_compactions"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor: Mapped[str | None] = mapped_column(String(USER_MAX))
    through: Mapped[int] = mapped_column(BigId)
    removed: Mapped[int]


class HostRow(Base):
    """A group of processes that share a head file (host_head.py), normally one machine,
    and when it last said it was alive, by the database's clock (read_lease.py)."""

    __tablename__ = "hosts"

    id: Mapped[str] = mapped_column(String(HOST_ID_MAX), primary_key=True)
    seen_at: Mapped[float]  # seconds since the epoch, by the database's clock
    writes: Mapped[bool] = mapped_column(default=False)  # it has acknowledged writes


class TemplateRow(Base):
    """A stored template (domain/templates.py): literal values, derived ones as expressions
    over declared parameters; `version` grows with each replacement. Built-in templates
    live in domain/template_catalog.py, not here."""

    __tablename__ = "templates"

    name: Mapped[str] = mapped_column(String(TEMPLATE_NAME_MAX), primary_key=True)
    description: Mapped[str | None] = mapped_column(Text)
    version: Mapped[int]
    author: Mapped[str | None] = mapped_column(String(USER_MAX))
    params: Mapped[Any] = mapped_column(JSONValue)
    values: Mapped[Any] = mapped_column(JSONValue)
    derived: Mapped[Any] = mapped_column(JSONValue)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class KeyMigrationRow(Base):
    """A config-migration step applied to this database (domain/key_migrations.py): each
    runs once; `revision` is the change-log revision its changes reached (0: none)."""

    __tablename__ = "config_migration_steps"

    id: Mapped[str] = mapped_column(String(STEP_ID_MAX), primary_key=True)
    description: Mapped[str | None] = mapped_column(Text)
    applied_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    applied_by: Mapped[str | None] = mapped_column(String(USER_MAX))
    revision: Mapped[int] = mapped_column(BigId)


class ChangeCountRow(Base):
    """How many changes each key (dimension "key") and each user (dimension "user", name ''
    for none) made by action on one UTC day (YYYY-MM-DD). Kept by a trigger on `changes`
    (migration 0009), so change analytics add up days, not a million rows, and keep their
    figures after compaction (docs/console.md, "Change analytics")."""

    __tablename__ = "change_counts"

    day: Mapped[str] = mapped_column(String(DAY_MAX), primary_key=True)
    dimension: Mapped[str] = mapped_column(String(NAME_MAX), primary_key=True)
    name: Mapped[str] = mapped_column(String(USER_MAX), primary_key=True)
    action: Mapped[str] = mapped_column(String(NAME_MAX), primary_key=True)
    changes: Mapped[int]


class UndoRow(Base):
    """A revert or rollback of one key and the seconds since that key's change before it
    (the change it took back); kept by the same trigger."""

    __tablename__ = "change_undos"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    key: Mapped[str] = mapped_column(String(KEY_MAX))
    seconds: Mapped[float]


class RefusalRow(Base):
    """A value a rule refused (a write or a check), recorded in batches by the service's
    refusal log, so change analytics can count refusals by key (docs/console.md)."""

    __tablename__ = "validation_refusals"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    key: Mapped[str] = mapped_column(String(KEY_MAX))
    action: Mapped[str] = mapped_column(String(NAME_MAX))


class UserRow(Base):
    """A console account the admin made (`lazyconfig user add`): a name, a role and an
    argon2 hash of its password."""

    __tablename__ = "console_users"

    name: Mapped[str] = mapped_column(String(USER_MAX), primary_key=True)
    role: Mapped[str] = mapped_column(String(NAME_MAX))
    password_hash: Mapped[str] = mapped_column(String(PASSWORD_HASH_MAX))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class BackupScheduleRow(Base):
    """The lease of scheduled backups: the newest interval slot a process claimed, so that
    one process of all workers and instances takes each scheduled backup
    (service/backup_schedule.py)."""

    __tablename__ = "backup_schedule"

    name: Mapped[str] = mapped_column(String(NAME_MAX), primary_key=True)
    slot: Mapped[int] = mapped_column(BigId)  # seconds since the epoch // interval
    holder: Mapped[str | None] = mapped_column(String(HOST_ID_MAX))
    claimed_at: Mapped[float]  # seconds since the epoch, by the database's clock


class ExperimentRow(Base):
    """An experiment on one key (docs/targeting.md): its definition and bucket ranges, as
    the key's `experiment` layer holds them while it runs, and how it ended."""

    __tablename__ = "experiments"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    key: Mapped[str] = mapped_column(String(KEY_MAX),
                                     ForeignKey("config_rules.key", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(NAME_MAX))  # running, concluded
    definition: Mapped[Any] = mapped_column(JSONValue)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[str | None] = mapped_column(String(USER_MAX))
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    winner: Mapped[str | None] = mapped_column(String(LABEL_MAX))


class ExposureRow(Base):
    """A unit's first exposure to an experiment, with the variant it saw."""

    __tablename__ = "experiment_exposures"

    experiment_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("experiments.id", ondelete="CASCADE"), primary_key=True)
    unit: Mapped[str] = mapped_column(String(UNIT_ID_MAX), primary_key=True)
    variant: Mapped[str] = mapped_column(String(LABEL_MAX))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ObservationRow(Base):
    """One reported value of a metric by a unit in an experiment, with its variant."""

    __tablename__ = "experiment_observations"
    __table_args__ = (Index("ix_experiment_observations_experiment", "experiment_id",
                            "variant", "metric"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    experiment_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("experiments.id", ondelete="CASCADE"))
    variant: Mapped[str] = mapped_column(String(LABEL_MAX))
    metric: Mapped[str] = mapped_column(String(LABEL_MAX))
    value: Mapped[float]
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class RolloutRow(Base):
    """A gradual rollout of new values of some keys (docs/targeting.md): its definition,
    the step it is at and when that step began and ends, so any process can drive it."""

    __tablename__ = "rollouts"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    status: Mapped[str] = mapped_column(String(NAME_MAX))  # running, paused, completed, ...
    definition: Mapped[Any] = mapped_column(JSONValue)
    step: Mapped[int] = mapped_column(default=0)
    step_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    next_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[str | None] = mapped_column(String(USER_MAX))
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reason: Mapped[str | None] = mapped_column(Text)


class RolloutObservationRow(Base):
    """One reported value of a metric by a unit under a rollout, with its cohort (whether
    the unit had the new values when the server received it)."""

    __tablename__ = "rollout_observations"
    __table_args__ = (Index("ix_rollout_observations_rollout", "rollout_id", "metric", "at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    rollout_id: Mapped[int] = mapped_column(BigId, ForeignKey("rollouts.id", ondelete="CASCADE"))
    new: Mapped[bool] = mapped_column()
    metric: Mapped[str] = mapped_column(String(LABEL_MAX))
    value: Mapped[float]
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
class WatchClientRow(Base):
    """A named watcher (service/clients.py): who it is, the last revision it acknowledged
    and when it was last seen (the server's clock)."""

    __tablename__ = "watch_clients"

    id: Mapped[str] = mapped_column(String(CLIENT_FIELD_MAX), primary_key=True)
    host: Mapped[str] = mapped_column(String(CLIENT_FIELD_MAX), default="")
    version: Mapped[str] = mapped_column(String(CLIENT_FIELD_MAX), default="")
    transport: Mapped[str] = mapped_column(String(16))
    acked: Mapped[int | None] = mapped_column(BigId, nullable=True)
    seen_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


from .access_models import AuditRow, RevocationRow, ServiceTokenRow  # noqa: E402,F401
from .change_request_models import ChangePolicyRow, ChangeRequestRow  # noqa: E402,F401
