"""Server logs as one JSON object per line: easy to ship, grep and join by request id.

Records may carry `fields` (a dict, passed as `extra={"fields": ...}`); they become top-level
keys of the line. `configure()` installs this on the root logger (wsgi.py calls it).
"""
from __future__ import annotations

import json
import logging
import os
from datetime import datetime, timezone

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


def configure(env=None) -> None:
    """Log to stderr at LAZYCONFIG_LOG_LEVEL (INFO), as JSON lines unless
    LAZYCONFIG_LOG_FORMAT=text."""
    env = os.environ if env is None else env
    handler = logging.StreamHandler()
    text = env.get("LAZYCONFIG_LOG_FORMAT", "json").lower() == "text"
    handler.setFormatter(logging.Formatter(TEXT_FORMAT) if text else JsonFormatter())
    logging.basicConfig(level=env.get("LAZYCONFIG_LOG_LEVEL", "INFO").upper(),
                        handlers=[handler], force=True)
