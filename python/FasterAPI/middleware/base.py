"""BaseHTTPMiddleware: middleware written as `async def dispatch(request, call_next)`, as in
Starlette, and what `@app.middleware("http")` makes. `call_next(request)` runs the rest of
the app and gives back its response, whose body streams through as the app sends it; the
middleware may read or change the status and headers, or return a response of its own."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from ..requests import Request
from ..responses import Response, StreamingResponse

CallNext = Callable[[Request], Awaitable[Response]]

_END = object()  # the app returned


class _Failed:
    """The app raised: `exc`, passed on through the response queue."""

    def __init__(self, exc: BaseException) -> None:
        self.exc = exc


class BaseHTTPMiddleware:
    def __init__(
        self,
        app: Any,
        dispatch: Callable[[Request, CallNext], Awaitable[Response]] | None = None,
    ) -> None:
        self.app = app
        self.dispatch_func = self.dispatch if dispatch is None else dispatch

    async def dispatch(self, request: Request, call_next: CallNext) -> Response:
        raise NotImplementedError("subclasses of BaseHTTPMiddleware define dispatch()")

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        request = Request(scope, receive)
        response_sent = asyncio.Event()
        apps: list[asyncio.Future] = []
        #: (message, ack) pairs from the app; its send returns once the message has been
        #: passed on, so its background tasks run after the client has the response.
        messages: asyncio.Queue = asyncio.Queue()
        body_replayed = False
        delivered: list[BaseException] = []

        async def app_receive() -> dict[str, Any]:
            """The app's receive: the body again if dispatch read it, then the client's
            messages, or a disconnect once the middleware's response is sent (so that a
            response it dropped stops streaming)."""
            nonlocal body_replayed
            body = getattr(request, "_body", None)  # set once dispatch has read it
            if body is not None and not body_replayed:
                body_replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            if response_sent.is_set():
                return {"type": "http.disconnect"}
            message = asyncio.ensure_future(receive())
            sent = asyncio.ensure_future(response_sent.wait())
            await asyncio.wait((message, sent), return_when=asyncio.FIRST_COMPLETED)
            if message.done():
                sent.cancel()
                return message.result()
            message.cancel()
            return {"type": "http.disconnect"}

        async def app_send(message: dict[str, Any]) -> None:
            if response_sent.is_set():
                return  # the middleware answered: nobody reads this any more
            ack = asyncio.get_running_loop().create_future()
            await messages.put((message, ack))
            await ack

        async def run_app() -> None:
            try:
                await self.app(scope, app_receive, app_send)
            except BaseException as exc:
                await messages.put((_Failed(exc), None))
                raise
            await messages.put((_END, None))

        async def call_next(_request: Request) -> Response:
            if apps:
                raise RuntimeError("call_next() can be called once per request")
            apps.append(asyncio.ensure_future(run_app()))
            start, ack = await messages.get()
            if isinstance(start, _Failed):
                delivered.append(start.exc)  # dispatch has it: not raised again below
                raise start.exc
            if start is _END or start.get("type") != "http.response.start":
                raise RuntimeError("No response returned.")
            ack.set_result(None)
            return _AppResponse(start, messages)

        try:
            response = await self.dispatch_func(request, call_next)
            await response(scope, receive, send)
        finally:
            response_sent.set()
            while not messages.empty():  # messages nobody will pass on
                _, ack = messages.get_nowait()
                if ack is not None and not ack.done():
                    ack.set_result(None)
            # The app goes on after its response (background tasks): wait for it, and let an
            # error it raised go on up (the server logs it).
            results = await asyncio.gather(*apps, return_exceptions=True)
        for result in results:
            if isinstance(result, BaseException) and not isinstance(result, asyncio.CancelledError):
                if not any(result is exc for exc in delivered):
                    raise result


class _AppResponse(StreamingResponse):
    """What call_next gives: the app's status and headers (to read or change) and its body,
    streamed on as it comes."""

    def __init__(self, start: dict[str, Any], messages: asyncio.Queue) -> None:
        super().__init__(self._body(messages), status_code=start["status"])
        self.raw_headers = list(start.get("headers", []))
        self._last_ack: asyncio.Future | None = None

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        # Not listening for the client's disconnect itself: the app's own response does,
        # through its receive, and ends its body, which ends this one.
        try:
            await self._stream(scope, send)
            if self.background is not None:
                await self.background()
        finally:
            if self._last_ack is not None and not self._last_ack.done():
                self._last_ack.set_result(None)  # the app's last message is out

    async def _body(self, messages: asyncio.Queue) -> Any:
        while True:
            message, ack = await messages.get()
            try:
                if isinstance(message, _Failed):
                    raise message.exc
                if message is _END:
                    return
                if message.get("type") == "http.response.body":
                    if message.get("body"):
                        yield message["body"]
                    if not message.get("more_body", False):
                        self._last_ack, ack = ack, None
                        return
            finally:
                if ack is not None and not ack.done():
                    ack.set_result(None)
