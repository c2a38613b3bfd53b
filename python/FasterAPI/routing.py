"""Routes and routers: FasterRouter (alias APIRouter) with the route decorators,
prefixes, tags and nested include_router. Routes are matched by the app's Rust
radix tree; a route's signature is compiled into its plan when it is registered."""

from __future__ import annotations

import inspect
import re
import typing
from collections.abc import Callable, Mapping, Sequence
from typing import Any
from urllib.parse import quote

from ._body_limit import validate_max_body_size
from ._form_limits import merge_form_limits, validate_form_limits
from ._types import is_subclass
from .dependencies.models import called_function, is_coroutine_callable
from .forms import FormPlan
from .item_streams import is_generator_endpoint, stream_item_type, streaming_endpoint
from .requests import Request
from .response_model import response_serializer
from .responses import JSONResponse, Response
from .signature import compile_endpoint
from .sse import ServerSentEvent

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "TRACE")


class _Default:
    """An argument left out, where None means something else: `response_model=None` turns
    off the model a return annotation would give."""

    def __repr__(self) -> str:
        return "Default"


Default: Any = _Default()


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


def _response_model(endpoint: Any, response_model: Any) -> Any:
    """The route's response model: the one given, else the return annotation unless that is
    a Response (class or union of them) or None, as FastAPI infers it."""
    if response_model is not Default:
        return response_model
    annotation = return_annotation(endpoint)
    if annotation is None or annotation is type(None) or is_subclass(annotation, Response):
        return None
    if any(is_subclass(arg, Response) for arg in typing.get_args(annotation)):
        return None
    return annotation


def _positional_names(endpoint: Any) -> tuple[str, ...] | None:
    """The endpoint's parameter names, in order, when it is a plain function that takes all
    of them positionally (no *args, **kwargs or keyword-only ones), else None. Rust then
    calls it as `endpoint(*values)` instead of `endpoint(**kwargs)`, which costs less. Read
    from the code object itself: a `__signature__` may describe a `**kwargs` wrapper."""
    if not inspect.isfunction(endpoint) or hasattr(endpoint, "__signature__"):
        return None
    code = endpoint.__code__
    if code.co_flags & (inspect.CO_VARARGS | inspect.CO_VARKEYWORDS) or code.co_kwonlyargcount:
        return None
    return code.co_varnames[: code.co_argcount]


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
        response_class: type[Response] = JSONResponse,
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
        threadpool: bool = False,
        dependencies: Sequence[Any] | None = None,
        dependency_overrides: Mapping[Any, Any] | None = None,
        max_body_size: int | None = None,
        form_limits: dict[str, int] | None = None,
        callbacks: list[Any] | None = None,
        **openapi: Any,
    ) -> None:
        self.path = path
        if getattr(endpoint, "__fasterapi_stream__", False):  # a copy (include_router)
            endpoint = endpoint.__wrapped__
        self.endpoint = endpoint
        self.methods = {m.upper() for m in (methods or ["GET"])}
        unknown = self.methods - set(METHODS)
        if unknown:
            raise ValueError(f"unknown HTTP method(s) {sorted(unknown)} for {path!r}")
        self.status_code = status_code or _default_status(response_class)
        self.tags = list(tags or [])
        self.response_class = response_class
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
        self.operation_id = operation_id
        self.openapi_extra = openapi_extra
        self.name = name or getattr(endpoint, "__name__", type(endpoint).__name__)
        self.summary = summary
        # The docstring if not given; up to a form feed, FastAPI's cut-off for the docs.
        description = description or inspect.cleandoc(endpoint.__doc__ or "")
        self.description = description.split("\f")[0].strip()
        self.deprecated = deprecated
        self.include_in_schema = include_in_schema
        self.openapi = openapi
        #: Routes (of a callback router) documented as this operation's OpenAPI callbacks.
        self.callbacks = callbacks
        self.generate_unique_id_function = generate_unique_id_function
        unique_id = generate_unique_id if generate_unique_id_function is Default else None
        self.unique_id = self.operation_id or (unique_id or generate_unique_id_function)(self)
        self.threadpool = threadpool
        validate_max_body_size(max_body_size)
        #: The largest request body accepted, in bytes (413 past it); None: no limit.
        self.max_body_size = max_body_size
        #: Whether the endpoint yields, and the type of the items it streams (None if not said).
        self.is_stream = False
        self.stream_item: Any = None
        if is_generator_endpoint(endpoint):
            endpoint = self._stream_items(endpoint, response_model)
        self.is_async = _is_async(endpoint)
        self.positional_names = _positional_names(endpoint)
        self.dependencies = list(dependencies or [])
        self.plan = compile_endpoint(endpoint, path, self.dependencies, dependency_overrides)
        self.body = self.plan.body
        #: The limits on the form its Form()/File() parameters are read from (_form_limits).
        self.form_limits = validate_form_limits(form_limits)
        if isinstance(self.body, FormPlan):
            self.body.limit(self.form_limits)
        self.request_params = self.plan.request_params
        self.response_params = self.plan.response_params
        #: Serving it runs the dependency solver (FasterAPI.dependencies.solve).
        self.solve = self.plan.dependant is not None
        self.body_allowed = not (self.status_code < 200 or self.status_code in (204, 304))
        #: Validates and serializes a return value that is not a Response through the
        #: response model (FasterAPI.response_model); None without one, or without a body.
        self.serialize_response = (
            self._serializer(self.response_model) if self.body_allowed else None
        )
        self.json_fast_path = (
            response_class is JSONResponse and self.body_allowed and not self.response_params
        )
        #: The native server calls this route without an ASGI scope (no Request to give it).
        self.native = not self.request_params and not self.solve

    def _serializer(self, model: Any) -> Callable[[Any], Any] | None:
        """What validates and serializes a value for `model`, with the route's
        response_model_* options (FasterAPI.response_model)."""
        return response_serializer(
            model,
            include=self.response_model_include,
            exclude=self.response_model_exclude,
            by_alias=self.response_model_by_alias,
            exclude_unset=self.response_model_exclude_unset,
            exclude_defaults=self.response_model_exclude_defaults,
            exclude_none=self.response_model_exclude_none,
        )

    def _stream_items(self, endpoint: Callable[..., Any], response_model: Any) -> Any:
        """Serves a generator endpoint through an `async def` that streams its items
        (FasterAPI.item_streams), each validated by the item type of its return annotation
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
        """The keyword arguments that re-create this route elsewhere (include_router)."""
        return {
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
            "max_body_size": self.max_body_size,
            "form_limits": self.form_limits,
            "callbacks": self.callbacks,
            **self.openapi,
        }

    def with_overrides(self, overrides: Mapping[Any, Any]) -> APIRoute:
        """This route, or a copy compiled with `overrides` (app.dependency_overrides) if any
        of its dependencies is overridden."""
        if not overrides or not _uses_any(self.plan.dependant, overrides):
            return self
        return APIRoute(self.path, self.endpoint, dependency_overrides=overrides, **self.options())

    def __repr__(self) -> str:
        return f"APIRoute(path={self.path!r}, methods={sorted(self.methods)}, name={self.name!r})"


class APIWebSocketRoute:
    """A WebSocket endpoint at a path: an `async def` taking a `WebSocket` and, like a
    handler, path, query, header and cookie parameters and dependencies."""

    # What the Rust dispatcher reads of a route (see route.rs); a WebSocket has no body and
    # its endpoint is always awaited.
    is_async = True
    threadpool = False
    body = None
    positional_names = None
    json_fast_path = False
    serialize_response = None
    status_code = 200
    request_params = response_params = ()
    solve = True
    native = False
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
        if not path.startswith("/"):
            raise ValueError(f"route path {path!r} must start with '/'")
        if not _is_async(endpoint):
            raise TypeError(
                f"WebSocket endpoint {getattr(endpoint, '__qualname__', endpoint)!r} "
                "must be an async def"
            )
        self.path = path
        self.endpoint = endpoint
        self.name = name or getattr(endpoint, "__name__", type(endpoint).__name__)
        self.dependencies = list(dependencies or [])
        self.plan = compile_endpoint(
            endpoint, path, self.dependencies, dependency_overrides, websocket=True
        )

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


class FasterRouter:
    """A group of routes with a shared prefix and tags, included into an app or another router."""

    def __init__(
        self,
        *,
        prefix: str = "",
        tags: list[str] | None = None,
        default_response_class: type[Response] = JSONResponse,
        dependencies: Sequence[Any] | None = None,
        responses: dict[Any, Any] | None = None,
        deprecated: bool | None = None,
        include_in_schema: bool = True,
        max_body_size: int | None = None,
        form_limits: dict[str, int] | None = None,
        callbacks: list[Any] | None = None,
        generate_unique_id_function: Callable[[APIRoute], str] = Default,
        **_: Any,
    ) -> None:
        if prefix and (not prefix.startswith("/") or prefix.endswith("/")):
            raise ValueError("a router prefix must start with '/' and not end with '/'")
        validate_max_body_size(max_body_size)
        #: The form limits of the routes added here, under the routes' own (_form_limits).
        self.form_limits = validate_form_limits(form_limits)
        #: The body limit of the routes added here that set none themselves.
        self.max_body_size = max_body_size
        self.prefix = prefix
        self.tags = list(tags or [])
        self.default_response_class = default_response_class
        self.dependencies = list(dependencies or [])
        self.responses = responses or {}
        self.deprecated = deprecated
        self.include_in_schema = include_in_schema
        #: Given to every route added here (before the route's own), and the operationId
        #: maker of those that name none.
        self.callbacks = list(callbacks or [])
        self.generate_unique_id_function = generate_unique_id_function
        self.routes: list[APIRoute | APIWebSocketRoute] = []
        self._listeners: list[Callable[[], None]] = []

    def _changed(self) -> None:
        for listener in self._listeners:
            listener()

    def add_api_route(self, path: str, endpoint: Callable[..., Any], **options: Any) -> APIRoute:
        options.setdefault("response_class", self.default_response_class)
        options["tags"] = [*self.tags, *(options.get("tags") or [])]
        options["dependencies"] = [*self.dependencies, *(options.get("dependencies") or [])]
        options["responses"] = {**self.responses, **(options.get("responses") or {})}
        if self.deprecated is not None:
            options.setdefault("deprecated", self.deprecated)
        if not self.include_in_schema:
            options["include_in_schema"] = False
        if options.get("max_body_size") is None:
            options["max_body_size"] = self.max_body_size
        limits = validate_form_limits(options.get("form_limits"))
        options["form_limits"] = merge_form_limits(self.form_limits, limits)
        options["callbacks"] = [*self.callbacks, *(options.get("callbacks") or [])] or None
        if options.get("generate_unique_id_function", Default) is Default:
            options["generate_unique_id_function"] = self.generate_unique_id_function
        route = APIRoute(self.prefix + path, endpoint, **options)
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
        self, path: str, methods: Sequence[str] | None = None, name: str | None = None
    ) -> Callable[[Any], Any]:
        """add_route as a decorator."""

        def decorator(func: Callable[..., Any]) -> Callable[..., Any]:
            self.add_route(path, func, methods=methods, name=name)
            return func

        return decorator

    def add_api_websocket_route(
        self, path: str, endpoint: Callable[..., Any], name: str | None = None, **options: Any
    ) -> APIWebSocketRoute:
        options["dependencies"] = [*self.dependencies, *(options.get("dependencies") or [])]
        route = APIWebSocketRoute(self.prefix + path, endpoint, name=name, **options)
        self.routes.append(route)
        self._changed()
        return route

    def websocket(self, path: str, name: str | None = None, **options: Any) -> Callable[[Any], Any]:
        """Registers an `async def` WebSocket endpoint at `path`, as FastAPI's decorator."""

        def decorator(endpoint: Callable[..., Any]) -> Callable[..., Any]:
            self.add_api_websocket_route(path, endpoint, name=name, **options)
            return endpoint

        return decorator

    websocket_route = websocket

    def add_websocket_route(
        self, path: str, route: Callable[..., Any], name: str | None = None
    ) -> APIWebSocketRoute:
        """Starlette's name for add_api_websocket_route."""
        return self.add_api_websocket_route(path, route, name=name)

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
        def decorator(endpoint: Callable[..., Any]) -> Callable[..., Any]:
            self.add_api_route(path, endpoint, **options)
            return endpoint

        return decorator

    def _method(self, method: str, path: str, options: dict[str, Any]) -> Callable[[Any], Any]:
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

    def include_router(
        self,
        router: FasterRouter,
        *,
        prefix: str = "",
        tags: list[str] | None = None,
        dependencies: Sequence[Any] | None = None,
        responses: dict[int | str, dict[str, Any]] | None = None,
        deprecated: bool | None = None,
        include_in_schema: bool = True,
        max_body_size: int | None = None,
        form_limits: dict[str, int] | None = None,
        callbacks: list[Any] | None = None,
        generate_unique_id_function: Callable[[APIRoute], str] = Default,
        **_: Any,
    ) -> None:
        """Copies `router`'s routes (as they are now) under `prefix`, adding `tags` and
        `responses`, running `dependencies` before each route's own. A route's body limit is
        its own, else its router's, else `max_body_size`, else this router's."""
        if prefix and (not prefix.startswith("/") or prefix.endswith("/")):
            raise ValueError("an include prefix must start with '/' and not end with '/'")
        validate_max_body_size(max_body_size)
        form_limits = validate_form_limits(form_limits)
        for route in router.routes:
            options = route.options()
            options["dependencies"] = [*(dependencies or []), *route.dependencies]
            if isinstance(route, APIWebSocketRoute):
                self.add_api_websocket_route(prefix + route.path, route.endpoint, **options)
                continue
            options["tags"] = [*(tags or []), *route.tags]
            options["responses"] = {**(responses or {}), **route.responses}
            if deprecated is not None:
                options["deprecated"] = deprecated
            if not include_in_schema:
                options["include_in_schema"] = False
            if options["max_body_size"] is None:
                options["max_body_size"] = max_body_size
            options["form_limits"] = merge_form_limits(form_limits, route.form_limits)
            options["callbacks"] = [*(callbacks or []), *(route.callbacks or [])]
            if options["generate_unique_id_function"] is Default:
                options["generate_unique_id_function"] = generate_unique_id_function
            self.add_api_route(prefix + route.path, route.endpoint, **options)


APIRouter = FasterRouter
