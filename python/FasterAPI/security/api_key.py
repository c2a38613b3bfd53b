"""API keys in a query parameter, a header or a cookie (OpenAPI's `apiKey` scheme)."""

from __future__ import annotations

from ..requests import HTTPConnection
from .base import SecurityBase


class APIKeyBase(SecurityBase):
    def __init__(
        self,
        location: str,
        name: str,
        description: str | None,
        scheme_name: str | None,
        auto_error: bool,
    ) -> None:
        model = {"type": "apiKey", "description": description, "in": location, "name": name}
        self._init(model, scheme_name, auto_error)

    def make_authenticate_headers(self) -> dict[str, str]:
        # No standard challenge for API keys, but a 401 must carry one: FastAPI's.
        return {"WWW-Authenticate": "APIKey"}

    def check_api_key(self, api_key: str | None) -> str | None:
        if not api_key:
            self._missing()
            return None
        return api_key


class APIKeyQuery(APIKeyBase):
    """The key in the query parameter `name`; the dependency's value is the key."""

    def __init__(
        self,
        *,
        name: str,
        scheme_name: str | None = None,
        description: str | None = None,
        auto_error: bool = True,
    ) -> None:
        super().__init__("query", name, description, scheme_name, auto_error)

    async def __call__(self, request: HTTPConnection) -> str | None:
        return self.check_api_key(request.query_params.get(self.model["name"]))


class APIKeyHeader(APIKeyBase):
    """The key in the header `name`; the dependency's value is the key."""

    def __init__(
        self,
        *,
        name: str,
        scheme_name: str | None = None,
        description: str | None = None,
        auto_error: bool = True,
    ) -> None:
        super().__init__("header", name, description, scheme_name, auto_error)

    async def __call__(self, request: HTTPConnection) -> str | None:
        return self.check_api_key(request.headers.get(self.model["name"]))


class APIKeyCookie(APIKeyBase):
    """The key in the cookie `name`; the dependency's value is the key."""

    def __init__(
        self,
        *,
        name: str,
        scheme_name: str | None = None,
        description: str | None = None,
        auto_error: bool = True,
    ) -> None:
        super().__init__("cookie", name, description, scheme_name, auto_error)

    async def __call__(self, request: HTTPConnection) -> str | None:
        return self.check_api_key(request.cookies.get(self.model["name"]))
