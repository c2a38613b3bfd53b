"""Conversion of return values to JSON-ready builtins.

The Rust encoder writes dict, list, tuple, str, int, float, bool and None itself and
calls `to_builtin` for anything else; `jsonable_encoder` is FastAPI's function of the
same name, for user code that wants the builtins.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import decimal
import enum
import ipaddress
import pathlib
import re
import sys
import uuid
from collections.abc import Callable
from typing import Any

import msgspec

from . import _core


def _decimal(value: decimal.Decimal) -> int | float:
    exponent = value.as_tuple().exponent
    return int(value) if isinstance(exponent, int) and exponent >= 0 else float(value)


_BY_TYPE: dict[type, Callable[[Any], Any]] = {
    dt.datetime: dt.datetime.isoformat,
    dt.date: dt.date.isoformat,
    dt.time: dt.time.isoformat,
    dt.timedelta: dt.timedelta.total_seconds,
    decimal.Decimal: _decimal,
    uuid.UUID: str,
    bytes: lambda b: b.decode(),
    set: list,
    frozenset: list,
    re.Pattern: lambda p: p.pattern,
}


def to_builtin(obj: Any) -> Any:
    """One step of conversion toward builtins; the encoder recurses into the result."""
    handler = _BY_TYPE.get(type(obj))
    if handler is not None:
        return handler(obj)
    if isinstance(obj, msgspec.Struct):
        return msgspec.structs.asdict(obj)
    pydantic = sys.modules.get("pydantic")  # a pydantic model means pydantic is imported
    if pydantic is not None and isinstance(obj, pydantic.BaseModel):
        return obj.model_dump(mode="json")
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: getattr(obj, f.name) for f in dataclasses.fields(obj)}
    if isinstance(obj, enum.Enum):
        return obj.value
    for base, handler in _BY_TYPE.items():
        if isinstance(obj, base):
            return handler(obj)
    if isinstance(obj, pathlib.PurePath | ipaddress._BaseAddress | ipaddress._BaseNetwork):
        return str(obj)
    if isinstance(obj, Exception):
        return str(obj)
    if hasattr(obj, "__iter__") and not isinstance(obj, str | bytes):
        return list(obj)
    raise TypeError(f"Object of type {type(obj).__name__} is not JSON serializable")


_core.set_json_default(to_builtin)


def jsonable_encoder(obj: Any) -> Any:
    """`obj` as JSON-compatible builtins (dicts, lists, strings, numbers, None)."""
    return msgspec.json.decode(_core.encode_json(obj))
