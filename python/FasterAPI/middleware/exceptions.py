"""ExceptionMiddleware (Starlette's name): the innermost layer of an app's middleware stack, around
its routes, which answers an exception with the handler registered for it (by status code for
an HTTPException, else by class along its MRO) and lets one without a handler through, up to
ServerErrorMiddleware.

As in Starlette, it puts its handlers in the scope (`scope["starlette.exception_handlers"]`),
where the routes find them: a route's run answers its own exceptions with them
(FasterAPI._runtime.runner), so that an app without middleware needs no stack at all. The
handlers are the app's own `exception_handlers` dict, not a copy: one added later is used too.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from typing import Any

from .._starlette import StarletteHTTPException
from ..requests import Request
from .errors import answer_errors_before_start

#: `scope[SCOPE_KEY]`: Starlette's `(handlers by class, handlers by status code)`; here both are
#: the one dict of the app's, keyed by class or by status code.
SCOPE_KEY = "starlette.exception_handlers"


def lookup_handler(
    handlers: Mapping[Any, Callable[..., Any]], exc: BaseException
) -> Callable[..., Any] | None:
    """The handler for `exc` in `handlers`: by status code for an HTTPException, else by class
    along its MRO. Handlers for Exception and 500 are the server error's (ServerErrorMiddleware),
    not looked up here."""
    if isinstance(exc, StarletteHTTPException) and exc.status_code in handlers:
        return handlers[exc.status_code]
    for cls in type(exc).__mro__:
        if cls is Exception:
            return None
        if cls in handlers:
            return handlers[cls]
    return None


class ExceptionMiddleware:
    """`ExceptionMiddleware(app, handlers=None, debug=False)`, as Starlette's: answers an
    exception `app` raises before its response started with its handler; one without a
    handler, or raised once the response has started, goes on up."""

    def __init__(
        self,
        app: Any,
        handlers: dict[Any, Callable[..., Any]] | None = None,
        debug: bool = False,
    ) -> None:
        self.app = app
        self.debug = debug
        self.handlers: dict[Any, Callable[..., Any]] = {} if handlers is None else handlers
        self.scope_handlers = (self.handlers, self.handlers)

    def add_exception_handler(
        self, key: int | type[BaseException], handler: Callable[..., Any]
    ) -> None:
        self.handlers[key] = handler

    def handles(self, scope: dict[str, Any]) -> bool:
        """Whether a call with `scope` runs inside this middleware."""
        return scope.get(SCOPE_KEY) is self.scope_handlers

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        scope[SCOPE_KEY] = self.scope_handlers  # (a lifespan's too: the app sees it is inside)
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        await answer_errors_before_start(self.app, scope, receive, send, self._answer)

    async def _answer(self, scope: dict[str, Any], receive: Any, send: Any, exc: Exception) -> None:
        handler = lookup_handler(self.handlers, exc)
        if handler is None:
            raise exc
        await answer(handler, scope, receive, send, exc)


async def answer(
    handler: Callable[..., Any], scope: dict[str, Any], receive: Any, send: Any, exc: Exception
) -> None:
    """Sends the response `handler(request, exc)` gives."""
    response = handler(Request(scope, receive, send), exc)
    if inspect.isawaitable(response):
        response = await response
    await response(scope, receive, send)
