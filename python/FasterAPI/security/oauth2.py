"""OAuth2 (OpenAPI's `oauth2` scheme): the password flow's bearer token
(OAuth2PasswordBearer) and login form (OAuth2PasswordRequestForm), the authorization-code
flow's token (OAuth2AuthorizationCodeBearer), any flows (OAuth2), and SecurityScopes, the
scopes a route's `Security(...)` chain requires."""

from __future__ import annotations

from typing import Annotated, Any

from ..params import Form
from ..requests import HTTPConnection
from .base import SecurityBase
from .utils import get_authorization_scheme_param


class OAuth2PasswordRequestForm:
    """The login form of OAuth2's password flow, as a class dependency
    (`form: Annotated[OAuth2PasswordRequestForm, Depends()]`): `username` and `password`,
    `scope` (spaces between scopes; read as the `scopes` list), and the optional
    `grant_type` ("password" if given), `client_id` and `client_secret`. Swagger UI's
    "Authorize" posts this form to the `tokenUrl` of an OAuth2PasswordBearer."""

    def __init__(
        self,
        *,
        grant_type: Annotated[str | None, Form(pattern="^password$")] = None,
        username: Annotated[str, Form()],
        password: Annotated[str, Form(json_schema_extra={"format": "password"})],
        scope: Annotated[str, Form()] = "",
        client_id: Annotated[str | None, Form()] = None,
        client_secret: Annotated[str | None, Form(json_schema_extra={"format": "password"})] = None,
    ) -> None:
        self.grant_type = grant_type
        self.username = username
        self.password = password
        self.scopes = scope.split()
        self.client_id = client_id
        self.client_secret = client_secret


class OAuth2PasswordRequestFormStrict(OAuth2PasswordRequestForm):
    """OAuth2PasswordRequestForm with `grant_type` required, as the OAuth2 spec says."""

    def __init__(
        self,
        grant_type: Annotated[str, Form(pattern="^password$")],
        username: Annotated[str, Form()],
        password: Annotated[str, Form()],
        scope: Annotated[str, Form()] = "",
        client_id: Annotated[str | None, Form()] = None,
        client_secret: Annotated[str | None, Form()] = None,
    ) -> None:
        super().__init__(
            grant_type=grant_type,
            username=username,
            password=password,
            scope=scope,
            client_id=client_id,
            client_secret=client_secret,
        )


class OAuth2(SecurityBase):
    """OAuth2 with the given `flows` (OpenAPI's OAuth Flows object, as a dict or as
    FasterAPI.openapi.models.OAuthFlows, FastAPI's OAuthFlowsModel); the dependency's value is
    the whole Authorization header. Usually one of the subclasses below is what you want."""

    def __init__(
        self,
        *,
        flows: Any = None,  # dict[str, dict[str, Any]] | OAuthFlows (pydantic: not imported)
        scheme_name: str | None = None,
        description: str | None = None,
        auto_error: bool = True,
    ) -> None:
        if hasattr(flows, "model_dump"):  # the pydantic model: its fields that are set
            flows = flows.model_dump(by_alias=True, exclude_none=True)
        flows = {name: _flow(**flow) for name, flow in (flows or {}).items()}
        self._init(
            {"type": "oauth2", "description": description, "flows": flows}, scheme_name, auto_error
        )

    async def __call__(self, request: HTTPConnection) -> str | None:
        return self._read_headers(request)

    def _read_headers(self, request: HTTPConnection) -> str | None:
        """`__call__`, which awaits nothing, as a plain call (what a route's run calls)."""
        authorization = request.headers.get("Authorization")
        if not authorization:
            self._missing()
            return None
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

    def _read_headers(self, request: HTTPConnection) -> str | None:
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
        flow: dict[str, Any] = {"authorizationUrl": authorizationUrl, "tokenUrl": tokenUrl}
        flow.update(refreshUrl=refreshUrl, scopes=scopes or {})
        super().__init__(
            flows={"authorizationCode": flow},
            scheme_name=scheme_name,
            description=description,
            auto_error=auto_error,
        )

    def _read_headers(self, request: HTTPConnection) -> str | None:
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
        scheme._missing()
        return None
    return token
