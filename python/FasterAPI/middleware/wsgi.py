"""WSGIMiddleware: serves a WSGI app (Flask, Django...) under an ASGI one, mounted with
`app.mount("/v1", WSGIMiddleware(flask_app))`. It is a2wsgi's (`pip install a2wsgi`), the
maintained implementation Starlette itself recommends, or Starlette's where only that is
installed."""

from __future__ import annotations

try:
    from a2wsgi import WSGIMiddleware
except ImportError:  # pragma: no cover - depends on what is installed
    try:
        from starlette.middleware.wsgi import WSGIMiddleware  # type: ignore[no-redef]
    except ImportError:
        raise ImportError("WSGIMiddleware needs a2wsgi: pip install a2wsgi") from None

__all__ = ["WSGIMiddleware"]
