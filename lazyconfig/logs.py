"""Server logs as one JSON object per line: easy to ship, grep and join by request id.

Records may carry `fields` (a dict, passed as `extra={"fields": ...}`); they become top-level
keys of the line. `configure()` installs this on the root logger (wsgi.py calls it), or plain
text lines with the client's control characters escaped.
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


class TextFormatter(logging.Formatter):
    """Plain lines whose message shows every control or otherwise unprintable character
    escaped (`\\n`, `\\x1b`, `\\u2028`): a path or a token's subject is the client's text,
    and must not start a line of its own that reads like ours."""

    def __init__(self) -> None:
        super().__init__(TEXT_FORMAT)

    def formatMessage(self, record: logging.LogRecord) -> str:
        return super().formatMessage(_escaped(record))


def _escaped(record: logging.LogRecord) -> logging.LogRecord:
    message = record.message
    if message.isprintable():
        return record
    shown = "".join(c if c.isprintable() else repr(c)[1:-1] for c in message)
    return logging.makeLogRecord({**record.__dict__, "message": shown})


def configure(settings: Settings) -> None:
    """Log to stderr at `settings.log_level`, as JSON lines unless its log_format is text."""
    handler = logging.StreamHandler()
    text = settings.log_format == "text"
    handler.setFormatter(TextFormatter() if text else JsonFormatter())
    logging.basicConfig(level=settings.log_level, handlers=[handler], force=True)
