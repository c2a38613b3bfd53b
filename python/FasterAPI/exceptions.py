"""FastAPI's exceptions: HTTPException, the validation errors, FastAPIError and its
deprecation warning.

Where Starlette is installed, HTTPException and WebSocketException are subclasses of
Starlette's, as FastAPI's are: a handler registered for Starlette's HTTPException answers
ours too, and Starlette's own, raised by a handler, is answered like ours."""

from __future__ import annotations

import http
import inspect
from collections.abc import Mapping, Sequence
from typing import Any, TypedDict

from ._starlette import StarletteHTTPException, StarletteWebSocketException


class HTTPException(StarletteHTTPException):
    """Raise it from a handler to answer `status_code` with `{"detail": detail}`."""

    def __init__(
        self, status_code: int, detail: Any = None, headers: Mapping[str, str] | None = None
    ) -> None:
        if detail is None:
            detail = http.HTTPStatus(status_code).phrase
        super().__init__(status_code, detail)
        self.status_code = status_code
        self.detail = detail
        self.headers = headers

    def __str__(self) -> str:
        return f"{self.status_code}: {self.detail}"

    def __repr__(self) -> str:
        return f"{type(self).__name__}(status_code={self.status_code!r}, detail={self.detail!r})"


class FastAPIError(RuntimeError):
    """A FastAPI-specific error: a misuse of the framework, found when the app is built."""


class DependencyScopeError(FastAPIError):
    """A dependency depends on one whose scope ends sooner: a `scope="request"` yield
    dependency on a `scope="function"` one, which would be closed while it is still in use."""


class PydanticV1NotSupportedError(FastAPIError):
    """A `pydantic.v1` model was used: FastAPI 0.165 (and FasterAPI) support pydantic 2 only."""


class FastAPIDeprecationWarning(UserWarning):
    """A deprecated use of the API; a UserWarning, so that it is shown by default (Python
    hides DeprecationWarning outside `__main__`)."""


class EndpointContext(TypedDict, total=False):
    """Where a validation error happened, for its message: the endpoint's function, source
    file and line, and `"METHOD /path"`."""

    function: str
    path: str
    file: str
    line: int


class ValidationException(Exception):
    """Base of the validation errors; `errors()` gives FastAPI's error dicts, and `str()`
    lists them with the endpoint they came from (`endpoint_ctx`), as FastAPI does."""

    def __init__(
        self, errors: Sequence[Any], *, endpoint_ctx: EndpointContext | None = None
    ) -> None:
        super().__init__(errors)
        self._errors = list(errors)
        self.endpoint_ctx = endpoint_ctx

    def errors(self) -> list[Any]:
        return self._errors

    @property
    def endpoint_function(self) -> str | None:
        return (self.endpoint_ctx or {}).get("function")

    @property
    def endpoint_path(self) -> str | None:
        return (self.endpoint_ctx or {}).get("path")

    @property
    def endpoint_file(self) -> str | None:
        return (self.endpoint_ctx or {}).get("file")

    @property
    def endpoint_line(self) -> int | None:
        return (self.endpoint_ctx or {}).get("line")

    def _endpoint(self) -> str:
        if self.endpoint_file and self.endpoint_line and self.endpoint_function:
            where = f'\n  File "{self.endpoint_file}", line {self.endpoint_line}, '
            where += f"in {self.endpoint_function}"
            return where + (f"\n    {self.endpoint_path}" if self.endpoint_path else "")
        return f"\n  Endpoint: {self.endpoint_path}" if self.endpoint_path else ""

    def __str__(self) -> str:
        count = len(self._errors)
        lines = [f"{count} validation error{'s' if count != 1 else ''}:"]
        lines += [f"  {err}" for err in self._errors]
        return ("\n".join(lines) + self._endpoint()).rstrip()


class _WithBody(ValidationException):
    """A validation error that keeps what failed (`body`): the request's body, or the value
    the handler returned."""

    def __init__(
        self,
        errors: Sequence[Any],
        *,
        body: Any = None,
        endpoint_ctx: EndpointContext | None = None,
    ) -> None:
        super().__init__(errors, endpoint_ctx=endpoint_ctx)
        self.body = body


class RequestValidationError(_WithBody):
    """A request's parameters or body failed validation; answered 422 by default."""


class WebSocketRequestValidationError(ValidationException):
    """A WebSocket's parameters failed validation; the connection is closed with 1008."""


class ResponseValidationError(_WithBody):
    """A handler's return value (`body`) did not match its response model. No handler answers
    it by default: it is a server error, a 500 `{"detail": "Internal Server Error"}`, and
    re-raised so that the server logs it with its errors (and TestClient raises it)."""


def endpoint_context(endpoint: Any, method: str, path: str) -> EndpointContext:
    """The EndpointContext of `endpoint` answering `method path`: its name, and its source
    file and line where Python can find them."""
    context: EndpointContext = {"path": f"{method} {path}"}
    function = inspect.unwrap(endpoint)
    name = getattr(function, "__name__", None)
    if name:
        context["function"] = name
    try:
        context["file"] = inspect.getsourcefile(function) or ""
        context["line"] = inspect.getsourcelines(function)[1]
    except (OSError, TypeError):
        pass
    return context


class WebSocketException(StarletteWebSocketException):
    """Raise it from a WebSocket endpoint or dependency to close the connection with `code`."""

    def __init__(self, code: int, reason: str | None = None) -> None:
        super().__init__(code, reason)
        self.code = code
        self.reason = reason or ""


def _close_reason(text: str, limit: int = 123) -> str:
    """`text` cut to at most `limit` UTF-8 bytes, on a character boundary."""
    data = text.encode()
    return text if len(data) <= limit else data[:limit].decode(errors="ignore")
