"""faster-api-web's module path for the OpenAPI document: `generate_openapi(app)`. The
document is FastAPI's (FasterAPI.openapi.utils), the one `app.openapi()` makes."""

from __future__ import annotations

from typing import Any

from .utils import get_openapi

__all__ = ["generate_openapi", "get_openapi"]


def generate_openapi(
    app: Any,
    *,
    title: str | None = None,
    version: str | None = None,
    description: str | None = None,
) -> dict[str, Any]:
    """`app.openapi()` (made once and kept in `app.openapi_schema`), with `title`, `version`
    and `description` in its `info` instead of the app's where they are given (a copy then:
    the app's own document is left as it is)."""
    document = app.openapi()
    given = {"title": title, "version": version, "description": description}
    changes = {key: value for key, value in given.items() if value is not None}
    if not changes:
        return document
    return {**document, "info": {**document["info"], **changes}}
