"""What every security scheme has: the OpenAPI description of the scheme (`model`, a dict
for `components/securitySchemes`), the name it is listed under (`scheme_name`), and the
401 it answers when credentials are missing and `auto_error` is on."""

from __future__ import annotations

from typing import Any

from ..exceptions import HTTPException


class SecurityBase:
    """A dependency that reads credentials from the request and documents how in OpenAPI."""

    model: dict[str, Any]
    scheme_name: str
    auto_error: bool = True

    def _init(self, model: dict[str, Any], scheme_name: str | None, auto_error: bool) -> None:
        self.model = {k: v for k, v in model.items() if v is not None}
        self.scheme_name = scheme_name or type(self).__name__
        self.auto_error = auto_error

    def make_authenticate_headers(self) -> dict[str, str]:
        return {"WWW-Authenticate": "Bearer"}

    def make_not_authenticated_error(self) -> HTTPException:
        """The 401 `{"detail": "Not authenticated"}` with this scheme's WWW-Authenticate
        challenge, as FastAPI answers it."""
        return HTTPException(401, "Not authenticated", headers=self.make_authenticate_headers())

    def _missing(self) -> None:
        """Credentials are missing or malformed: a 401, or None with auto_error=False."""
        if self.auto_error:
            raise self.make_not_authenticated_error()
