"""The server's logging, as uvicorn's looks (`INFO:     message` on stderr, a TRACE level
below DEBUG), and uvloop for the event loop where it is installed."""

from __future__ import annotations

import asyncio
import logging
import sys
import warnings

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


def configure_logging(log_level: str) -> None:
    """Send the "fasterapi" logger to stderr at `log_level` (one of LOG_LEVELS)."""
    logging.addLevelName(TRACE, "TRACE")
    handler = logging.StreamHandler(sys.stderr)
    handler.set_name("fasterapi-cli")
    handler.setFormatter(_LevelPrefixFormatter())
    for old in [h for h in logger.handlers if h.get_name() == "fasterapi-cli"]:
        logger.removeHandler(old)
    logger.addHandler(handler)
    logger.setLevel(LOG_LEVELS.get(log_level, logging.INFO))
    logger.propagate = False


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
