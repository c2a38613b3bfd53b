"""`fastapi._compat` in the drop-in mode: the pydantic version flags and markers that code
written for FastAPI imports from it."""

from __future__ import annotations

try:
    from pydantic.version import VERSION as _PYDANTIC_VERSION
    from pydantic_core import PydanticUndefined
except ImportError:  # pydantic is an optional extra
    _PYDANTIC_VERSION = "0.0"
    PydanticUndefined = None  # type: ignore[assignment]

#: The installed pydantic's (major, minor), (0, 0) without it; FastAPI's tests compare it.
PYDANTIC_VERSION_MINOR_TUPLE = tuple(int(part) for part in _PYDANTIC_VERSION.split(".")[:2])
PYDANTIC_V2 = PYDANTIC_VERSION_MINOR_TUPLE >= (2, 0)
#: Pydantic's marker for "no default given".
Undefined = PydanticUndefined
RequiredParam = PydanticUndefined
