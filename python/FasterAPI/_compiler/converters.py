"""Text converters for parameter types the Rust plan does not parse itself.

Each takes the raw text and returns the value, or raises ValueError(type, msg[, ctx])
with pydantic's error type and message, which the plan turns into a 422 error.
"""

from __future__ import annotations

import datetime as dt
import decimal
import uuid
from collections.abc import Callable
from typing import Any


def _fail(kind: str, prefix: str, detail: str) -> ValueError:
    return ValueError(kind, f"{prefix}, {detail}", {"error": detail})


_HEX = set("0123456789abcdefABCDEF")


def _uuid_problem(text: str) -> str:
    """pydantic-core's wording of why `text` is not a UUID."""
    body = text[9:] if text.lower().startswith("urn:uuid:") else text
    offset = len(text) - len(body)
    for i, ch in enumerate(body):
        if ch not in _HEX and ch not in "-{}":
            return f"invalid character: found `{ch}` at {i + offset}"
    groups = body.strip("{}").split("-")
    if len(groups) == 1:
        return f"invalid length: expected length 32 for simple format, found {len(groups[0])}"
    if len(groups) != 5:
        return f"invalid group count: expected 5, found {len(groups)}"
    for number, (group, size) in enumerate(zip(groups, (8, 4, 4, 4, 12), strict=True), 1):
        if len(group) != size:
            return f"invalid group length in group {number}: expected {size}, found {len(group)}"
    return "invalid UUID"


def to_uuid(text: str) -> uuid.UUID:
    try:
        return uuid.UUID(text)
    except ValueError:
        raise _fail("uuid_parsing", "Input should be a valid UUID", _uuid_problem(text)) from None


def _date_problem(text: str) -> str:
    """speedate's wording (used by pydantic) of why `text` is not an ISO date."""
    if len(text) < 10:
        return "input is too short"
    checks = ((0, 4, "year"), (5, 7, "month"), (8, 10, "day"))
    for start, end, part in checks:
        if not text[start:end].isdigit():
            return f"invalid character in {part}"
    if text[4] != "-" or text[7] != "-":
        return "invalid date separator, expected `-`"
    return "input is outside expected range"


def _time_problem(text: str) -> str:
    if len(text) < 5:
        return "input is too short"
    if not text[0:2].isdigit():
        return "invalid character in hour"
    if text[2] != ":":
        return "invalid time separator, expected `:`"
    if not text[3:5].isdigit():
        return "invalid character in minute"
    return "input is outside expected range"


def to_datetime(text: str) -> dt.datetime:
    stamp = _timestamp(text)
    try:
        if stamp is not None:
            return dt.datetime.fromtimestamp(stamp, tz=dt.UTC)
        return dt.datetime.fromisoformat(text)
    except (ValueError, OverflowError, OSError):
        problem = _date_problem(text)
        if problem == "input is outside expected range" and len(text) > 10:
            problem = _time_problem(text[11:]) if len(text) > 11 else "input is too short"
        raise _fail(
            "datetime_from_date_parsing", "Input should be a valid datetime or date", problem
        ) from None


def to_date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise _fail(
            "date_from_datetime_parsing",
            "Input should be a valid date or datetime",
            _date_problem(text),
        ) from None


def to_time(text: str) -> dt.time:
    try:
        return dt.time.fromisoformat(text)
    except ValueError:
        raise _fail(
            "time_parsing", "Input should be in a valid time format", _time_problem(text)
        ) from None


def _timestamp(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def to_timedelta(text: str) -> dt.timedelta:
    stamp = _timestamp(text)
    if stamp is None:
        raise ValueError(
            "time_delta_parsing", "Input should be a valid timedelta, invalid digit in duration"
        )
    try:
        return dt.timedelta(seconds=stamp)
    except (OverflowError, ValueError):  # nan, infinities, beyond timedelta's range
        raise ValueError(
            "time_delta_parsing",
            "Input should be a valid timedelta, durations may not exceed 999,999,999 days",
        ) from None


def to_decimal(text: str) -> decimal.Decimal:
    try:
        value = decimal.Decimal(text.strip())
    except decimal.InvalidOperation:
        raise ValueError("decimal_parsing", "Input should be a valid decimal") from None
    if not value.is_finite():
        raise ValueError("finite_number", "Input should be a finite number")
    return value


CONVERTERS: dict[type, Callable[[str], Any]] = {
    uuid.UUID: to_uuid,
    dt.datetime: to_datetime,
    dt.date: to_date,
    dt.time: to_time,
    dt.timedelta: to_timedelta,
    decimal.Decimal: to_decimal,
}
