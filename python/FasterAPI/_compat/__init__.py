"""What FastAPI's private `fastapi._compat` gives apps, plugins and tests that import it:
the installed pydantic's version, as a `(major, minor)` tuple ((0, 0) without pydantic)."""

from __future__ import annotations

try:
    from pydantic.version import VERSION as _PYDANTIC_VERSION
except ImportError:  # pydantic is an optional extra here
    _PYDANTIC_VERSION = "0.0"

PYDANTIC_VERSION_MINOR_TUPLE = tuple(int(x) for x in _PYDANTIC_VERSION.split(".")[:2])
