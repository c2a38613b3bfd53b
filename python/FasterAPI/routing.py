"""Routes and routers: FasterRouter (alias APIRouter) with the route decorators,
prefixes, tags and nested include_router. Routes are matched by the app's Rust
radix tree; a route's signature is compiled into its plan when it is registered."""

from __future__ import annotations

import contextlib
import inspect
import os
import re
import typing
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from typing import Any
from urllib.parse import quote

from ._body_limit import validate_max_body_size
from ._compiler.dependency_steps import REQUEST, dependency_steps
from ._compiler.form_plan import FormPlan
from ._compiler.item_streams import is_generator_endpoint, stream_item_type, streaming_endpoint
from ._compiler.response_model import check_response_model, response_serializer
from ._compiler.signature import _PATH_CONVERTORS, compile_endpoint
from ._form_limits import merge_form_limits, validate_form_limits
from ._starlette import Match, StarletteResponse
from ._types import is_subclass
from ._warn import warn
from .datastructures import DefaultPlaceholder
from .dependencies.models import called_function, is_coroutine_callable
from .exceptions import FastAPIError, HTTPException
from .requests import Request
from .responses import JSONResponse, Response
from .sse import ServerSentEvent
from .staticfiles import FrontendStaticFiles

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "TRACE")

#: Where a route that does not say (`threadpool=`) runs a `def` endpoint and its `def`
#: dependencies: inline on the event loop (False, FasterAPI's default), or in the thread pool
#: as FastAPI does (True: FasterAPI.compat.install() sets it, so an unchanged FastAPI app's
#: blocking `def` endpoints leave the loop free).
SYNC_IN_THREADPOOL = False


class _Default:
    """An argument left out, where None means something else: `response_model=None` turns
    off the model a return annotation would give."""

    def __repr__(self) -> str:
        return "Default"


Default: Any = _Default()


def given(*values: Any) -> Any:
    """The first of `values` that was given (is not Default), else Default: a route's own
    option, then its router's, then an include's, as FastAPI resolves them."""
    return next((value for value in values if value is not Default), Default)


def unplaced(*values: Any) -> Any:
    """`values` with FastAPI's DefaultPlaceholder (`fastapi.datastructures.Default(x)`, which
    code written for FastAPI passes, e.g. strawberry's GraphQLRouter) read as Default: an
    option not given."""
    return [Default if isinstance(value, DefaultPlaceholder) else value for value in values]


class NoMatchFound(Exception):
    """url_path_for() found no route (or mount) of that name taking those parameters."""

    def __init__(self, name: str, path_params: dict[str, Any]) -> None:
        params = ", ".join(path_params)
        super().__init__(f'No route exists for name "{name}" and params "{params}".')


def fill_path(path: str, params: dict[str, Any]) -> str | None:
    """`path` with its `{name}` (and `{name:path}`) parameters replaced by `params`, each
    percent-encoded (a `:path` one keeps its slashes); None unless `params` names exactly
    the path's parameters."""
    names: set[str] = set()

    def replace(match: re.Match) -> str:
        name, convertor = match.group(1), match.group(2)
        names.add(name)
        if name not in params:
            return match.group(0)
        return quote(str(params[name]), safe="/" if convertor == "path" else "")

    filled = re.sub(r"{([^}:]+)(?::([^}]*))?}", replace, path)
    return filled if names == set(params) else None


def path_format(path: str) -> str:
    """The path as OpenAPI writes it: `{name:path}` becomes `{name}`."""
    return re.sub(r"{([^}:]+):[^}]*}", r"{\1}", path)


def generate_unique_id(route: APIRoute) -> str:
    """FastAPI's default operationId: the endpoint's name, the path and the method."""
    operation_id = re.sub(r"\W", "_", f"{route.name}{path_format(route.path)}")
    return f"{operation_id}_{sorted(route.methods)[0].lower()}"


def return_annotation(endpoint: Any) -> Any:
    """The endpoint's resolved return annotation, or None."""
    try:
        hints = typing.get_type_hints(called_function(endpoint), include_extras=True)
    except (TypeError, NameError):
        return None
    return hints.get("return")


def _default_status(response_class: type[Response]) -> int:
    """The status a route answers with when it names none: its response class's default
    (307 for a RedirectResponse), else 200, as FastAPI does."""
    try:
        parameter = inspect.signature(response_class.__init__).parameters.get("status_code")
    except (TypeError, ValueError):
        return 200
    default = parameter.default if parameter is not None else None
    return default if isinstance(default, int) else 200


def _is_response_class(annotation: Any) -> bool:
    """Whether `annotation` is a Response class: ours, or Starlette's (FastAPI's own)."""
    return is_subclass(annotation, Response) or is_subclass(annotation, StarletteResponse)


def _response_model(endpoint: Any, response_model: Any) -> Any:
    """The route's response model: the one given, else the return annotation unless that is
    a Response (class or union of them) or None, as FastAPI infers it."""
    if response_model is not Default:
        return response_model
    annotation = return_annotation(endpoint)
    if annotation is None or annotation is type(None) or _is_response_class(annotation):
        return None
    if any(_is_response_class(arg) for arg in typing.get_args(annotation)):
        return None
    return annotation


def get_route_path(scope: dict[str, Any]) -> str:
    """The request's path below its root path, which routes match (Starlette's)."""
    path, root_path = scope["path"], scope.get("root_path", "")
    if not root_path or not path.startswith(root_path):
        return path
    if path == root_path:
        return ""
    return path[len(root_path) :] if path[len(root_path)] == "/" else path


def _is_async(endpoint: Any) -> bool:
    """Whether the endpoint is awaited: an `async def`, what a decorator wraps
    (functools.wraps), a partial's function or an instance's __call__ (as dependencies)."""
    return is_coroutine_callable(endpoint)


class APIRoute:
    """One path + methods + handler, with everything worked out once for the request path."""

    def __init__(
        self,
        path: str,
        endpoint: Callable[..., Any],
        *,
        methods: Sequence[str] | None = None,
        status_code: int | None = None,
        tags: list[str] | None = None,
        response_class: type[Response] = Default,
        response_model: Any = Default,
        response_model_include: Any = None,
        response_model_exclude: Any = None,
        response_model_by_alias: bool = True,
        response_model_exclude_unset: bool = False,
        response_model_exclude_defaults: bool = False,
        response_model_exclude_none: bool = False,
        response_description: str = "Successful Response",
        responses: dict[int | str, dict[str, Any]] | None = None,
        operation_id: str | None = None,
        openapi_extra: dict[str, Any] | None = None,
        generate_unique_id_function: Callable[[APIRoute], str] = Default,
        name: str | None = None,
        summary: str | None = None,
        description: str | None = None,
        deprecated: bool | None = None,
        include_in_schema: bool = True,
        threadpool: bool | None = None,
        dependencies: Sequence[Any] | None = None,
        dependency_overrides: Mapping[Any, Any] | None = None,
        dependency_overrides_provider: Any = None,
        strict_content_type: bool = Default,
        max_body_size: int | None = None,
        form_limits: dict[str, int] | None = None,
        callbacks: list[Any] | None = None,
    ) -> None:
        response_class, response_model, generate_unique_id_function, strict_content_type = unplaced(
            response_class, response_model, generate_unique_id_function, strict_content_type
        )
        self.path = path
        if getattr(endpoint, "__fasterapi_stream__", False):  # a copy (include_router)
            endpoint = endpoint.__wrapped__  # type: ignore[attr-defined]
        self.endpoint = endpoint
        self.methods = {m.upper() for m in (methods or ["GET"])}
        unknown = self.methods - set(METHODS)
        if unknown:
            raise ValueError(f"unknown HTTP method(s) {sorted(unknown)} for {path!r}")
        #: The options left to the router (Default), which an include may still set.
        self.defaulted = {
            name
            for name, value in (
                ("response_class", response_class),
                ("strict_content_type", strict_content_type),
            )
            if value is Default
        }
        response_class = JSONResponse if response_class is Default else response_class
        self.status_code = status_code or _default_status(response_class)
        self.tags = list(tags or [])
        self.response_class = response_class
        #: FastAPI's: a JSON body needs a JSON Content-Type; Default: the app's setting.
        self.strict_content_type = strict_content_type
        #: Kept for FastAPI's API; the overrides served are the app's dependency_overrides.
        self.dependency_overrides_provider = dependency_overrides_provider
        #: What the return value is documented (and validated) as: `response_model`, or the
        #: return annotation.
        self.response_model = _response_model(endpoint, response_model)
        self.response_model_include = response_model_include
        self.response_model_exclude = response_model_exclude
        self.response_model_by_alias = response_model_by_alias
        self.response_model_exclude_unset = response_model_exclude_unset
        self.response_model_exclude_defaults = response_model_exclude_defaults
        self.response_model_exclude_none = response_model_exclude_none
        self.response_description = response_description
        self.responses = dict(responses or {})
        for response in self.responses.values():  # refused now, as FastAPI refuses them
            if isinstance(response, dict) and response.get("model") is not None:
                check_response_model(response["model"])
        self.operation_id = operation_id
        self.openapi_extra = openapi_extra
        self.name = name or str(getattr(endpoint, "__name__", type(endpoint).__name__))
        self.summary = summary
        # The docstring if not given; up to a form feed, FastAPI's cut-off for the docs.
        description = description or inspect.cleandoc(endpoint.__doc__ or "")
        self.description = description.split("\f")[0].strip()
        self.deprecated = deprecated
        self.include_in_schema = include_in_schema
        #: Routes (of a callback router) documented as this operation's OpenAPI callbacks.
        self.callbacks = callbacks
        self.generate_unique_id_function = generate_unique_id_function
        unique_id = generate_unique_id if generate_unique_id_function is Default else None
        self.unique_id = self.operation_id or (unique_id or generate_unique_id_function)(self)
        #: Run a `def` endpoint (and its `def` dependencies) in the thread pool; None: as
        #: SYNC_IN_THREADPOOL says (False, True in the drop-in mode, as FastAPI runs them).
        self.threadpool = SYNC_IN_THREADPOOL if threadpool is None else threadpool
        validate_max_body_size(max_body_size)
        #: The largest request body accepted, in bytes (413 past it); None: no limit.
        self.max_body_size = max_body_size
        #: Whether the endpoint yields, and the type of the items it streams (None if not said).
        self.is_stream = False
        self.stream_item: Any = None
        if is_generator_endpoint(endpoint):
            endpoint = self._stream_items(endpoint, response_model)
        self.is_async = _is_async(endpoint)
        #: Calling the endpoint gives a coroutine to await: it is `async def`, or runs in the
        #: thread pool (`run_endpoint_function`, crates/fasterapi-py/src/run/runner.rs).
        self.awaited = self.is_async or bool(self.threadpool)
        self.dependencies = list(dependencies or [])
        self.plan = compile_endpoint(endpoint, path, self.dependencies, dependency_overrides)
        self.body = self.plan.body
        #: FastAPI's name for what reads the body (a body plan here); see `app`.
        self.body_field = self.body
        #: Called when the route is compiled again (`app`): the apps serving it rebuild.
        self.recompiled: list[Callable[[], None]] = []
        #: The limits on the form its Form()/File() parameters are read from (_form_limits).
        self.form_limits = validate_form_limits(form_limits)
        if isinstance(self.body, FormPlan):
            self.body.limit(self.form_limits)
        self.request_params = self.plan.request_params
        self.response_params = self.plan.response_params
        #: Serving it solves dependencies (or reads a form): `dependency_steps`.
        self.solve = self.plan.dependant is not None
        self.body_allowed = not (self.status_code < 200 or self.status_code in (204, 304))
        #: Validates and serializes a return value that is not a Response through the
        #: response model (FasterAPI._compiler.response_model); None without one, or without a
        #: body. With the default JSONResponse, a pydantic model writes the JSON itself, as
        #: FastAPI's `dump_json` does.
        encoded = response_class is JSONResponse and "response_class" in self.defaulted
        self.serialize_response = (
            self._serializer(self.response_model, encoded) if self.body_allowed else None
        )
        self.json_fast_path = (
            response_class is JSONResponse and self.body_allowed and not self.response_params
        )
        #: The handler takes a Request or a Response, which the door gives it.
        self.prepare = bool(self.request_params or self.response_params)
        #: The native server calls this route itself, making its ASGI scope only if
        #: something asks for a Request.
        self.native = True
        #: Its body may be read as it arrives (a form, whose files are spooled; a body no
        #: body parameter reads whole, which a Request may stream): the native server reads
        #: it whole first only when small (a Content-Length of at most 256 KiB), and else
        #: streams it to the route's form or Request as it arrives.
        self.streams_body = isinstance(self.body, FormPlan) or (
            self.body is None and self._takes_request()
        )

    def _takes_request(self) -> bool:
        """Whether the handler or one of its dependencies is given the Request."""
        if self.request_params:
            return True
        if self.plan.dependant is None:
            return False
        steps, root_args = self.dependency_steps
        arguments = [*root_args, *(argument for step in steps for argument in step[2])]
        return any(source == REQUEST for _, source, _ in arguments)

    @property
    def dependency_steps(self) -> Any:
        """Its dependencies as the steps its run takes (FasterAPI._compiler.dependency_steps),
        read by Rust when the route is registered; None without any to solve."""
        if self.plan.dependant is None:
            return None
        return dependency_steps(self.plan.dependant, bool(self.threadpool))

    def _serializer(self, model: Any, encoded: bool = False) -> Callable[[Any], Any] | None:
        """What validates and serializes a value for `model`, with the route's
        response_model_* options (FasterAPI._compiler.response_model); to JSON already
        encoded if `encoded`."""
        return response_serializer(
            model,
            include=self.response_model_include,
            exclude=self.response_model_exclude,
            by_alias=self.response_model_by_alias,
            exclude_unset=self.response_model_exclude_unset,
            exclude_defaults=self.response_model_exclude_defaults,
            exclude_none=self.response_model_exclude_none,
            encoded=encoded,
        )

    def _stream_items(self, endpoint: Callable[..., Any], response_model: Any) -> Any:
        """Serves a generator endpoint through an `async def` that streams its items
        (FasterAPI._compiler.item_streams), each validated by the item type of its return annotation
        (`AsyncIterator[Item]`) or by `response_model`."""
        if response_model is Default:
            response_model = stream_item_type(return_annotation(endpoint))
        self.is_stream = True
        self.stream_item = response_model
        self.response_model = None
        serialize = None
        # ServerSentEvent items are sent as they say, never through a model (as in FastAPI)
        if response_model not in (None, Any) and not is_subclass(response_model, ServerSentEvent):
            serialize = self._serializer(response_model)
        self.endpoint = streaming_endpoint(
            endpoint, self.response_class, self.status_code, serialize
        )
        return self.endpoint

    def options(self) -> dict[str, Any]:
        """The keyword arguments that re-create this route elsewhere (include_router); an
        option left to the router is Default again."""
        options = {
            "methods": sorted(self.methods),
            "status_code": self.status_code,
            "tags": self.tags,
            "response_class": self.response_class,
            "response_model": self.stream_item if self.is_stream else self.response_model,
            "response_model_include": self.response_model_include,
            "response_model_exclude": self.response_model_exclude,
            "response_model_by_alias": self.response_model_by_alias,
            "response_model_exclude_unset": self.response_model_exclude_unset,
            "response_model_exclude_defaults": self.response_model_exclude_defaults,
            "response_model_exclude_none": self.response_model_exclude_none,
            "response_description": self.response_description,
            "responses": self.responses,
            "operation_id": self.operation_id,
            "openapi_extra": self.openapi_extra,
            "generate_unique_id_function": self.generate_unique_id_function,
            "name": self.name,
            "summary": self.summary,
            "description": self.description,
            "deprecated": self.deprecated,
            "include_in_schema": self.include_in_schema,
            "threadpool": self.threadpool,
            "dependencies": self.dependencies,
            "dependency_overrides_provider": self.dependency_overrides_provider,
            "strict_content_type": self.strict_content_type,
            "max_body_size": self.max_body_size,
            "form_limits": self.form_limits,
            "callbacks": self.callbacks,
        }
        options.update(dict.fromkeys(self.defaulted, Default))
        return options

    @property
    def path_format(self) -> str:
        """Starlette's: the path with `{name:convertor}` written `{name}`."""
        return path_format(self.path)

    @property
    def dependant(self) -> Any:
        """FastAPI's: the handler's Dependant (`call` is the endpoint), with its dependencies."""
        return self.plan.root

    def matches(self, scope: dict[str, Any]) -> tuple[Match, dict[str, Any]]:
        """Starlette's (and FastAPI's) route matching, for integrations that look up the
        route of a request themselves: Match.FULL when the route serves `scope`,
        Match.PARTIAL for its path with another method, else Match.NONE; with the child scope
        Starlette adds (the endpoint, the path parameters, the route). `Match` is
        Starlette's enum where Starlette is installed. The app itself routes in Rust."""
        pattern = self.plan.path_pattern
        found = None
        if pattern is not None and scope["type"] == "http":
            found = pattern.fullmatch(get_route_path(scope))
        if found is None:
            return Match.NONE, {}
        try:
            matched = {
                name: _PATH_CONVERTORS.get(convertor, str)(found[name])
                for name, convertor in self.plan.path_convertors.items()
            }
        except ValueError:  # not what its convertor reads (`{id:int}`): not this route
            return Match.NONE, {}
        child_scope = {
            "endpoint": self.endpoint,
            "path_params": {**scope.get("path_params", {}), **matched},
            "route": self,
        }
        if scope["method"] not in self.methods:
            return Match.PARTIAL, child_scope
        return Match.FULL, child_scope

    @property
    def wraps_handler(self) -> bool:
        """The app serves it through get_route_handler(): its class overrides that, or an
        integration replaced `get_request_handler` (sentry-sdk's FastAPI integration)."""
        return (
            type(self).get_route_handler is not APIRoute.get_route_handler
            or get_request_handler is not _GET_REQUEST_HANDLER
        )

    def get_route_handler(self) -> Callable[[Request], Any]:
        """FastAPI's hook for an APIRoute subclass to wrap the request handling: an `async`
        function from the Request to the route's Response, made by `get_request_handler`
        from the route's Dependant and options, as FastAPI makes it. The app calls it (once
        per route) only when it is overridden or `get_request_handler` is replaced (see
        Faster._route_handler); other routes are served without it, on the fast path."""
        return get_request_handler(
            dependant=self.dependant,
            status_code=self.status_code,
            response_class=self.response_class,
            response_model_include=self.response_model_include,
            response_model_exclude=self.response_model_exclude,
            response_model_by_alias=self.response_model_by_alias,
            response_model_exclude_unset=self.response_model_exclude_unset,
            response_model_exclude_defaults=self.response_model_exclude_defaults,
            response_model_exclude_none=self.response_model_exclude_none,
            dependency_overrides_provider=self.dependency_overrides_provider,
            strict_content_type=self.strict_content_type,
            form_limits=self.form_limits,
        )

    @property
    def _embed_body_fields(self) -> bool:
        """FastAPI's: whether the body is an object of the body parameters by name."""
        return bool(getattr(self.body, "embed", False))

    @property
    def app(self) -> Callable[..., Any]:
        """Starlette's: the route as an ASGI app, its handler (get_route_handler) wrapped."""
        return request_response(self.get_route_handler())

    @app.setter
    def app(self, value: Any) -> None:
        """Plugins set it after changing the route, as FastAPI rebuilds a route:
        fastapi-pagination appends to `route.dependencies`, then sets
        `route.app = request_response(route.get_route_handler())`. FasterAPI serves a route
        from its compiled plan, so setting `app` compiles the route again from its options
        (its dependencies as they are now), and the apps serving it rebuild their dispatcher.
        An ASGI app of another kind is not served in its place: mount it instead."""
        listeners = self.recompiled
        fresh = type(self)(self.path, self.endpoint, **self.options())
        vars(self).update(vars(fresh))
        self.recompiled = listeners
        for listener in listeners:
            listener()

    def with_endpoint(self, endpoint: Callable[..., Any]) -> APIRoute:
        """This route, or a copy that calls `endpoint` (what an integration wrapped the
        endpoint in, through `dependant.call`) in its place."""
        if endpoint is self.endpoint:
            return self
        return type(self)(self.path, endpoint, **self.options())

    def with_overrides(self, overrides: Mapping[Any, Any]) -> APIRoute:
        """This route, or a copy compiled with `overrides` (app.dependency_overrides) if any
        of its dependencies is overridden."""
        if not overrides or not _uses_any(self.plan.dependant, overrides):
            return self
        return type(self)(
            self.path, self.endpoint, dependency_overrides=overrides, **self.options()
        )

    def __repr__(self) -> str:
        return f"APIRoute(path={self.path!r}, methods={sorted(self.methods)}, name={self.name!r})"


def get_request_handler(
    dependant: Any,
    body_field: Any = None,
    status_code: int | None = None,
    response_class: Any = Default,
    response_field: Any = None,
    response_model_include: Any = None,
    response_model_exclude: Any = None,
    response_model_by_alias: bool = True,
    response_model_exclude_unset: bool = False,
    response_model_exclude_defaults: bool = False,
    response_model_exclude_none: bool = False,
    dependency_overrides_provider: Any = None,
    embed_body_fields: bool = False,
    strict_content_type: Any = Default,
    stream_item_field: Any = None,
    is_json_stream: bool = False,
    form_limits: Any = None,
) -> Callable[[Request], Any]:
    """FastAPI's: a route's request handling, an `async` function from the Request to the
    Response, which integrations replace to wrap it (`fastapi.routing.get_request_handler =
    ...`: sentry-sdk does). FasterAPI compiled the route when it was added, with these
    options: the handler serves the route the request matched (`scope["route"]`), calling
    `dependant.call` as its endpoint (what an integration may have wrapped the endpoint in),
    keeps its response whole, and raises its errors to the caller (Faster._call_route)."""
    call = dependant.call

    async def app(request: Request) -> Response:
        scope = request.scope
        return await scope["app"]._call_route(scope["route"], request, call)

    return app


#: FasterAPI's own get_request_handler, to tell when an integration replaced it.
_GET_REQUEST_HANDLER = get_request_handler


def request_response(func: Callable[[Request], Any]) -> Callable[..., Any]:
    """Starlette's: an ASGI app from `func`, a function (or `async def`) from the Request
    to a Response, as FastAPI wraps a route's handler."""
    is_async = _is_async(func)

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        request = Request(scope, receive, send)
        response = await func(request) if is_async else func(request)
        await response(scope, receive, send)

    return app


class RouteContext:
    """FastAPI's view of a route as it is served (iter_route_contexts): FasterAPI copies an
    included router's routes, prefixed, into the including one, so each route of
    `app.routes` is served as it is, and its context is the route itself."""

    def __init__(self, route: Any) -> None:
        self.route = route

    @property
    def original_route(self) -> Any:
        return self.route

    def __getattr__(self, name: str) -> Any:
        return getattr(self.route, name)


def iter_route_contexts(routes: Sequence[Any]) -> typing.Iterator[RouteContext]:
    """FastAPI's: the routes as they are matched, one RouteContext each (with `path`,
    `matches()`, `endpoint`...), for integrations that look a request's route up."""
    for route in routes:
        yield route if isinstance(route, RouteContext) else RouteContext(route)


class _IncludedRouter:
    """FastAPI's entry for an included router in `routes`. FasterAPI copies the included
    routes instead, so no route is one; integrations test for it (fastapi-pagination)."""

    original_router: Any = None


class APIWebSocketRoute:
    """A WebSocket endpoint at a path: an `async def` taking a `WebSocket` and, like a
    handler, path, query, header and cookie parameters and dependencies."""

    # What the doors read of a route (crates/fasterapi-py/src/route/call.rs, _runtime/runner.py);
    # a WebSocket has no body and its endpoint is always awaited.
    is_async = awaited = True
    threadpool = False
    body = None
    json_fast_path = False
    serialize_response = None
    status_code = 200
    request_params = response_params = ()
    prepare = False
    solve = True
    dependency_steps = None  # solved by _runtime/runner.py's run_websocket: websocket_steps
    native = streams_body = False
    max_body_size = None

    def __init__(
        self,
        path: str,
        endpoint: Callable[..., Any],
        *,
        name: str | None = None,
        dependencies: Sequence[Any] | None = None,
        dependency_overrides: Mapping[Any, Any] | None = None,
    ) -> None:
        if path and not path.startswith("/"):  # "" only under an include's prefix
            raise ValueError(f"route path {path!r} must start with '/'")
        if not _is_async(endpoint):
            raise TypeError(
                f"WebSocket endpoint {getattr(endpoint, '__qualname__', endpoint)!r} "
                "must be an async def"
            )
        self.path = path
        self.endpoint = endpoint
        self.name = name or str(getattr(endpoint, "__name__", type(endpoint).__name__))
        self.dependencies = list(dependencies or [])
        self.plan = compile_endpoint(
            endpoint, path, self.dependencies, dependency_overrides, websocket=True
        )
        assert self.plan.dependant is not None  # (a WebSocket route is always solved)
        #: Its dependencies as the steps FasterAPI.dependencies.solve takes per connection.
        self.websocket_steps = dependency_steps(self.plan.dependant, False, websocket=True)

    def options(self) -> dict[str, Any]:
        return {"name": self.name, "dependencies": self.dependencies}

    def with_overrides(self, overrides: Mapping[Any, Any]) -> APIWebSocketRoute:
        if not overrides or not _uses_any(self.plan.dependant, overrides):
            return self
        return APIWebSocketRoute(
            self.path, self.endpoint, dependency_overrides=overrides, **self.options()
        )

    def __repr__(self) -> str:
        return f"APIWebSocketRoute(path={self.path!r}, name={self.name!r})"


def _uses_any(dependant: Any, calls: Mapping[Any, Any], seen: set | None = None) -> bool:
    """Whether `dependant`'s graph calls any of `calls`."""
    if dependant is None:
        return False
    seen = set() if seen is None else seen
    for sub in dependant.dependencies:
        if id(sub) in seen:
            continue
        seen.add(id(sub))
        if sub.call in calls or _uses_any(sub, calls, seen):
            return True
    return False


@contextlib.asynccontextmanager
async def no_lifespan(app: Any) -> AsyncIterator[None]:
    """The lifespan of a router given none: nothing to start or stop (a callable, as FastAPI's
    default, so that plugins can wrap `router.lifespan_context`)."""
    yield None


def lifespan_context(lifespan: Any) -> Any:
    """`lifespan` as a callable returning an async context manager: an `async def` generator
    function or a plain generator function is wrapped, as FastAPI accepts them; no_lifespan
    when None."""
    if lifespan is None:
        return no_lifespan
    if inspect.isasyncgenfunction(lifespan):
        return contextlib.asynccontextmanager(lifespan)
    if inspect.isgeneratorfunction(lifespan):
        sync = contextlib.contextmanager(lifespan)

        @contextlib.asynccontextmanager
        async def wrapped(app: Any) -> AsyncIterator[Any]:
            with sync(app) as state:
                yield state

        return wrapped
    return lifespan


def merge_lifespans(outer: Any, inner: Any) -> Any:
    """One lifespan that runs `inner` inside `outer` (an included router's inside its
    parent's); the states they give are merged, the outer one's winning, as in FastAPI."""
    if inner is no_lifespan or outer is no_lifespan:
        return outer if inner is no_lifespan else inner

    @contextlib.asynccontextmanager
    async def merged(app: Any) -> AsyncIterator[Any]:
        async with outer(app) as outer_state, inner(app) as inner_state:
            if outer_state is None and inner_state is None:
                yield None
            else:
                yield {**(inner_state or {}), **(outer_state or {})}

    return merged


def _check_prefix(prefix: str) -> None:
    if prefix and not prefix.startswith("/"):
        raise AssertionError("A path prefix must start with '/'")
    if prefix.endswith("/"):
        raise AssertionError(
            "A path prefix must not end with '/', as the routes will start with '/'"
        )


def _check_full_path(prefix: str, route: APIRoute | APIWebSocketRoute) -> None:
    if not prefix and not route.path:
        raise FastAPIError(f"Prefix and path cannot be both empty (path operation: {route.name})")


# -- frontends ------------------------------------------------------------------------------


def _frontend_path(path: str) -> str:
    """A frontend's path: it starts with '/' and, unless it is '/', ends without one."""
    if not path:
        raise AssertionError("A frontend path cannot be empty")
    if not path.startswith("/"):
        raise AssertionError("A frontend path must start with '/'")
    return path if path == "/" else path.rstrip("/")


def _join_frontend_paths(prefix: str, path: str) -> str:
    return prefix if prefix and path == "/" else prefix + path


def _check_frontend_dir(directory: str | os.PathLike[str], check_dir: bool | str) -> bool:
    """Whether to check the directory now: `check_dir`, or with "auto" unless FASTAPI_ENV is
    "development", where a missing one is only warned about (it may be built later)."""
    if check_dir != "auto":
        return bool(check_dir)
    if os.environ.get("FASTAPI_ENV") != "development":
        return True
    if not os.path.isdir(directory):
        warn(
            f"Frontend directory '{directory}' does not exist. "
            f"Resolved absolute path: '{os.path.realpath(directory)}'"
        )
    return False


class FrontendRoute:
    """A static frontend build (`router.frontend(path, directory=...)`) served under `path`
    at low priority: only when no route, mount or slash redirect answers the request. The
    longest matching frontend path wins; its dependencies run for GET and HEAD."""

    def __init__(
        self, path: str, app: FrontendStaticFiles, dependencies: Sequence[Any] = ()
    ) -> None:
        self.path = path
        #: The FrontendStaticFiles that answers.
        self.app = app
        self.dependencies = list(dependencies)

    def routes(self) -> list[APIRoute]:
        """What serves it, for the app's low-priority dispatcher: GET (and HEAD) with the
        dependencies, and every other method, which gets a 405 for an existing file and a
        404 for anything else."""
        files = self.app
        paths = [self.path.rstrip("/") + "/{frontend_path:path}"]
        if self.path != "/":
            paths.insert(0, self.path)

        async def serve(request: Request, response: Response, frontend_path: str = "") -> Any:
            files_response = await files.get_response_for_path(frontend_path, request.scope)
            files_response.raw_headers.extend(response.raw_headers)  # the dependencies'
            return files_response

        async def refuse(request: Request, frontend_path: str = "") -> Any:
            exists = await files.lookup_static_resource(frontend_path) is not None
            raise HTTPException(405 if exists else 404)

        others = [method for method in METHODS if method not in ("GET", "HEAD")]
        routes = []
        for path in paths:
            options: dict[str, Any] = {"name": "frontend", "include_in_schema": False}
            routes.append(APIRoute(path, serve, dependencies=self.dependencies, **options))
            routes.append(APIRoute(path, refuse, methods=others, **options))
        return routes


class _FrontendRouteGroup:
    """A router's frontends (FastAPI's name for the group)."""

    def __init__(self) -> None:
        self.routes: list[FrontendRoute] = []


# -- routers --------------------------------------------------------------------------------


class Handlers(list):
    """`router.on_startup` / `router.on_shutdown`: FastAPI's list of handlers, which is also
    faster-api-web's decorator (`@app.on_startup` appends the function and returns it)."""

    def __call__(self, func: Callable[..., Any]) -> Callable[..., Any]:
        self.append(func)
        return func


class FasterRouter:
    """A group of routes with a shared prefix, tags, dependencies and defaults, included into
    an app or another router (FastAPI's APIRouter)."""

    def __init__(
        self,
        *,
        prefix: str = "",
        tags: list[str] | None = None,
        dependencies: Sequence[Any] | None = None,
        default_response_class: type[Response] = Default,
        responses: dict[Any, Any] | None = None,
        callbacks: list[Any] | None = None,
        routes: Sequence[Any] | None = None,
        redirect_slashes: bool = True,
        default: Any = None,
        dependency_overrides_provider: Any = None,
        route_class: type[APIRoute] = APIRoute,
        on_startup: Sequence[Callable[[], Any]] | None = None,
        on_shutdown: Sequence[Callable[[], Any]] | None = None,
        lifespan: Callable[[Any], Any] | None = None,
        deprecated: bool | None = None,
        include_in_schema: bool = True,
        generate_unique_id_function: Callable[[APIRoute], str] = Default,
        strict_content_type: bool = Default,
        max_body_size: int | None = None,
        form_limits: dict[str, int] | None = None,
    ) -> None:
        default_response_class, generate_unique_id_function, strict_content_type = unplaced(
            default_response_class, generate_unique_id_function, strict_content_type
        )
        _check_prefix(prefix)
        if default is not None:
            raise NotImplementedError(
                "APIRouter(default=...) is not supported by FasterAPI: a router is not an ASGI "
                "app; the app answers what no route matches (add an exception handler for 404)"
            )
        validate_max_body_size(max_body_size)
        #: The form limits of the routes added here, under the routes' own (_form_limits).
        self.form_limits = validate_form_limits(form_limits)
        #: The body limit of the routes added here that set none themselves.
        self.max_body_size = max_body_size
        #: The form limits of the routes added here, under the routes' own (_form_limits).
        self.form_limits = validate_form_limits(form_limits)
        self.prefix = prefix
        self.tags = list(tags or [])
        self.default_response_class = default_response_class
        self.dependencies = list(dependencies or [])
        self.responses = responses or {}
        self.callbacks = list(callbacks or [])
        self.deprecated = deprecated
        self.include_in_schema = include_in_schema
        #: `/items` is redirected (307) to `/items/` when only that one has a route, and back.
        self.redirect_slashes = redirect_slashes
        self.dependency_overrides_provider = dependency_overrides_provider
        #: The class of the routes made here (an APIRoute subclass); set it any time.
        self.route_class = route_class
        self.generate_unique_id_function = generate_unique_id_function
        self.strict_content_type = strict_content_type
        self.on_startup = Handlers(on_startup or [])
        self.on_shutdown = Handlers(on_shutdown or [])
        #: The lifespan given (async context manager factory), merged with those of the
        #: routers included here; None if none.
        self.lifespan_context = lifespan_context(lifespan)
        self.routes: list[APIRoute | APIWebSocketRoute] = []
        for route in routes or ():
            if not isinstance(route, APIRoute | APIWebSocketRoute):
                raise TypeError(
                    f"APIRouter(routes=...) takes APIRoute and APIWebSocketRoute objects, not "
                    f"{type(route).__name__}; use add_route() or mount() for others"
                )
            self.routes.append(route)
        #: The frontends served here (frontend()), None until there is one.
        self._frontend_routes: _FrontendRouteGroup | None = None
        self._included: list[FasterRouter] = []
        self._listeners: list[Callable[[], None]] = []

    def _changed(self) -> None:
        for listener in self._listeners:
            listener()

    @property
    def frontends(self) -> list[FrontendRoute]:
        return self._frontend_routes.routes if self._frontend_routes else []

    def add_api_route(
        self,
        path: str,
        endpoint: Callable[..., Any],
        *,
        route_class_override: type[APIRoute] | None = None,
        **options: Any,
    ) -> APIRoute:
        """Adds a route at `path` (after this router's prefix) with this router's tags,
        dependencies, responses and defaults under its own options, as FastAPI does."""
        check_options("add_api_route", options, ADD_ROUTE_OPTIONS)
        options["response_class"] = given(
            options.get("response_class", Default), self.default_response_class
        )
        options["tags"] = [*self.tags, *(options.get("tags") or [])]
        options["dependencies"] = [*self.dependencies, *(options.get("dependencies") or [])]
        options["responses"] = {**self.responses, **(options.get("responses") or {})}
        callbacks = [*self.callbacks, *(options.get("callbacks") or [])]
        if callbacks:
            options["callbacks"] = callbacks
        for name in ("generate_unique_id_function", "strict_content_type"):
            options[name] = given(options.get(name, Default), getattr(self, name))
        options["deprecated"] = options.get("deprecated") or self.deprecated
        options["include_in_schema"] = options.get("include_in_schema", True) and (
            self.include_in_schema
        )
        if options.get("max_body_size") is None:
            options["max_body_size"] = self.max_body_size
        limits = validate_form_limits(options.get("form_limits"))
        options["form_limits"] = merge_form_limits(self.form_limits, limits)
        options.setdefault("dependency_overrides_provider", self.dependency_overrides_provider)
        route_class = route_class_override or self.route_class
        route = route_class(self.prefix + path, endpoint, **options)
        self.routes.append(route)
        self._changed()
        return route

    def add_route(
        self,
        path: str,
        route: Callable[[Request], Any],
        methods: Sequence[str] | None = None,
        name: str | None = None,
        include_in_schema: bool = True,
    ) -> APIRoute:
        """A Starlette-style route: `route(request)` (an `async def`, or a `def`, run inline
        like a `def` handler) returns the Response itself. As in FastAPI, it takes no
        parameters or dependencies and is not in the OpenAPI document."""
        if not path.startswith("/"):
            raise ValueError(f"route path {path!r} must start with '/'")
        is_async = _is_async(route)

        async def endpoint(request: Request) -> Any:
            result = route(request)
            return await result if is_async else result

        name = name or getattr(route, "__name__", type(route).__name__)
        api_route = APIRoute(
            self.prefix + path, endpoint, methods=methods, name=name, include_in_schema=False
        )
        self.routes.append(api_route)
        self._changed()
        return api_route

    def route(
        self,
        path: str,
        methods: Sequence[str] | None = None,
        name: str | None = None,
        include_in_schema: bool = True,
    ) -> Callable[[Any], Any]:
        """add_route as a decorator."""

        def decorator(func: Callable[..., Any]) -> Callable[..., Any]:
            self.add_route(path, func, methods=methods, name=name)
            return func

        return decorator

    def add_api_websocket_route(
        self,
        path: str,
        endpoint: Callable[..., Any],
        name: str | None = None,
        *,
        dependencies: Sequence[Any] | None = None,
    ) -> APIWebSocketRoute:
        dependencies = [*self.dependencies, *(dependencies or [])]
        route = APIWebSocketRoute(
            self.prefix + path, endpoint, name=name, dependencies=dependencies
        )
        self.routes.append(route)
        self._changed()
        return route

    def websocket(
        self, path: str, name: str | None = None, *, dependencies: Sequence[Any] | None = None
    ) -> Callable[[Any], Any]:
        """Registers an `async def` WebSocket endpoint at `path`, as FastAPI's decorator."""

        def decorator(endpoint: Callable[..., Any]) -> Callable[..., Any]:
            self.add_api_websocket_route(path, endpoint, name=name, dependencies=dependencies)
            return endpoint

        return decorator

    def websocket_route(self, path: str, name: str | None = None) -> Callable[[Any], Any]:
        """Starlette's decorator: a WebSocket endpoint at `path`."""
        return self.websocket(path, name=name)

    def add_websocket_route(
        self, path: str, route: Callable[..., Any], name: str | None = None
    ) -> APIWebSocketRoute:
        """Starlette's name for add_api_websocket_route."""
        return self.add_api_websocket_route(path, route, name=name)

    def frontend(
        self,
        path: str,
        *,
        directory: str | os.PathLike[str],
        fallback: str | None = "auto",
        check_dir: bool | str = "auto",
    ) -> None:
        """Serves the static frontend build in `directory` under `path`, after every route:
        files as they are (a folder's index.html), and for a missing one the `fallback`:
        "404.html" (a 404 with that page), "index.html" (that page, for a browser's
        navigation: a request that accepts text/html), "auto" (404.html if there is one, else
        index.html) or None (the app's 404). As FastAPI 0.165's `frontend()`."""
        check = _check_frontend_dir(directory, check_dir)
        files = FrontendStaticFiles(directory=directory, fallback=fallback, check_dir=check)
        path = _join_frontend_paths(self.prefix, _frontend_path(path))
        self._add_frontend(FrontendRoute(path, files, self.dependencies))

    def _add_frontend(self, frontend: FrontendRoute) -> None:
        if self._frontend_routes is None:
            self._frontend_routes = _FrontendRouteGroup()
        self._frontend_routes.routes.append(frontend)
        self._changed()

    def url_path_for(self, name: str, /, **path_params: Any) -> str:
        """The path of the route called `name` (its endpoint's name unless `name=` was
        given), with `path_params` filled in; NoMatchFound if there is none."""
        for route in self.routes:
            if route.name == name:
                path = fill_path(route.path, path_params)
                if path is not None:
                    return path
        raise NoMatchFound(name, path_params)

    def api_route(self, path: str, **options: Any) -> Callable[[Any], Any]:
        """`@router.api_route(path, methods=[...], ...)`: add_api_route as a decorator. Its
        keywords (and the method decorators') are FastAPI's, plus `threadpool`; an unknown
        one is a TypeError that names it (see DECORATOR_OPTIONS)."""
        check_options("api_route", options, API_ROUTE_OPTIONS)

        def decorator(endpoint: Callable[..., Any]) -> Callable[..., Any]:
            self.add_api_route(path, endpoint, **options)
            return endpoint

        return decorator

    def _method(self, method: str, path: str, options: dict[str, Any]) -> Callable[[Any], Any]:
        check_options(method.lower(), options, DECORATOR_OPTIONS)
        return self.api_route(path, methods=[method], **options)

    def get(self, path: str, **options: Any) -> Callable[[Any], Any]:
        return self._method("GET", path, options)

    def post(self, path: str, **options: Any) -> Callable[[Any], Any]:
        return self._method("POST", path, options)

    def put(self, path: str, **options: Any) -> Callable[[Any], Any]:
        return self._method("PUT", path, options)

    def patch(self, path: str, **options: Any) -> Callable[[Any], Any]:
        return self._method("PATCH", path, options)

    def delete(self, path: str, **options: Any) -> Callable[[Any], Any]:
        return self._method("DELETE", path, options)

    def head(self, path: str, **options: Any) -> Callable[[Any], Any]:
        return self._method("HEAD", path, options)

    def options(self, path: str, **options: Any) -> Callable[[Any], Any]:
        return self._method("OPTIONS", path, options)

    def trace(self, path: str, **options: Any) -> Callable[[Any], Any]:
        return self._method("TRACE", path, options)

    # -- events ---------------------------------------------------------------------------------

    def _handlers(self, event_type: str) -> list[Callable[[], Any]]:
        if event_type not in ("startup", "shutdown"):
            raise ValueError(f"unknown event {event_type!r}; use 'startup' or 'shutdown'")
        return self.on_startup if event_type == "startup" else self.on_shutdown

    def add_event_handler(self, event_type: str, func: Callable[[], Any]) -> None:
        """Runs `func` (a function or `async def`) at "startup" or "shutdown"."""
        self._handlers(event_type).append(func)

    def on_event(self, event_type: str) -> Callable[[Any], Any]:
        """add_event_handler as a decorator: FastAPI's deprecated form of a lifespan, which
        warns as FastAPI does (DeprecationWarning)."""
        warn("on_event is deprecated, use lifespan event handlers instead.", DeprecationWarning)
        self._handlers(event_type)

        def decorator(func: Callable[..., Any]) -> Callable[..., Any]:
            self.add_event_handler(event_type, func)
            return func

        return decorator

    # -- including ------------------------------------------------------------------------------

    def _contains_router(self, router: FasterRouter) -> bool:
        return any(r is router or r._contains_router(router) for r in self._included)

    def include_router(
        self,
        router: FasterRouter,
        *,
        prefix: str = "",
        tags: list[str] | None = None,
        dependencies: Sequence[Any] | None = None,
        default_response_class: type[Response] = Default,
        responses: dict[int | str, dict[str, Any]] | None = None,
        callbacks: list[Any] | None = None,
        deprecated: bool | None = None,
        include_in_schema: bool = True,
        generate_unique_id_function: Callable[[APIRoute], str] = Default,
        max_body_size: int | None = None,
        form_limits: dict[str, int] | None = None,
    ) -> None:
        """Serves `router`'s routes and frontends here under `prefix` (copies, made now and
        whenever the router gets more, as FastAPI 0.165's includes are live), adding `tags`,
        `responses` and `callbacks`, running `dependencies` before each route's own. An
        option a route leaves out is its router's, else the include's, else this router's;
        its body limit likewise. The router's startup and shutdown handlers and lifespan run
        with this router's."""
        default_response_class, generate_unique_id_function = unplaced(
            default_response_class, generate_unique_id_function
        )
        if router is self:
            raise AssertionError(
                "Cannot include the same APIRouter instance into itself. "
                "Did you mean to include a different router?"
            )
        if router._contains_router(self):
            raise AssertionError(
                "Cannot include an APIRouter instance that already includes this router. "
                "Did you mean to include a different router?"
            )
        _check_prefix(prefix)
        for route in router.routes:
            _check_full_path(prefix, route)
        validate_max_body_size(max_body_size)
        include = _Include(
            self,
            router,
            prefix=prefix,
            tags=list(tags or []),
            dependencies=list(dependencies or []),
            default_response_class=default_response_class,
            responses=dict(responses or {}),
            callbacks=list(callbacks or []),
            deprecated=deprecated,
            include_in_schema=include_in_schema,
            generate_unique_id_function=generate_unique_id_function,
            max_body_size=max_body_size,
            form_limits=validate_form_limits(form_limits),
        )
        include.sync()
        router._listeners.append(include.sync)  # what is added to it later comes here too
        self._included.append(router)
        self.on_startup.extend(router.on_startup)
        self.on_shutdown.extend(router.on_shutdown)
        self.lifespan_context = merge_lifespans(self.lifespan_context, router.lifespan_context)


class _Include:
    """One include_router(): copies the included router's routes and frontends into the
    including one with the include's options; sync() copies those added since."""

    def __init__(self, parent: FasterRouter, router: FasterRouter, **options: Any) -> None:
        self.parent, self.router, self.options = parent, router, options
        self.routes_copied = self.frontends_copied = 0

    def sync(self) -> None:
        routes = self.router.routes[self.routes_copied :]
        frontends = self.router.frontends[self.frontends_copied :]
        self.routes_copied += len(routes)
        self.frontends_copied += len(frontends)
        for route in routes:
            self.copy(route)
        for frontend in frontends:
            self.copy_frontend(frontend)

    def copy(self, route: APIRoute | APIWebSocketRoute) -> None:
        include, parent, router = self.options, self.parent, self.router
        prefix = include["prefix"]
        _check_full_path(prefix, route)
        options = route.options()
        options["dependencies"] = [*include["dependencies"], *route.dependencies]
        if isinstance(route, APIWebSocketRoute):
            parent.add_api_websocket_route(prefix + route.path, route.endpoint, **options)
            return
        options["tags"] = [*include["tags"], *route.tags]
        options["responses"] = {**include["responses"], **route.responses}
        callbacks = [*include["callbacks"], *(options.get("callbacks") or [])]
        if callbacks:
            options["callbacks"] = callbacks
        options["response_class"] = given(
            options["response_class"],
            router.default_response_class,
            include["default_response_class"],
        )
        options["generate_unique_id_function"] = given(
            options["generate_unique_id_function"],
            router.generate_unique_id_function,
            include["generate_unique_id_function"],
        )
        options["strict_content_type"] = given(
            options["strict_content_type"], router.strict_content_type
        )
        options["deprecated"] = options["deprecated"] or include["deprecated"]
        options["include_in_schema"] = options["include_in_schema"] and include["include_in_schema"]
        if options["max_body_size"] is None:
            options["max_body_size"] = include["max_body_size"]
        options["form_limits"] = merge_form_limits(include["form_limits"], route.form_limits)
        parent.add_api_route(
            prefix + route.path, route.endpoint, route_class_override=type(route), **options
        )

    def copy_frontend(self, frontend: FrontendRoute) -> None:
        parent, include = self.parent, self.options
        path = _join_frontend_paths(include["prefix"], frontend.path)
        dependencies = [*parent.dependencies, *include["dependencies"], *frontend.dependencies]
        parent._add_frontend(
            FrontendRoute(_join_frontend_paths(parent.prefix, path), frontend.app, dependencies)
        )


#: The keywords of the method decorators (`get`, `post`...): FastAPI's, plus `threadpool`.
DECORATOR_OPTIONS = (
    "response_model",
    "status_code",
    "tags",
    "dependencies",
    "summary",
    "description",
    "response_description",
    "responses",
    "deprecated",
    "operation_id",
    "response_model_include",
    "response_model_exclude",
    "response_model_by_alias",
    "response_model_exclude_unset",
    "response_model_exclude_defaults",
    "response_model_exclude_none",
    "include_in_schema",
    "response_class",
    "name",
    "callbacks",
    "openapi_extra",
    "generate_unique_id_function",
    "max_body_size",
    "form_limits",
    "threadpool",
)
#: api_route's: the method decorators', and `methods`.
API_ROUTE_OPTIONS = ("methods", *DECORATOR_OPTIONS)
#: add_api_route's (beside `route_class_override`): api_route's, and how strictly a JSON
#: body's Content-Type is checked, and FastAPI's dependency_overrides_provider.
ADD_ROUTE_OPTIONS = (*API_ROUTE_OPTIONS, "strict_content_type", "dependency_overrides_provider")


def check_options(function: str, options: dict[str, Any], accepted: Sequence[str]) -> None:
    """A TypeError naming the first keyword in `options` that `function` does not take."""
    for name in options:
        if name not in accepted:
            raise TypeError(f"{function}() got an unexpected keyword argument {name!r}")


def _signature(leading: Sequence[str], names: Sequence[str]) -> inspect.Signature:
    """A decorator's signature, for help() and editors: `leading` positional parameters, then
    the keyword-only `names`, with APIRoute's defaults and annotations."""
    route = inspect.signature(APIRoute.__init__).parameters
    positional = inspect.Parameter.POSITIONAL_OR_KEYWORD
    parameters = [inspect.Parameter(name, positional) for name in leading]
    return inspect.Signature([*parameters, *(route[name] for name in names)])


for _method in ("get", "post", "put", "patch", "delete", "head", "options", "trace"):
    getattr(FasterRouter, _method).__signature__ = _signature(("self", "path"), DECORATOR_OPTIONS)
# (inspect reads a function's __signature__; typeshed does not declare it on functions)
FasterRouter.api_route.__signature__ = _signature(("self", "path"), API_ROUTE_OPTIONS)  # type: ignore[attr-defined]
FasterRouter.add_api_route.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
    [
        *_signature(("self", "path", "endpoint"), ADD_ROUTE_OPTIONS).parameters.values(),
        inspect.Parameter("route_class_override", inspect.Parameter.KEYWORD_ONLY, default=None),
    ]
)

APIRouter = FasterRouter
