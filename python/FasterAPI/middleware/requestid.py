"""RequestIDMiddleware: an ID for every HTTP request, taken from the client's `X-Request-ID`
header when it is sane, else made up; returned in the response's header (a 404, a 422 and
the 500 of an unhandled exception included), kept in `request.state.request_id`, and
readable anywhere while the request is handled with `request_id()`, which
`RequestIDFilter` puts on every log record (`record.request_id`).

It is a pure-ASGI middleware (it wraps `send` to add the header): on the native server that
costs less per request than a BaseHTTPMiddleware run by the server's http middleware chain
(FasterAPI.server.chain; figures in docs/logging.md). WebSocket connections and the lifespan
pass through it untouched.

The ID lives in a context variable set in the request's own context (each request is served
in a task, or a copy of a context, of its own, by every server and by TestClient): it is
left set after the middleware returns, so that what the server logs once the response goes out
(its access-log line, the traceback of an unhandled exception) carries it too, and the
request's background tasks and dependency exits, which run in a copy of that context, see it.
"""

from __future__ import annotations

import contextvars
import logging
import os
import re
from collections.abc import Callable
from typing import Any

from .errors import answer_unhandled

#: The longest client-given ID `is_valid_request_id` takes.
MAX_LENGTH = 128
#: What `RequestIDFilter` puts on a record logged outside any request, by default.
NO_REQUEST_ID = "-"

_VISIBLE_ASCII = re.compile(rf"[\x21-\x7e]{{1,{MAX_LENGTH}}}")
#: An HTTP header name (RFC 9110's token).
_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")

#: uuid.uuid4's bits: the variant (RFC 4122) and the version (4) set in 128 random ones.
_UUID4_KEEP = ~((0xC000 << 48) | (0xF000 << 64)) & ((1 << 128) - 1)
_UUID4_SET = (0x8000 << 48) | (4 << 76)

_request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "fasterapi_request_id", default=None
)


def request_id() -> str | None:
    """The ID of the request being handled (set by RequestIDMiddleware), or None outside one."""
    return _request_id.get()


def new_request_id() -> str:
    """A fresh request ID: a random (version 4) UUID's 32 hex digits, as `uuid.uuid4().hex`
    gives, in about half its time."""
    bits = int.from_bytes(os.urandom(16), "big") & _UUID4_KEEP | _UUID4_SET
    return f"{bits:032x}"


def is_valid_request_id(value: str) -> bool:
    """Whether a client's ID is taken as it is: 1 to MAX_LENGTH visible ASCII characters (no
    space, control character or non-ASCII byte, which could forge or break a log line)."""
    return _VISIBLE_ASCII.fullmatch(value) is not None


class RequestIDMiddleware:
    """`RequestIDMiddleware(app, header_name="X-Request-ID", generator=new_request_id,
    validator=is_valid_request_id)`: the client's ID from `header_name` when `validator`
    accepts it, else `generator()`'s; see the module's docstring. Add it last (outermost), so
    that the other middleware's logs carry the ID too."""

    def __init__(
        self,
        app: Any,
        header_name: str = "X-Request-ID",
        generator: Callable[[], str] = new_request_id,
        validator: Callable[[str], bool] = is_valid_request_id,
    ) -> None:
        if not isinstance(header_name, str) or _TOKEN.fullmatch(header_name) is None:
            raise ValueError(f"header_name must be an HTTP header name, got {header_name!r}")
        if not callable(validator):
            raise TypeError(f"validator must be a callable taking a str, got {validator!r}")
        _check_generator(generator)
        _check_validator(validator)
        self.app = app
        self.header_name = header_name
        self.generator = generator
        self.validator = validator
        self._raw_name = header_name.lower().encode("latin-1")

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":  # (WebSocket, lifespan: untouched)
            return await self.app(scope, receive, send)
        rid = self.request_id_of(scope["headers"])
        _request_id.set(rid)  # (left set: see the module's docstring)
        scope.setdefault("state", {})["request_id"] = rid  # request.state.request_id
        header = (self._raw_name, rid.encode("latin-1"))
        started = False

        async def send_with_id(message: dict[str, Any]) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                message = _with_header(message, header)
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception as exc:
            if started:
                raise
            await answer_unhandled(scope, receive, send_with_id, exc)  # (raises exc again)

    def request_id_of(self, headers: list[tuple[bytes, bytes]]) -> str:
        """The ID of a request with these (ASGI) headers: the client's first `header_name`
        if the validator takes it, else a new one."""
        for name, value in headers:  # (ASGI header names are lower-case)
            if name == self._raw_name:
                given = value.decode("latin-1")
                try:
                    taken = self.validator(given)
                except Exception:  # (a validator parsing the ID, uuid.UUID say: not one)
                    taken = False
                if taken:
                    return given
                break
        rid = self.generator()
        if not isinstance(rid, str) or not rid:
            raise TypeError(f"the request ID generator must return a non-empty str, got {rid!r}")
        return rid


def _with_header(message: dict[str, Any], header: tuple[bytes, bytes]) -> dict[str, Any]:
    """An `http.response.start` message with `header` in place of any of the same name."""
    name = header[0]
    headers = [h for h in message.get("headers", ()) if h[0].lower() != name]
    headers.append(header)
    return {**message, "headers": headers}


def _check_generator(generator: Any) -> None:
    """A TypeError or ValueError, naming the option, for a generator whose IDs could not be
    sent in a header or written in a log line: it is called once, and its ID must be one the
    default validator would take from a client (1 to MAX_LENGTH visible ASCII characters)."""
    if not callable(generator):
        raise TypeError(f"generator must be a callable returning a str, got {generator!r}")
    try:
        rid = generator()
    except TypeError as exc:  # (it takes arguments)
        raise TypeError(f"generator must be callable with no arguments: {exc}") from exc
    if not isinstance(rid, str):
        raise TypeError(f"generator must return a str, returned {rid!r}")
    if not is_valid_request_id(rid):
        raise ValueError(
            f"generator must return 1 to {MAX_LENGTH} visible ASCII characters "
            f"(no space or control character), returned {rid!r}"
        )


def _check_validator(validator: Any) -> None:
    """A TypeError, naming the option, for a validator that cannot be called with a str."""
    try:
        validator("0" * 32)
    except TypeError as exc:
        raise TypeError(f"validator must be callable with one str: {exc}") from exc


class RequestIDFilter(logging.Filter):
    """A logging filter that sets `record.request_id` on every record it sees that has none
    (one given with `extra=` is kept): the ID of the request being handled (`request_id()`),
    else `default`. Attach it to a handler (a filter on a logger does not see the records
    its child loggers propagate), then use `%(request_id)s` in a format, or
    FasterAPI.logger.JSONFormatter."""

    def __init__(self, name: str = "", default: str = NO_REQUEST_ID) -> None:
        super().__init__(name)
        self.default = default

    def filter(self, record: logging.LogRecord) -> bool:
        if record.__dict__.get("request_id") is None:  # (one given with extra= stays)
            rid = _request_id.get()
            record.request_id = self.default if rid is None else rid
        return True
