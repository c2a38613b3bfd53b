"""faster-api-web's module path for the documentation pages: `swagger_ui_html(openapi_url)`
and `redoc_html(openapi_url)` give the HTML of the pages FastAPI serves at /docs and /redoc
(FasterAPI.openapi.docs, whose `get_*_html` give them as HTMLResponses)."""

from __future__ import annotations

from .docs import get_redoc_html, get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html

__all__ = [
    "get_redoc_html",
    "get_swagger_ui_html",
    "get_swagger_ui_oauth2_redirect_html",
    "redoc_html",
    "swagger_ui_html",
]


def swagger_ui_html(openapi_url: str, title: str = "FasterAPI - Swagger UI") -> str:
    """The Swagger UI page for the document at `openapi_url`, as text."""
    return get_swagger_ui_html(openapi_url=openapi_url, title=title).body.decode()


def redoc_html(openapi_url: str, title: str = "FasterAPI - ReDoc") -> str:
    """The ReDoc page for the document at `openapi_url`, as text."""
    return get_redoc_html(openapi_url=openapi_url, title=title).body.decode()
