"""The Request object a handler gets by annotating a parameter with `Request`, and
`ClientDisconnect`, which reading its body raises when the client leaves first (as
starlette.requests has it)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from http.cookies import _unquote  # type: ignore[attr-defined]
from typing import Any

from ._http.body import ClientDisconnect, read_body
from ._http.forms import read_form
from ._http.hosts import request_netloc
from ._starlette import register_as_starlettes
from .datastructures import URL, Address, FormData, Headers, QueryParams, State


async def _empty_receive() -> dict[str, Any]:
    return {"type": "http.disconnect"}


class HTTPConnection:
    """What HTTP requests and WebSockets share: scope, URL, headers, query, cookies, client."""

    def __init__(self, scope: dict[str, Any], receive: Any = None) -> None:
        self.scope = scope
        self._receive = receive or _empty_receive

    def __getitem__(self, key: str) -> Any:
        return self.scope[key]

    @property
    def app(self) -> Any:
        return self.scope.get("app")

    @property
    def url(self) -> URL:
        scheme = self.scope.get("scheme", "http")
        host = request_netloc(self.scope, self.headers.get("host")) or "localhost"
        path = self.scope["path"]  # includes root_path, as the ASGI spec says
        query = self.scope.get("query_string", b"").decode("latin-1")
        return URL(f"{scheme}://{host}{path}" + (f"?{query}" if query else ""))

    @property
    def base_url(self) -> URL:
        url = self.url
        return URL(
            f"{url.scheme}://{url.split('://', 1)[1].split('/', 1)[0]}"
            f"{self.scope.get('root_path', '')}/"
        )

    @property
    def path(self) -> str:
        """The request's path, `scope["path"]` (faster-api-web's name; `url.path` in FastAPI)."""
        return self.scope["path"]

    @property
    def headers(self) -> Headers:
        if "_headers" not in self.__dict__:
            self._headers = Headers(scope=self.scope)
        return self._headers

    def url_for(self, name: str, /, **path_params: Any) -> URL:
        """The absolute URL of the route (or mount) called `name`, as in FastAPI:
        `request.url_for("read_item", item_id=3)`."""
        path = self.scope["app"].url_path_for(name, **path_params)
        return URL(str(self.base_url).rstrip("/") + path)

    @property
    def query_params(self) -> QueryParams:
        return QueryParams(self.scope.get("query_string", b""))

    @property
    def path_params(self) -> dict[str, Any]:
        return self.scope.get("path_params", {})

    @property
    def cookies(self) -> dict[str, str]:
        """The Cookie header's pairs, read leniently as Starlette (and browsers) do: a pair
        that does not parse does not lose the others."""
        cookies: dict[str, str] = {}
        for header in self.headers.getlist("cookie"):
            for chunk in header.split(";"):
                key, sep, value = chunk.partition("=")
                if not sep:  # a value without a name
                    key, value = "", key
                key, value = key.strip(), value.strip()
                if key or value:
                    cookies[key] = _unquote(value)
        return cookies

    @property
    def client(self) -> Address | None:
        client = self.scope.get("client")
        return Address(*client) if client else None

    @property
    def state(self) -> State:
        if "_state" not in self.__dict__:
            self._state = State(self.scope.setdefault("state", {}))
        return self._state

    @property
    def session(self) -> dict[str, Any]:
        """The session SessionMiddleware read from the request's cookie (a dict to change:
        what it holds at the end is sent back), as Starlette's."""
        if "session" not in self.scope:
            raise AssertionError("SessionMiddleware must be installed to access request.session")
        session: dict[str, Any] = self.scope["session"]
        mark = getattr(session, "mark_accessed", None)
        if mark is not None:  # (the response then says Vary: Cookie)
            mark()
        return session

    @property
    def auth(self) -> Any:
        """The credentials AuthenticationMiddleware's backend gave (`AuthCredentials`, with
        its `scopes`), as Starlette's."""
        if "auth" not in self.scope:
            raise AssertionError(
                "AuthenticationMiddleware must be installed to access request.auth"
            )
        return self.scope["auth"]

    @property
    def user(self) -> Any:
        """The user AuthenticationMiddleware's backend gave (a `BaseUser`;
        `UnauthenticatedUser` when it gave none), as Starlette's."""
        if "user" not in self.scope:
            raise AssertionError(
                "AuthenticationMiddleware must be installed to access request.user"
            )
        return self.scope["user"]


class Request(HTTPConnection):
    """An HTTP request: its scope plus the body, read once and kept."""

    def __init__(self, scope: dict[str, Any], receive: Any = None, send: Any = None) -> None:
        super().__init__(scope, receive)
        self._send = send
        if scope.get("fasterapi.body") is not None:  # no `_body` until read, as Starlette's
            self._body: bytes = scope["fasterapi.body"]
        self._disconnected = False
        #: A form the route read as it arrived (its files spooled) is the one `form()` gives;
        #: its body is gone (body() and stream() raise "Stream consumed", as in FastAPI).
        self._form: FormData | None = scope.get("fasterapi.form")
        self._streamed = self._form is not None

    @property
    def method(self) -> str:
        return self.scope["method"]

    @property
    def content_type(self) -> str | None:
        """The Content-Type header, or None (faster-api-web's name)."""
        return self.headers.get("content-type")

    @property
    def receive(self) -> Any:
        return self._receive

    async def body(self) -> bytes:
        if not hasattr(self, "_body"):  # a subclass may set it (FastAPI's GzipRequest)
            if self._streamed:
                raise RuntimeError("Stream consumed")
            self._body = await read_body(self._receive)
        return self._body

    async def stream(self) -> AsyncIterator[bytes]:
        """The body as it arrives, piece by piece (for bodies too big to hold), as
        Starlette's; the body already read if `body()` was awaited first. A client that
        leaves halfway raises ClientDisconnect."""
        if hasattr(self, "_body"):
            yield self._body
            return
        if self._streamed:
            raise RuntimeError("Stream consumed")
        self._streamed = True
        while True:
            message = await self._receive()
            if message["type"] == "http.disconnect":
                raise ClientDisconnect()
            if message.get("body"):
                yield message["body"]
            if not message.get("more_body", False):
                return

    async def json(self) -> Any:
        return json.loads(await self.body())

    def form(
        self,
        *,
        max_files: int = 1000,
        max_fields: int = 1000,
        max_part_size: int = 1024 * 1024,
    ) -> _FormCall:
        """The body as a form (urlencoded or multipart, parsed in Rust), as Starlette's
        `await request.form()`; empty when the Content-Type is not a form's. A malformed form,
        or one over a limit, raises HTTPException(400). `async with request.form() as form:`
        closes its files at the end."""
        return _FormCall(self._read_form(max_files, max_fields, max_part_size), self)

    async def _read_form(self, max_files: int, max_fields: int, max_part_size: int) -> FormData:
        if self._form is None:
            # A route with form parameters has read the form already, within its limits:
            # as in FastAPI, that form is the one returned, whatever limits are asked now.
            limits = getattr(getattr(self.scope.get("route"), "body", None), "limits", None)
            if limits is not None:
                max_files, max_fields = limits["max_files"], limits["max_fields"]
                max_part_size = limits["max_part_size"]
            body = await self.body()
            content_type = self.headers.get("content-type")
            self._form = read_form(body, content_type, max_files, max_fields, max_part_size)
        return self._form

    async def close(self) -> None:
        """Closes the files of the form read, if any."""
        if self._form is not None:
            await self._form.close()

    async def is_disconnected(self) -> bool:
        """Whether the client has gone away, asked without waiting (as Starlette does, a body
        message that was waiting is dropped: read the body first)."""
        if not self._disconnected:
            task = asyncio.ensure_future(self._receive())
            await asyncio.sleep(0)  # one turn: an answer that is ready is in
            if task.done():
                self._disconnected = task.result()["type"] == "http.disconnect"
            else:
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)
        return self._disconnected


class _FormCall:
    """`request.form()`: awaited, the form; as an async context manager, the form, whose
    files are closed on leaving."""

    def __init__(self, read: Any, request: Request) -> None:
        self._read = read
        self._request = request

    def __await__(self) -> Any:
        return self._read.__await__()

    async def __aenter__(self) -> FormData:
        return await self._read

    async def __aexit__(self, *exc_info: Any) -> None:
        await self._request.close()


register_as_starlettes(HTTPConnection, "requests", "HTTPConnection")
register_as_starlettes(Request, "requests", "Request")
