"""ServerErrorMiddleware: the outermost layer of an app's middleware stack (Starlette's
name), which answers an exception nothing else handled with a 500 and raises it again for the
server to log. Where Starlette is installed it is a subclass of Starlette's, so that
integrations which look for it in `app.build_middleware_stack()` (OpenTelemetry's FastAPI
instrumentation does) find it."""

from __future__ import annotations

import inspect
from typing import Any

from .._starlette import StarletteServerErrorMiddleware
from ..requests import Request
from ..responses import JSONResponse


async def answer_errors_before_start(
    call: Any, scope: dict[str, Any], receive: Any, send: Any, answer: Any
) -> None:
    """Runs the ASGI `call`; an Exception it raises before the response has started is
    answered by `answer(scope, receive, send, exc)`, one raised after that goes on up."""
    started = False

    async def watched(message: dict[str, Any]) -> None:
        nonlocal started
        started = started or message["type"] == "http.response.start"
        await send(message)

    try:
        await call(scope, receive, watched)
    except Exception as exc:
        if started:
            raise
        await answer(scope, receive, send, exc)


class ServerErrorMiddleware(StarletteServerErrorMiddleware):  # type: ignore[misc]
    """Starlette's `ServerErrorMiddleware(app, handler=None, debug=False)`: an HTTP call's
    exception, raised before its response started, is answered by `handler(request, exc)`
    (the app's handler for 500 or Exception; a plain 500 without one), then raised again.
    Unlike Starlette's, `debug` shows no traceback page: FasterAPI's 500 is the same."""

    handler: Any  # given FasterAPI's Request, not Starlette's

    def __init__(self, app: Any, handler: Any = None, debug: bool = False) -> None:
        self.app = app
        self.handler = handler
        self.debug = debug

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:  # type: ignore[override]
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        await answer_errors_before_start(self.app, scope, receive, send, self._answer)

    async def _answer(self, scope: dict[str, Any], receive: Any, send: Any, exc: Exception) -> None:
        if self.handler is None:
            response: Any = JSONResponse({"detail": "Internal Server Error"}, status_code=500)
        else:
            response = self.handler(Request(scope, receive, send), exc)
            if inspect.isawaitable(response):
                response = await response
        await response(scope, receive, send)
        raise exc


async def answer_unhandled(scope: dict[str, Any], receive: Any, send: Any, exc: Exception) -> None:
    """For a pure-ASGI middleware inside the app's ServerErrorMiddleware (whose own answer would
    not pass through the middleware's `send`): answers an exception nobody handled, raised
    before the response started, as the app's ServerErrorMiddleware would (the app's handler
    for 500 or Exception, or the plain 500), through `send`; then raises it again, for the
    server to log with its traceback (and TestClient to raise). Outside a FasterAPI app's
    stack the exception just goes on up."""
    errors = getattr(scope.get("app"), "_built_stack", None)
    if not isinstance(errors, ServerErrorMiddleware):
        raise exc
    await errors._answer(scope, receive, send, exc)
    raise exc  # (as _answer has done already)
