"""The server's logging, as uvicorn's looks (`INFO:     message` on stderr, a TRACE level
below DEBUG), or one JSON object per line (`--log-format json`:
FasterAPI.logger.JSONFormatter); and uvloop for the event loop where it is installed."""

from __future__ import annotations

import asyncio
import logging
import sys
import warnings

from ..logger import JSONFormatter

logger = logging.getLogger("fasterapi")


TRACE = 5


LOG_LEVELS = {
    "critical": logging.CRITICAL,
    "error": logging.ERROR,
    "warning": logging.WARNING,
    "info": logging.INFO,
    "debug": logging.DEBUG,
    "trace": TRACE,
}


class _LevelPrefixFormatter(logging.Formatter):
    """`INFO:     message`, uvicorn's look."""

    def format(self, record: logging.LogRecord) -> str:
        return f"{record.levelname + ':':<9} {super().format(record)}"


#: The looks of `--log-format`.
LOG_FORMATS = ("text", "json")
_HANDLER = "fasterapi-cli"


def configure_logging(log_level: str, log_format: str = "text") -> None:
    """Send the "fasterapi" logger to stderr at `log_level` (one of LOG_LEVELS), in
    `log_format` (one of LOG_FORMATS)."""
    logging.addLevelName(TRACE, "TRACE")
    handler = logging.StreamHandler(sys.stderr)
    handler.set_name(_HANDLER)
    for old in [h for h in logger.handlers if h.get_name() == _HANDLER]:
        logger.removeHandler(old)
    logger.addHandler(handler)
    use_log_format(log_format)
    logger.setLevel(LOG_LEVELS.get(log_level, logging.INFO))
    logger.propagate = False


def use_log_format(log_format: str) -> None:
    """Gives the handler `configure_logging` set up (if any) the formatter of `log_format`:
    "json" for JSONFormatter, else uvicorn's look."""
    formatter = JSONFormatter() if log_format == "json" else _LevelPrefixFormatter()
    for handler in logger.handlers:
        if handler.get_name() == _HANDLER:
            handler.setFormatter(formatter)


def use_uvloop() -> bool:
    """Make new event loops uvloop's when uvloop is installed; whether it is."""
    try:
        import uvloop
    except ImportError:
        return False
    with warnings.catch_warnings():  # event loop policies are deprecated from Python 3.14
        warnings.simplefilter("ignore", DeprecationWarning)
        asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
    return True
