"""HTTP authentication schemes (OpenAPI's `http` type): Basic, Bearer and Digest, read from
the Authorization header."""

from __future__ import annotations

import binascii
from base64 import b64decode
from typing import Any

import msgspec

from ..requests import HTTPConnection
from .base import SecurityBase
from .utils import get_authorization_scheme_param


class HTTPBasicCredentials(msgspec.Struct):
    """What HTTPBasic gives: the username and password of a Basic Authorization header."""

    username: str
    password: str


class HTTPAuthorizationCredentials(msgspec.Struct):
    """What HTTPBearer and HTTPDigest give: the scheme (`Bearer`) and the credentials (the
    token) of the Authorization header."""

    scheme: str
    credentials: str


class HTTPBase(SecurityBase):
    """Any HTTP scheme: the Authorization header's scheme and credentials, unchecked."""

    def __init__(
        self,
        *,
        scheme: str,
        scheme_name: str | None = None,
        description: str | None = None,
        auto_error: bool = True,
    ) -> None:
        self._init(
            {"type": "http", "description": description, "scheme": scheme}, scheme_name, auto_error
        )

    def make_authenticate_headers(self) -> dict[str, str]:
        return {"WWW-Authenticate": self.model["scheme"].title()}

    def _credentials(
        self, request: HTTPConnection, scheme: str | None
    ) -> HTTPAuthorizationCredentials | None:
        """The Authorization header's credentials, if it has some (of `scheme`, if given)."""
        authorization = request.headers.get("Authorization")
        found, credentials = get_authorization_scheme_param(authorization)
        if not (authorization and found and credentials):
            self._missing()
            return None
        if scheme is not None and found.lower() != scheme:
            self._missing()
            return None
        return HTTPAuthorizationCredentials(scheme=found, credentials=credentials)

    async def __call__(self, request: HTTPConnection) -> HTTPAuthorizationCredentials | None:
        return self._read_headers(request)

    def _read_headers(self, request: HTTPConnection) -> Any:
        """`__call__`, which awaits nothing, as a plain call (what a route's run calls)."""
        return self._credentials(request, None)


class HTTPBasic(HTTPBase):
    """HTTP Basic authentication (RFC 7617): the dependency's value is HTTPBasicCredentials.
    Without a valid header it answers 401 with `WWW-Authenticate: Basic` (and the realm, if
    given), which makes a browser ask for a username and password."""

    def __init__(
        self,
        *,
        scheme_name: str | None = None,
        realm: str | None = None,
        description: str | None = None,
        auto_error: bool = True,
    ) -> None:
        super().__init__(
            scheme="basic", scheme_name=scheme_name, description=description, auto_error=auto_error
        )
        self.realm = realm

    def make_authenticate_headers(self) -> dict[str, str]:
        if self.realm:
            return {"WWW-Authenticate": f'Basic realm="{self.realm}"'}
        return {"WWW-Authenticate": "Basic"}

    async def __call__(self, request: HTTPConnection) -> HTTPBasicCredentials | None:  # type: ignore[override]
        return self._read_headers(request)  # type: ignore[no-any-return]

    def _read_headers(self, request: HTTPConnection) -> Any:
        authorization = request.headers.get("Authorization")
        scheme, param = get_authorization_scheme_param(authorization)
        if not authorization or scheme.lower() != "basic":
            self._missing()
            return None
        try:
            data = b64decode(param).decode("ascii")
        except (ValueError, UnicodeDecodeError, binascii.Error):
            raise self.make_not_authenticated_error() from None
        username, separator, password = data.partition(":")
        if not separator:
            raise self.make_not_authenticated_error()
        return HTTPBasicCredentials(username=username, password=password)


class HTTPBearer(HTTPBase):
    """A bearer token in the Authorization header: the dependency's value is
    HTTPAuthorizationCredentials (`.credentials` is the token)."""

    def __init__(
        self,
        *,
        bearerFormat: str | None = None,  # noqa: N803 - FastAPI's (and OpenAPI's) name
        scheme_name: str | None = None,
        description: str | None = None,
        auto_error: bool = True,
    ) -> None:
        model = {"type": "http", "description": description, "scheme": "bearer"}
        model["bearerFormat"] = bearerFormat
        self._init(model, scheme_name, auto_error)

    def _read_headers(self, request: HTTPConnection) -> Any:
        authorization = request.headers.get("Authorization")
        if authorization:  # the usual case, in one call: a well-formed bearer token
            scheme, _, credentials = authorization.partition(" ")
            credentials = credentials.strip()
            if credentials and scheme.lower() == "bearer":
                return HTTPAuthorizationCredentials(scheme=scheme, credentials=credentials)
        return self._credentials(request, "bearer")  # (which words what is wrong)


class HTTPDigest(HTTPBase):
    """HTTP Digest: the Authorization header's Digest credentials, unchecked (verifying them
    is the app's work, as in FastAPI)."""

    def __init__(
        self,
        *,
        scheme_name: str | None = None,
        description: str | None = None,
        auto_error: bool = True,
    ) -> None:
        super().__init__(
            scheme="digest", scheme_name=scheme_name, description=description, auto_error=auto_error
        )

    def _read_headers(self, request: HTTPConnection) -> Any:
        return self._credentials(request, "digest")
