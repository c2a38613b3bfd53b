"""BaseHTTPMiddleware: middleware written as `async def dispatch(request, call_next)`, as in
Starlette, and what `@app.middleware("http")` makes. `call_next(request)` runs the rest of
the app and gives back its response, whose body streams through as the app sends it; the
middleware may read or change the status and headers, or return a response of its own.

The rest of the app runs in the middleware's own task, stepped by hand (`_Downstream`), in a
copy of its context as a task of its own would be: it runs until it sends a message and waits
there until that message is passed on, so `call_next` returns at the response's start, each
piece of the body goes on as the app sends it, and what the app does after its response (its
background tasks, the code after `yield` of its dependencies) runs once the middleware's
response is sent. No task, queue or future is made per request."""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import types
from collections.abc import Awaitable, Callable, Generator
from typing import Any

from .._http.streaming import _aiter
from ..requests import Request
from ..responses import Response, StreamingResponse

CallNext = Callable[[Request], Awaitable[Response]]

#: What the rest of the app's `send` suspends on, for `_Downstream` to take back control.
_PAUSE = object()


@types.coroutine
def _pause() -> Generator[Any, Any, None]:
    yield _PAUSE


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
        await run_dispatch(self.dispatch_func, self.app, scope, receive, send)


def is_http_middleware(cls: Any) -> bool:
    """Whether middleware `cls` is BaseHTTPMiddleware or a subclass that only brings its
    `dispatch` (what `@app.middleware("http")` makes): the native server then runs its
    `dispatch_func` itself (FasterAPI.server.chain.HttpChain)."""
    return (
        isinstance(cls, type)
        and issubclass(cls, BaseHTTPMiddleware)
        and cls.__call__ is BaseHTTPMiddleware.__call__
    )


async def run_dispatch(
    dispatch: Callable[[Request, CallNext], Awaitable[Response]],
    app: Any,
    scope: dict[str, Any],
    receive: Any,
    send: Any,
) -> None:
    """An HTTP call through `dispatch(request, call_next)`, `call_next` running `app`."""
    request = Request(scope, receive)
    downstream: _Downstream | None = None
    body_read = False  # the app has had all of the request's body

    async def app_receive() -> dict[str, Any]:
        """The app's receive: the body again if dispatch read it, then the client's
        messages, or a disconnect once the middleware's response is sent (so that a
        response it dropped stops streaming)."""
        nonlocal body_read
        body = getattr(request, "_body", None)  # set once dispatch has read it
        if body is not None and not body_read:
            body_read = True
            return {"type": "http.request", "body": body, "more_body": False}
        if request._streamed and not body_read:  # dispatch streamed it: gone, as in Starlette
            body_read = True
            return {"type": "http.request", "body": b"", "more_body": False}
        if downstream is None or downstream.response_sent:
            return {"type": "http.disconnect"}
        if body_read:  # listening for the client to leave, or the response to end
            return await downstream.until_sent(receive())
        message: dict[str, Any] = await receive()
        if message["type"] != "http.request" or not message.get("more_body", False):
            body_read = True
        return message

    async def call_next(_request: Request) -> Response:
        nonlocal downstream
        if downstream is not None:
            raise RuntimeError("call_next() can be called once per request")
        downstream = _Downstream(app, scope, app_receive)
        return await first_response(downstream)

    try:
        response = await dispatch(request, call_next)
        await response(scope, receive, send)
    except Exception:
        if downstream is not None:  # the app is cancelled, as in Starlette; this error goes on
            await cancel(downstream)
        raise
    except BaseException as exc:  # cancelled: so is the app, which cleans up
        if downstream is not None:
            await throw_into(downstream, exc)
        raise
    if downstream is not None:
        # The app goes on after its response (background tasks, exits); an error it
        # raises then goes on up (the server logs it).
        await downstream.finish()


async def first_response(downstream: _Downstream) -> Response:
    """What call_next gives: the app run until its response starts, as a StreamingResponse
    (`_AppResponse`; a `_Whole` for the whole response the native server's chain hands on)."""
    start: Any = await downstream.step()
    if type(start) is tuple:
        return _Whole(*start)
    if start is None or start.get("type") != "http.response.start":
        raise RuntimeError("No response returned.")
    return _AppResponse(start, downstream)


async def throw_into(downstream: _Downstream, exc: BaseException) -> None:
    """`exc` thrown into the app where it waits, its cleanup run to its end; what it raises
    then is dropped."""
    with contextlib.suppress(BaseException):
        await downstream.throw(exc)


async def cancel(downstream: _Downstream) -> None:
    """Cancels the app where it waits (dispatch failed: Starlette cancels the app's task)."""
    await throw_into(downstream, asyncio.CancelledError())


class _Downstream:
    """The rest of the app (`app(scope, receive, send)`), stepped by hand in the middleware's
    task, in a context of its own: `step()` runs it until it sends a message (given back) or
    ends (None); an exception it raises comes out of `step()`.

    A message the app sends from its own coroutine suspends it where it is (`_PAUSE`) until
    `step()` is called again. One sent from a task the app started (a StreamingResponse
    streams from one) is handed over instead: that task waits until the message is passed on,
    and wakes the middleware's task if it is waiting for what the app awaits."""

    __slots__ = (
        "context",
        "coroutine",
        "message",
        "done",
        "response_sent",
        "stepping",
        "waiting",
        "handoff",
        "ack",
        "wakeup",
        "sent",
    )

    def __init__(self, app: Any, scope: dict[str, Any], receive: Any) -> None:
        self.context = contextvars.copy_context()
        self.coroutine = app(scope, receive, self.send)
        self.message: dict[str, Any] | None = None
        self.done = False
        #: The app's response is out (or was dropped): what it sends now goes nowhere.
        self.response_sent = False
        #: The app's coroutine is running (inside `step`): a send is its own.
        self.stepping = False
        #: What the app's coroutine awaits, which `step` waits for.
        self.waiting: Any = None
        #: A message handed over by another task, and what tells it the message is passed on.
        self.handoff: tuple[dict[str, Any], asyncio.Future[None]] | None = None
        self.ack: asyncio.Future[None] | None = None
        #: What wakes `step` while it waits (set when a message is handed over).
        self.wakeup: asyncio.Future[None] | None = None
        #: Set once the middleware's response is out (made when the app listens for it).
        self.sent: asyncio.Future[None] | None = None

    async def until_sent(self, receiving: Any) -> dict[str, Any]:
        """The client's next message (`receiving`), or a disconnect once the middleware's
        response is out, whichever comes first."""
        message = asyncio.ensure_future(receiving)
        if self.sent is None:
            self.sent = message.get_loop().create_future()
        await asyncio.wait((message, self.sent), return_when=asyncio.FIRST_COMPLETED)
        if message.done():
            return message.result()  # type: ignore[no-any-return]
        message.cancel()
        return {"type": "http.disconnect"}

    async def send(self, message: dict[str, Any]) -> None:
        if self.response_sent:
            return
        if self.stepping:
            self.message = message
            await _pause()  # until `step()` is called again: the message has been passed on
            return
        ack: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.handoff = (message, ack)
        if self.wakeup is not None and not self.wakeup.done():
            self.wakeup.set_result(None)
        await ack

    @types.coroutine
    def step(
        self, throw: BaseException | None = None
    ) -> Generator[Any, Any, dict[str, Any] | None]:
        self._passed_on()
        value: Any = None
        error = throw
        if throw is not None and self.waiting is not None:
            self.waiting.cancel()  # (what the app awaited: `throw` goes in instead)
            self.waiting = None
        while not self.done:
            if self.handoff is not None:
                handed, self.ack = self.handoff
                self.handoff = None
                return handed
            waiting = self.waiting
            if waiting is not None and not waiting.done():
                # what the app awaits, or a message handed over, whichever comes first
                wake = self.wakeup = waiting.get_loop().create_future()
                waiting.add_done_callback(self._wake)
                try:
                    wake._asyncio_future_blocking = True
                    yield wake
                except BaseException as exc:  # thrown into the middleware's task
                    self.waiting = None
                    if isinstance(exc, asyncio.CancelledError):
                        waiting.cancel()
                    error = exc
                finally:
                    waiting.remove_done_callback(self._wake)
                    self.wakeup = None
                continue
            if waiting is not None:
                waiting._asyncio_future_blocking = False  # as a task does once it is done
                self.waiting = None
            self.stepping = True
            try:
                if error is not None:
                    yielded = self.context.run(self.coroutine.throw, error)
                else:
                    yielded = self.context.run(self.coroutine.send, value)
            except StopIteration:
                self.done = True
                return None
            except BaseException:
                self.done = True
                raise
            finally:
                self.stepping = False
            value, error = None, None
            if yielded is _PAUSE:
                message, self.message = self.message, None
                return message
            if getattr(yielded, "_asyncio_future_blocking", None) is not None:
                self.waiting = yielded  # a future: waited for above
                continue
            try:  # a bare yield (asyncio.sleep(0)): passed on to the event loop
                value = yield yielded
            except BaseException as exc:
                error = exc
        return None

    def _response_over(self) -> None:
        """The middleware's response is out (or will not be): what the app sends now goes
        nowhere, and its receive says the client is gone."""
        self.response_sent = True
        if self.sent is not None and not self.sent.done():
            self.sent.set_result(None)

    def _wake(self, _future: Any) -> None:
        if self.wakeup is not None and not self.wakeup.done():
            self.wakeup.set_result(None)

    def _passed_on(self) -> None:
        """The message handed over last is passed on: its sender goes on."""
        ack, self.ack = self.ack, None
        if ack is not None and not ack.done():
            ack.set_result(None)

    async def finish(self) -> None:
        """Runs the app to its end once the middleware's response is out: its background
        tasks, its exits. What it sends then goes nowhere, and its receive says the client
        is gone (so a response the middleware dropped stops streaming)."""
        self._response_over()
        if self.handoff is not None:  # (a message nobody will pass on)
            self.ack = self.handoff[1]
            self.handoff = None
        while not self.done:
            await self.step()
        self._passed_on()

    async def throw(self, exc: BaseException) -> None:
        """The middleware's task was cancelled (or stopped by another BaseException) while
        the app was suspended: the app gets it where it waits, and runs its cleanup to its
        end (what it raises then is dropped: `exc` goes on up)."""
        self._response_over()
        if self.handoff is not None:
            self.handoff[1].cancel()  # the task that handed it over is stopped too
            self.handoff = None
        if self.done:
            return
        await self.step(throw=exc)
        while not self.done:
            await self.step()


class _AppResponse(StreamingResponse):
    """What call_next gives: the app's status and headers (to read or change) and its body,
    streamed on as the app sends it (`body_iterator` gives its pieces too)."""

    def __init__(self, start: dict[str, Any], downstream: _Downstream) -> None:
        super().__init__(self._body(), status_code=start["status"])
        self.raw_headers = list(start.get("headers", []))
        self.downstream = downstream

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        # Not listening for the client's disconnect itself: the app's own response does,
        # through its receive, and ends its body, which ends this one.
        await send(
            {"type": "http.response.start", "status": self.status_code, "headers": self.raw_headers}
        )
        downstream = self.downstream
        if isinstance(self.body_iterator, _Pieces) and not self.body_iterator.started:
            while True:  # the app's messages passed on as they come
                message = await downstream.step()
                if message is None:
                    await send({"type": "http.response.body", "body": b"", "more_body": False})
                    break
                await send(message)
                if message.get("type") == "http.response.body" and not message.get(
                    "more_body", False
                ):
                    break
        else:  # the middleware replaced or began the iterator: stream what it gives
            async for chunk in _aiter(self.body_iterator):
                piece = chunk if isinstance(chunk, bytes) else chunk.encode(self.charset)
                await send({"type": "http.response.body", "body": piece, "more_body": True})
            await send({"type": "http.response.body", "body": b"", "more_body": False})
        downstream.response_sent = True
        if self.background is not None:
            await self.background()

    def _body(self) -> _Pieces:
        return _Pieces(self)


class _Pieces:
    """`body_iterator` of the app's response: its body's pieces, taken from the app as it
    sends them."""

    def __init__(self, response: _AppResponse) -> None:
        self.response = response
        self.started = False
        self.ended = False

    def __aiter__(self) -> _Pieces:
        return self

    async def __anext__(self) -> bytes:
        self.started = True
        while not self.ended:
            message = await self.response.downstream.step()
            if message is None:
                self.ended = True
                break
            if message.get("type") != "http.response.body":
                continue
            if not message.get("more_body", False):
                self.ended = True
            body: bytes = message.get("body", b"")
            if body:
                return body
        raise StopAsyncIteration


class _Whole(StreamingResponse):
    """What call_next gives on the native server for a response whose body is all there
    (FasterAPI.server.chain): its status and headers (to read or change), and its body as
    `body_iterator`'s one piece. Left as it is, the server writes it in one piece."""

    def __init__(self, status: int, raw_headers: list[tuple[bytes, bytes]], body: bytes) -> None:
        # (not StreamingResponse's __init__: the headers are the route's, as they are)
        self.status_code = status
        self.raw_headers = raw_headers
        #: The body (not `body`: Starlette's response that call_next gives has none).
        self.whole_body = body
        self.background = None
        self._iterator: Any = None

    @property  # type: ignore[override]
    def body_iterator(self) -> Any:
        """The body's pieces; once asked for, what the response sends."""
        if self._iterator is None:
            self._iterator = _one(self.whole_body)
        return self._iterator

    @body_iterator.setter
    def body_iterator(self, iterator: Any) -> None:
        self._iterator = iterator

    @property
    def untouched(self) -> bool:
        """Whether it is still the route's whole response: its body not iterated nor
        replaced, and no background task added."""
        return self._iterator is None and self.background is None


async def _one(body: bytes) -> Any:
    yield body
