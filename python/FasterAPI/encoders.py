"""Conversion of return values to JSON-ready builtins.

The Rust encoder writes dict, list, tuple, str, int, float, bool and None itself and
calls `to_builtin` for anything else; `jsonable_encoder` is FastAPI's function of the
same name, with its options, for user code that wants the builtins.
"""

from __future__ import annotations

import collections
import dataclasses
import datetime as dt
import decimal
import enum
import ipaddress
import pathlib
import re
import sys
import types
import uuid
from collections.abc import Callable
from typing import Any

import msgspec

from . import _core
from .exceptions import PydanticV1NotSupportedError
from .types import IncEx


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
    # bases: their subclasses are found by _type_handler
    pathlib.PurePath: str,
    ipaddress._BaseAddress: str,
    ipaddress._BaseNetwork: str,
}


def _type_handler(obj: Any) -> Callable[[Any], Any] | None:
    """The _BY_TYPE conversion for `obj`'s type, or for the first base of it listed."""
    handler = _BY_TYPE.get(type(obj))
    if handler is None:
        handler = next((f for cls, f in _BY_TYPE.items() if isinstance(obj, cls)), None)
    return handler


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
        return obj.model_dump(mode="json", by_alias=True)  # by alias, as FastAPI's
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: getattr(obj, f.name) for f in dataclasses.fields(obj)}
    if isinstance(obj, enum.Enum):
        return obj.value
    handler = _type_handler(obj)
    if handler is not None:
        return handler(obj)
    if isinstance(obj, Exception):
        return str(obj)
    if hasattr(obj, "__iter__") and not isinstance(obj, str | bytes):
        return list(obj)
    if hasattr(obj, "__dict__") and not isinstance(obj, type):
        return dict(vars(obj))  # a plain object as its attributes, as jsonable_encoder does
    raise TypeError(f"Object of type {type(obj).__name__} is not JSON serializable")


_core.set_json_default(to_builtin)

#: What jsonable_encoder gives for leaf types beyond to_builtin's: pydantic's string-like
#: types by class name (pydantic is imported only if the app uses it).
_PYDANTIC_STRINGS = ("SecretStr", "SecretBytes", "AnyUrl", "Url", "NameEmail", "Color")


def _leaf(obj: Any) -> Any:
    """A leaf value as FastAPI's jsonable_encoder writes it (dates as ISO strings, UUIDs,
    addresses, pydantic's SecretStr, AnyUrl, Color... as strings), or _NOT_A_LEAF."""
    handler = _type_handler(obj)
    if handler is not None:
        return handler(obj)
    for cls in type(obj).__mro__:
        if cls.__name__ in _PYDANTIC_STRINGS and cls.__module__.startswith("pydantic"):
            return str(obj)
    v1 = sys.modules.get("pydantic.v1")
    if v1 is not None and isinstance(obj, v1.BaseModel):
        raise PydanticV1NotSupportedError(
            f"pydantic.v1 models are not supported; update the model {obj!r}"
        )
    return _NOT_A_LEAF


_NOT_A_LEAF = object()
_SEQUENCES = (list, set, frozenset, tuple, collections.deque, types.GeneratorType)


def jsonable_encoder(
    obj: Any,
    include: IncEx | None = None,
    exclude: IncEx | None = None,
    by_alias: bool = True,
    exclude_unset: bool = False,
    exclude_defaults: bool = False,
    exclude_none: bool = False,
    custom_encoder: dict[Any, Callable[[Any], Any]] | None = None,
    sqlalchemy_safe: bool = True,
) -> Any:
    """`obj` as JSON-compatible Python values (dicts, lists, strings, numbers, None), as
    FastAPI's function of the same name makes them: models and dataclasses become dicts
    (`include`/`exclude` pick their fields, the `exclude_*` flags and `by_alias` are
    pydantic's), dates become ISO strings, sets lists, enums their values; `custom_encoder`
    maps types to functions tried first. Floats stay floats (NaN included). A value nothing
    converts raises ValueError with what was tried."""
    options: dict[str, Any] = {
        "by_alias": by_alias,
        "exclude_unset": exclude_unset,
        "exclude_defaults": exclude_defaults,
        "exclude_none": exclude_none,
        "custom_encoder": custom_encoder,
        "sqlalchemy_safe": sqlalchemy_safe,
    }
    if custom_encoder:
        encoder = custom_encoder.get(type(obj))
        if encoder is None:
            encoder = next((f for cls, f in custom_encoder.items() if isinstance(obj, cls)), None)
        if encoder is not None:
            return encoder(obj)
    if include is not None and not isinstance(include, set | dict):
        include = set(include)
    if exclude is not None and not isinstance(exclude, set | dict):
        exclude = set(exclude)
    pydantic = sys.modules.get("pydantic")
    if pydantic is not None and isinstance(obj, pydantic.BaseModel):
        data = obj.model_dump(
            mode="json",
            include=include,
            exclude=exclude,
            by_alias=by_alias,
            exclude_unset=exclude_unset,
            exclude_none=exclude_none,
            exclude_defaults=exclude_defaults,
        )
        return jsonable_encoder(
            data,
            exclude_none=exclude_none,
            exclude_defaults=exclude_defaults,
            sqlalchemy_safe=sqlalchemy_safe,
        )
    if isinstance(obj, msgspec.Struct):
        return jsonable_encoder(_struct(obj), include, exclude, **options)
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return jsonable_encoder(dataclasses.asdict(obj), include, exclude, **options)
    if isinstance(obj, enum.Enum):
        return obj.value
    if isinstance(obj, pathlib.PurePath):
        return str(obj)
    if obj is None or isinstance(obj, str | int | float):
        return obj
    if type(obj).__name__ == "PydanticUndefinedType":
        return None
    if isinstance(obj, dict):
        keys = set(obj)
        if include is not None:
            keys &= set(include)
        if exclude is not None:
            keys -= set(exclude)
        return {
            jsonable_encoder(key, **options): jsonable_encoder(value, **options)
            for key, value in obj.items()
            if key in keys
            and (value is not None or not exclude_none)
            and not (sqlalchemy_safe and isinstance(key, str) and key.startswith("_sa"))
        }
    if isinstance(obj, _SEQUENCES):
        return [jsonable_encoder(item, include, exclude, **options) for item in obj]
    leaf = _leaf(obj)
    if leaf is not _NOT_A_LEAF:
        return leaf
    errors: list[Exception] = []
    for convert in (dict, vars):
        try:
            data = convert(obj)
        except Exception as exc:
            errors.append(exc)
            continue
        return jsonable_encoder(data, include, exclude, **options)
    raise ValueError(errors)
