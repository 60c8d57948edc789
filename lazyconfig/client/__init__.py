"""A Python client for the lazyconfig REST API, and LiveConfig, a local copy that stays
current from the change stream.

    from lazyconfig.client import ConfigClient, LiveConfig

    client = ConfigClient("http://127.0.0.1:7000", token)
    entry = client.set("lazy_loading_unloading_check_interval", 30.0, description="faster")
    entry.version, entry.json                                  # a typed record, and its JSON
    with LiveConfig(client) as config:
        config.get("lazy_loading_unloading_check_interval")   # a memory read
"""
from .change_request_records import ChangeRequest, ChangeRequested
from .config_client import ConfigClient
from .errors import (ApiError, Conflict, Forbidden, Gone, MalformedRequest, MalformedResponse,
                     NotFound, ServerError, ServiceUnavailable, Unauthorized, ValidationFailed)
from .events import ChangeStream
from .json_object import Record
from .live import LiveConfig
from .records import (BatchResult, Change, DiffRow, History, ImportResult, ReportRow,
                      ResetResult, RestoreResult, RollbackResult, Rule, Status,
                      ValidationStatus, ValueEntry)
from .snapshot_records import Diff, KeyDiff, Snapshot, SnapshotInfo, SnapshotPage
from .template_records import Template, TemplateApplied, TemplateDrift

__all__ = ["ApiError", "BatchResult", "Change", "ChangeRequest", "ChangeRequested",
           "ChangeStream", "ConfigClient", "Conflict", "Diff",
           "DiffRow", "Forbidden", "Gone", "History", "ImportResult", "KeyDiff", "LiveConfig",
           "MalformedRequest", "MalformedResponse", "NotFound", "Record", "ReportRow",
           "ResetResult", "RestoreResult", "RollbackResult", "Rule", "ServerError",
           "ServiceUnavailable", "Snapshot", "SnapshotInfo", "SnapshotPage", "Status", "Template",
           "TemplateApplied", "TemplateDrift", "Unauthorized", "ValidationFailed",
           "ValidationStatus", "ValueEntry"]
