"""Middleware: `Middleware(cls, *args, **kwargs)` for `FastAPI(middleware=[...])`, and the
bundled ones, as FastAPI (Starlette) has them: CORSMiddleware, TrustedHostMiddleware,
HTTPSRedirectMiddleware, GZipMiddleware and BaseHTTPMiddleware (what
`@app.middleware("http")` uses). Each is a pure-ASGI class, and any other such class works
with `app.add_middleware` too."""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from typing import Any


class Middleware:
    """A middleware class and the arguments to make it with, for `FastAPI(middleware=[...])`."""

    def __init__(self, cls: Any, *args: Any, **kwargs: Any) -> None:
        self.cls = cls
        self.args = args
        self.kwargs = kwargs

    def __iter__(self) -> Iterator[Any]:
        return iter((self.cls, self.args, self.kwargs))

    def __repr__(self) -> str:
        given = [repr(a) for a in self.args] + [f"{k}={v!r}" for k, v in self.kwargs.items()]
        return f"Middleware({', '.join([getattr(self.cls, '__name__', repr(self.cls)), *given])})"


#: The bundled middleware by name, for faster-api-web's `from FasterAPI.middleware import
#: CORSMiddleware`: imported on first use (their modules import this package).
_BUNDLED = {
    "AuthenticationMiddleware": "authentication",
    "BaseHTTPMiddleware": "base",
    "CORSMiddleware": "cors",
    "CompressMiddleware": "compress",
    "GZipMiddleware": "gzip",
    "HTTPSRedirectMiddleware": "httpsredirect",
    "RequestIDMiddleware": "requestid",
    "SecurityHeadersMiddleware": "securityheaders",
    "TrustedHostMiddleware": "trustedhost",
}


def __getattr__(name: str) -> Any:
    if name in _BUNDLED:
        return getattr(importlib.import_module(f"{__name__}.{_BUNDLED[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["Middleware"]
