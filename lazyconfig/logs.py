"""Server logs as one JSON object per line: easy to ship, grep and join by request id.

Records may carry `fields` (a dict, passed as `extra={"fields": ...}`); they become top-level
keys of the line. `configure()` installs this on the root logger (wsgi.py calls it).
"""
from __future__ import annotations

import json
import logging
from datetime import datetime, timezone

from .settings import Settings

TEXT_FORMAT = "%(asctime)s [%(process)d] %(levelname)s %(name)s: %(message)s"


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line = {"ts": datetime.fromtimestamp(record.created, timezone.utc)
                .isoformat(timespec="milliseconds"),
                "level": record.levelname, "logger": record.name, "pid": record.process,
                "message": record.getMessage()}
        line.update(getattr(record, "fields", None) or {})
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, default=str)


def configure(settings: Settings) -> None:
    """Log to stderr at `settings.log_level`, as JSON lines unless its log_format is text."""
    handler = logging.StreamHandler()
    text = settings.log_format == "text"
    handler.setFormatter(logging.Formatter(TEXT_FORMAT) if text else JsonFormatter())
    logging.basicConfig(level=settings.log_level, handlers=[handler], force=True)
