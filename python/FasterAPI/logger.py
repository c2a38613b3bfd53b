"""FastAPI's `fastapi.logger`: the framework's logger, named "fastapi" as in FastAPI, so that
logging configured for a FastAPI app keeps working; and `JSONFormatter`, which writes each
log record as one line of JSON (what `fasterapi run --log-format json` uses, and what a
logging config gives uvicorn: docs/logging.md)."""

from __future__ import annotations

import json
import logging
import time
from typing import Any

import msgspec

from .middleware.requestid import NO_REQUEST_ID, request_id

logger = logging.getLogger("fastapi")

#: The attributes every LogRecord has: the others were given with `extra=`.
_RECORD_ATTRIBUTES = frozenset(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {
    "message",
    "asctime",
    "taskName",
    "request_id",
    "color_message",
}
#: What uvicorn's access-log records carry as their args, in order.
_UVICORN_ACCESS = ("client", "method", "target", "http_version", "status")


class JSONFormatter(logging.Formatter):
    """One JSON object per record, on one line: `timestamp` (ISO 8601, UTC), `level`,
    `logger`, `message`; `request_id`: the record's own (`extra=`, RequestIDFilter), else
    the ID of the request being handled (FasterAPI.middleware.requestid); `exception` (the
    traceback) and `stack` when the record has them; and what the record was given with
    `extra=`: an access-log record of the native server (or of uvicorn) has `client`,
    `method`, `path`, `query`, `http_version`, `status`. A value JSON cannot write is
    written as its str()."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "timestamp": _utc(record.created),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        rid = _record_request_id(record)
        if rid:
            entry["request_id"] = rid
        if record.name == "uvicorn.access":
            entry.update(_uvicorn_access(record.args))
        for key, value in record.__dict__.items():
            if key not in _RECORD_ATTRIBUTES and key not in entry:
                entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        elif record.exc_text:
            entry["exception"] = record.exc_text
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return _dumps(entry)


def _record_request_id(record: logging.LogRecord) -> Any:
    """The request ID a record carries: its own `request_id` (given with `extra=`, or set by
    RequestIDFilter when it was logged), else, if it has none, the ID of the request being
    handled now (`request_id()`); None for the '-' placeholder (logged outside a request).
    The record's own comes first: a record formatted later (a MemoryHandler's, a
    QueueHandler's) would otherwise be stamped with the ID of whatever request is running."""
    rid = record.__dict__.get("request_id")
    if rid is None:
        return request_id()
    return None if rid == NO_REQUEST_ID else rid


def _dumps(entry: dict[str, Any]) -> str:
    """`entry` as JSON on one line, in ASCII (what any stream can write: a character past
    ASCII is escaped); a value JSON has no type for is written as its str()."""
    try:
        line = msgspec.json.encode(entry, enc_hook=str).decode()
    except (TypeError, ValueError, OverflowError):  # (an int past 64 bits, a failing str())
        return json.dumps(entry, default=str, separators=_COMPACT)
    return line if line.isascii() else json.dumps(entry, default=str, separators=_COMPACT)


_COMPACT = (",", ":")


#: The last second `_utc` wrote, and how: (POSIX second, "2024-05-01T12:00:00").
_second: tuple[int, str] = (-1, "")


def _utc(created: float) -> str:
    """`created` (a POSIX time) as ISO 8601 in UTC, to the millisecond: 2024-05-01T12:00:00.123Z."""
    global _second
    second = int(created)
    cached = _second
    if cached[0] != second:
        cached = _second = (second, time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(second)))
    return f"{cached[1]}.{int((created - second) * 1000):03d}Z"


def _uvicorn_access(args: Any) -> dict[str, Any]:
    """The fields of a uvicorn access-log record, from its args (client, method, target,
    HTTP version, status); nothing if they are not those."""
    if not isinstance(args, tuple) or len(args) != len(_UVICORN_ACCESS):
        return {}
    client, method, target, http_version, status = args
    path, _, query = str(target).partition("?")
    return {
        "client": client,
        "method": method,
        "path": path,
        "query": query,
        "http_version": http_version,
        "status": status,
    }
