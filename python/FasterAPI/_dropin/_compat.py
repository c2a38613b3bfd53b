"""`fastapi._compat` in the drop-in mode: the pydantic version flags and markers that code
written for FastAPI imports from it."""

from __future__ import annotations

import pydantic
from pydantic_core import PydanticUndefined

#: The installed pydantic's (major, minor), which FastAPI's tests compare against.
PYDANTIC_VERSION_MINOR_TUPLE = tuple(int(part) for part in pydantic.VERSION.split(".")[:2])
PYDANTIC_V2 = True
#: Pydantic's marker for "no default given".
Undefined = PydanticUndefined
RequiredParam = PydanticUndefined
