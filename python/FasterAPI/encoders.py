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


#: Struct class -> whether msgspec writes it as its fields by name (no rename, tag,
#: omit_defaults or array_like), worked out once per class.
_PLAIN_STRUCTS: dict[type, bool] = {}


def _plain_struct(cls: type) -> bool:
    config = cls.__struct_config__  # type: ignore[attr-defined]
    return (
        cls.__struct_encode_fields__ == cls.__struct_fields__  # type: ignore[attr-defined]
        and config.tag is None
        and not config.omit_defaults
        and not config.array_like
    )


def _struct(obj: msgspec.Struct) -> Any:
    """A Struct as msgspec writes it: its fields by name, without UNSET ones; a Struct with
    renamed fields, a tag, omit_defaults or array_like as msgspec.to_builtins makes it."""
    cls = type(obj)
    plain = _PLAIN_STRUCTS.get(cls)
    if plain is None:
        plain = _PLAIN_STRUCTS[cls] = _plain_struct(cls)
    if not plain:
        return msgspec.to_builtins(obj, enc_hook=to_builtin)
    fields = msgspec.structs.asdict(obj)
    if any(value is msgspec.UNSET for value in fields.values()):
        return {k: v for k, v in fields.items() if v is not msgspec.UNSET}
    return fields


def to_builtin(obj: Any) -> Any:
    """One step of conversion toward builtins; the encoder recurses into the result."""
    handler = _BY_TYPE.get(type(obj))
    if handler is not None:
        return handler(obj)
    if isinstance(obj, msgspec.Struct):
        return _struct(obj)
    pydantic = sys.modules.get("pydantic")  # a pydantic model means pydantic is imported
    if pydantic is not None and isinstance(obj, pydantic.BaseModel):
        return obj.model_dump(mode="json", by_alias=True)  # as jsonable_encoder
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
