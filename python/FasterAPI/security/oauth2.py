"""OAuth2 (OpenAPI's `oauth2` scheme): the password flow's bearer token
(OAuth2PasswordBearer), the authorization-code flow's (OAuth2AuthorizationCodeBearer), any
flows (OAuth2), and SecurityScopes, the scopes a route's `Security(...)` chain requires."""

from __future__ import annotations

from typing import Any

from ..requests import HTTPConnection
from .base import SecurityBase
from .utils import get_authorization_scheme_param


class OAuth2(SecurityBase):
    """OAuth2 with the given `flows` (OpenAPI's OAuth Flows object); the dependency's value is
    the whole Authorization header. Usually one of the subclasses below is what you want."""

    def __init__(
        self,
        *,
        flows: dict[str, dict[str, Any]] | None = None,
        scheme_name: str | None = None,
        description: str | None = None,
        auto_error: bool = True,
    ) -> None:
        flows = {name: _flow(**flow) for name, flow in (flows or {}).items()}
        self._init(
            {"type": "oauth2", "description": description, "flows": flows}, scheme_name, auto_error
        )

    async def __call__(self, request: HTTPConnection) -> str | None:
        authorization = request.headers.get("Authorization")
        if not authorization:
            return self._missing()
        return authorization


class OAuth2PasswordBearer(OAuth2):
    """The password flow: clients get a token by posting a username and password to
    `tokenUrl` (Swagger UI's "Authorize" does), then send it as `Authorization: Bearer
    <token>`. The dependency's value is the token."""

    def __init__(
        self,
        tokenUrl: str,  # noqa: N803 - FastAPI's (and OpenAPI's) name
        scheme_name: str | None = None,
        scopes: dict[str, str] | None = None,
        description: str | None = None,
        auto_error: bool = True,
        refreshUrl: str | None = None,  # noqa: N803
    ) -> None:
        flow = {"tokenUrl": tokenUrl, "refreshUrl": refreshUrl, "scopes": scopes or {}}
        super().__init__(
            flows={"password": flow},
            scheme_name=scheme_name,
            description=description,
            auto_error=auto_error,
        )

    async def __call__(self, request: HTTPConnection) -> str | None:  # type: ignore[override]
        return _bearer_token(self, request)


class OAuth2AuthorizationCodeBearer(OAuth2):
    """The authorization-code flow: the dependency's value is the bearer token."""

    def __init__(
        self,
        authorizationUrl: str,  # noqa: N803 - FastAPI's (and OpenAPI's) names
        tokenUrl: str,  # noqa: N803
        refreshUrl: str | None = None,  # noqa: N803
        scheme_name: str | None = None,
        scopes: dict[str, str] | None = None,
        description: str | None = None,
        auto_error: bool = True,
    ) -> None:
        flow = {"authorizationUrl": authorizationUrl, "tokenUrl": tokenUrl}
        flow.update(refreshUrl=refreshUrl, scopes=scopes or {})
        super().__init__(
            flows={"authorizationCode": flow},
            scheme_name=scheme_name,
            description=description,
            auto_error=auto_error,
        )

    async def __call__(self, request: HTTPConnection) -> str | None:  # type: ignore[override]
        return _bearer_token(self, request)


class SecurityScopes:
    """The scopes required along the chain of `Security(dep, scopes=[...])` that led to a
    dependency; `scope_str` joins them with spaces, as a WWW-Authenticate header wants."""

    def __init__(self, scopes: list[str] | None = None) -> None:
        self.scopes: list[str] = list(scopes or [])
        self.scope_str: str = " ".join(self.scopes)

    def __repr__(self) -> str:
        return f"SecurityScopes({self.scopes!r})"


def _flow(**flow: Any) -> dict[str, Any]:
    """An OAuth flow object without the fields left out (None)."""
    return {k: v for k, v in flow.items() if v is not None}


def _bearer_token(scheme: OAuth2, request: HTTPConnection) -> str | None:
    authorization = request.headers.get("Authorization")
    kind, token = get_authorization_scheme_param(authorization)
    if not authorization or kind.lower() != "bearer":
        return scheme._missing()
    return token
