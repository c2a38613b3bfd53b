"""OpenID Connect (OpenAPI's `openIdConnect` scheme): documents the provider's discovery URL;
the dependency's value is the Authorization header, unchecked."""

from __future__ import annotations

from ..requests import HTTPConnection
from .base import SecurityBase


class OpenIdConnect(SecurityBase):
    def __init__(
        self,
        *,
        openIdConnectUrl: str,  # noqa: N803 - FastAPI's (and OpenAPI's) name
        scheme_name: str | None = None,
        description: str | None = None,
        auto_error: bool = True,
    ) -> None:
        model = {"type": "openIdConnect", "description": description}
        model["openIdConnectUrl"] = openIdConnectUrl
        self._init(model, scheme_name, auto_error)

    async def __call__(self, request: HTTPConnection) -> str | None:
        authorization = request.headers.get("Authorization")
        if not authorization:
            self._missing()
            return None
        return authorization
