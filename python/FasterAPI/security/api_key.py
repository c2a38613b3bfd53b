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


class _APIKeyIn(APIKeyBase):
    """An API key read from one place (`location`), named `name` there; the dependency's
    value is the key."""

    location = ""

    def __init__(
        self,
        *,
        name: str,
        scheme_name: str | None = None,
        description: str | None = None,
        auto_error: bool = True,
    ) -> None:
        super().__init__(self.location, name, description, scheme_name, auto_error)

    def read(self, request: HTTPConnection) -> str | None:
        raise NotImplementedError

    async def __call__(self, request: HTTPConnection) -> str | None:
        return self._read_headers(request)

    def _read_headers(self, request: HTTPConnection) -> str | None:
        """`__call__`, which awaits nothing, as a plain call (what a route's run calls)."""
        return self.check_api_key(self.read(request))


class APIKeyQuery(_APIKeyIn):
    """The key in the query parameter `name`."""

    location = "query"

    def read(self, request: HTTPConnection) -> str | None:
        return request.query_params.get(self.model["name"])


class APIKeyHeader(_APIKeyIn):
    """The key in the header `name`."""

    location = "header"

    def read(self, request: HTTPConnection) -> str | None:
        return request.headers.get(self.model["name"])


class APIKeyCookie(_APIKeyIn):
    """The key in the cookie `name`."""

    location = "cookie"

    def read(self, request: HTTPConnection) -> str | None:
        return request.cookies.get(self.model["name"])
