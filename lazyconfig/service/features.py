"""The engine's operations beyond the spec's core, one mixin per feature, each in the module
that owns its rules. ConfigurationEngine inherits them all from here, so its own module stays
the small facade of the core (docs/architecture.md)."""
from __future__ import annotations

from .accounts import ConsoleAccounts
from .analytics import ChangeAnalytics
from .backup_directory import BackupOperations
from .change_requests import ChangeRequests
from .clients import ClientOperations
from .experiments import ExperimentOperations
from .importers import ForeignImports
from .key_migrations import KeyMigrationOperations
from .point_in_time import PointInTime
from .rollouts import RolloutOperations
from .snapshots import SnapshotPins
from .targeting import TargetingOperations
from .templates import TemplateOperations
from .tokens import TokenOperations


class FeatureOperations(TemplateOperations, KeyMigrationOperations, TokenOperations, PointInTime,
                        ForeignImports, ChangeAnalytics, ConsoleAccounts, BackupOperations,
                        TargetingOperations, ExperimentOperations, SnapshotPins, ChangeRequests,
                        RolloutOperations, ClientOperations):
    """Every feature mixin; each uses only the engine's pipeline, replica, storage and
    `_author`/`_write`."""
