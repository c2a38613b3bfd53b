"""The application: `Faster` (alias `FastAPI`), an ASGI 3.0 callable whose request
path runs in Rust (routing, parameter extraction, stepping the handler, JSON encoding)
around the user's code; see `_core.AsgiApp`."""

from __future__ import annotations

import collections.abc
import contextlib
import functools
import inspect
import traceback
import warnings
from collections.abc import AsyncIterator, Callable, Sequence
from typing import TYPE_CHECKING, Any, Literal

from . import _core
from ._body_limit import CONTENT_TOO_LARGE
from ._compiler.signature import path_param_names
from ._runtime.runner import App, run_websocket
from ._starlette import (
    StarletteHTTPException,
    StarletteWebSocketException,
    patched_starlette_call,
)
from .datastructures import State
from .exception_handlers import (
    http_exception_handler,
    request_validation_exception_handler,
    websocket_exception_handler,
    websocket_request_validation_exception_handler,
)
from .exceptions import (
    EndpointContext,
    FastAPIDeprecationWarning,
    HTTPException,
    RequestValidationError,
    ValidationException,
    WebSocketRequestValidationError,
    _close_reason,
    endpoint_context,
)
from .middleware.base import BaseHTTPMiddleware, is_http_middleware
from .middleware.compress import CompressMiddleware
from .middleware.compress import native_policy as compress_policy
from .middleware.cors import CORSMiddleware, native_policy
from .middleware.errors import ServerErrorMiddleware, answer_errors_before_start
from .middleware.exceptions import ExceptionMiddleware, answer, lookup_handler
from .middleware.gzip import GZipMiddleware
from .middleware.gzip import native_policy as gzip_policy
from .middleware.httpsredirect import HTTPSRedirectMiddleware
from .middleware.securityheaders import SecurityHeadersMiddleware
from .middleware.trustedhost import TrustedHostMiddleware
from .openapi.docs import (
    FAVICON_URL,
    REDOC_JS_URL,
    SWAGGER_CSS_URL,
    SWAGGER_JS_URL,
    asset_response,
    get_redoc_html,
    get_swagger_ui_html,
    get_swagger_ui_oauth2_redirect_html,
    local_asset_urls,
    static_prefix,
)
from .openapi.utils import get_openapi
from .requests import Request
from .responses import (
    HTMLResponse,
    JSONResponse,
    PlainTextResponse,
    RedirectResponse,
    Response,
    inject_response,
)
from .routing import APIRoute, APIWebSocketRoute, Default, FasterRouter, no_lifespan
from .websockets import WebSocket, WebSocketClose, deny

_NOT_FOUND = {"detail": "Not Found"}


class _AppRouter(FasterRouter):
    """An app's own router (`app.router`): the routes it serves, whose paths start with '/'
    (a router's need not: a webhook's is a name, a callback's an expression)."""

    def add_api_route(self, path: str, endpoint: Callable[..., Any], **options: Any) -> APIRoute:
        if not path.startswith("/"):
            raise ValueError(f"route path {path!r} must start with '/'")
        return super().add_api_route(path, endpoint, **options)

    add_api_route.__signature__ = FasterRouter.add_api_route.__signature__  # type: ignore[attr-defined]


def _router_attribute(name: str) -> Any:
    """`app.<name>`: the app's router's, read and set (as FastAPI's app forwards them)."""

    def get(app: Faster) -> Any:
        return getattr(app.router, name)

    def set_(app: Faster, value: Any) -> None:
        setattr(app.router, name, value)

    return property(get, set_, doc=f"`app.router.{name}`")


def _router_method(name: str) -> Any:
    """`app.<name>(...)`: the app's router's method (as FastAPI's app forwards them), with its
    signature for help(), editors and FastAPI's keyword checks."""
    method = getattr(FasterRouter, name)

    @functools.wraps(method)
    def forward(app: Faster, /, *args: Any, **kwargs: Any) -> Any:
        return getattr(app.router, name)(*args, **kwargs)

    forward.__qualname__ = f"Faster.{name}"
    return forward


class Faster(_core.AsgiApp):
    """A FastAPI-style app: route decorators, routers, exception handlers, lifespan.

    It holds its routes in a router (`app.router`, a FasterRouter: FastAPI's APIRouter), whose
    route decorators and settings it forwards, as FastAPI's app does; it is the ASGI app
    (`app(scope, receive, send)` is the Rust door, `_core.AsgiApp`), with its middleware stack
    built once (`build_middleware_stack`)."""

    def __init__(
        self,
        *,
        debug: bool = False,
        title: str = "FastAPI",
        version: str = "0.1.0",
        description: str = "",
        lifespan: Callable[[Any], Any] | None = None,
        on_startup: Sequence[Callable[[], Any]] | None = None,
        on_shutdown: Sequence[Callable[[], Any]] | None = None,
        exception_handlers: dict[Any, Callable[..., Any]] | None = None,
        root_path: str = "",
        strict_content_type: bool = True,
        summary: str | None = None,
        openapi_url: str | None = "/openapi.json",
        openapi_tags: list[dict[str, Any]] | None = None,
        servers: list[dict[str, Any]] | None = None,
        docs_url: str | None = "/docs",
        redoc_url: str | None = "/redoc",
        swagger_ui_oauth2_redirect_url: str | None = "/docs/oauth2-redirect",
        swagger_ui_init_oauth: dict[str, Any] | None = None,
        swagger_ui_parameters: dict[str, Any] | None = None,
        docs_assets: Literal["local", "cdn"] = "local",
        terms_of_service: str | None = None,
        contact: dict[str, Any] | None = None,
        license_info: dict[str, Any] | None = None,
        openapi_version: str = "3.1.0",
        openapi_external_docs: dict[str, Any] | None = None,
        root_path_in_servers: bool = True,
        separate_input_output_schemas: bool = True,
        middleware: Sequence[Any] | None = None,
        webhooks: FasterRouter | None = None,
        telemetry: dict[str, Any] | None = None,
        # the router's (app.router)
        routes: Sequence[Any] | None = None,
        dependencies: Sequence[Any] | None = None,
        default_response_class: type[Response] = Default,
        redirect_slashes: bool = True,
        responses: dict[Any, Any] | None = None,
        callbacks: list[Any] | None = None,
        deprecated: bool | None = None,
        include_in_schema: bool = True,
        generate_unique_id_function: Callable[[APIRoute], str] = Default,
        max_body_size: int | None = None,
        form_limits: dict[str, int] | None = None,
    ) -> None:
        if telemetry is not None:
            raise NotImplementedError(
                "FastAPI(telemetry=...): FastAPI 0.165's native OpenTelemetry is not in "
                "FasterAPI; instrument the app with opentelemetry-instrumentation-fastapi "
                "(docs/migrating-from-fastapi.md)"
            )
        #: The app's routes, and the settings they are added with (FastAPI's `app.router`).
        self.router: FasterRouter = _AppRouter(
            lifespan=lifespan,
            on_startup=on_startup,
            on_shutdown=on_shutdown,
            strict_content_type=strict_content_type,
            dependency_overrides_provider=self,
            routes=routes,
            dependencies=dependencies,
            default_response_class=default_response_class,
            redirect_slashes=redirect_slashes,
            responses=responses,
            callbacks=callbacks,
            deprecated=deprecated,
            include_in_schema=include_in_schema,
            generate_unique_id_function=generate_unique_id_function,
            max_body_size=max_body_size,
            form_limits=form_limits,
        )
        #: Routes documented under the OpenAPI document's "webhooks" (requests the app sends).
        self.webhooks = webhooks or FasterRouter()
        self.debug = debug
        self.title = title
        self.version = version
        self.description = description
        self.summary = summary
        self.openapi_url = openapi_url
        self.openapi_tags = openapi_tags
        self.servers = list(servers or [])
        self.docs_url = docs_url
        self.redoc_url = redoc_url
        self.swagger_ui_oauth2_redirect_url = swagger_ui_oauth2_redirect_url
        self.swagger_ui_init_oauth = swagger_ui_init_oauth
        self.swagger_ui_parameters = swagger_ui_parameters
        if docs_assets not in ("local", "cdn"):
            raise ValueError(f'docs_assets must be "local" or "cdn", not {docs_assets!r}')
        #: Where /docs and /redoc load their scripts from: "local", the copies the app serves
        #: under `{docs_url}/static/` (FasterAPI.openapi.docs), or "cdn", as FastAPI's do.
        self.docs_assets = docs_assets
        self.terms_of_service = terms_of_service
        self.contact = contact
        self.license_info = license_info
        self.openapi_version = openapi_version
        self.openapi_external_docs = openapi_external_docs
        self.root_path_in_servers = root_path_in_servers
        self.separate_input_output_schemas = separate_input_output_schemas
        #: The document `openapi()` made, kept until it is set to None.
        self.openapi_schema: dict[str, Any] | None = None
        if root_path:
            warnings.warn(
                "The `root_path` parameter is deprecated, as in FastAPI 0.165: give the server "
                "its root path instead (`fasterapi run --root-path /api/v1`, or with uvicorn "
                "or FastAPI's CLI `fastapi run --root-path /api/v1`)",
                FastAPIDeprecationWarning,
                stacklevel=2,
            )
        self.root_path = root_path
        self.state = State()
        self.exception_handlers: dict[Any, Callable[..., Any]] = {
            # Under Starlette's classes (our bases), as FastAPI registers them: Starlette's own
            # HTTPException, raised by a handler, is answered too.
            StarletteHTTPException: http_exception_handler,
            RequestValidationError: request_validation_exception_handler,
            WebSocketRequestValidationError: websocket_request_validation_exception_handler,
            StarletteWebSocketException: websocket_exception_handler,
            **(exception_handlers or {}),
        }
        self._dispatcher: Any = None
        self._websocket_dispatcher: Any = None
        #: The frontends' routes (frontend()), tried when nothing else answers.
        self._frontend_dispatcher: Any = None
        #: (route, endpoint) -> the app serving it for its get_route_handler() (_call_route).
        self._handler_apps: dict[tuple[APIRoute, Any], _RouteHandlerApp] = {}
        #: route -> what serves it through its get_route_handler(), built once (_route_handler).
        self._route_handlers: dict[APIRoute, APIRoute] = {}
        #: (path prefix, ASGI app) pairs from mount(), tried when no route matches.
        self.mounts: list[tuple[str, Any]] = []
        #: mount(name=...) -> its path prefix and app, for url_path_for().
        self.mount_names: dict[str, tuple[str, Any]] = {}
        #: add_middleware() entries, outermost first; built into middleware_stack on first use.
        #: `middleware=[Middleware(cls, ...)]` gives the first ones, the first outermost.
        self.user_middleware: list[tuple[Any, tuple, dict]] = [tuple(m) for m in middleware or ()]
        self._middleware_stack: Any = None
        #: The stack's innermost layer, around the routes (None until the stack is built).
        self._exception_middleware: ExceptionMiddleware | None = None
        #: What build_middleware_stack() made when it had no middleware to add: a stack that
        #: calls can skip, the routes answering their errors as it would.
        self._plain_stack: Any = None
        #: The CORS policy run natively (FasterAPI.middleware.cors.native_policy), or None.
        self._cors: _core.Cors | None = None
        #: The middleware as the native server runs it itself, when it can (`_native_stack`).
        self._server_stack: _core.ServerStack | None = None
        #: What build_middleware_stack() made last.
        self._built_stack: Any = None
        #: HTTPSRedirectMiddleware is among the middleware the native server runs itself: a
        #: request that came by `http` goes through the stack (server/protocol.py).
        self._server_https_redirect = False
        #: The stack's BaseHTTPMiddleware (`@app.middleware("http")`), outermost first, when
        #: the native server runs the middleware itself: it calls their `dispatch_func`
        #: (FasterAPI.server.chain.HttpChain).
        self._http_middleware: list[BaseHTTPMiddleware] = []
        #: The middleware the native server runs that are inside those (their classes).
        self._inside_http: frozenset[type] = frozenset()
        #: The last dispatcher compiled (`_dispatcher` is None while the routes change).
        self._latest_dispatcher: Any = None
        self.router._listeners.append(self._routes_changed)
        #: FastAPI's overrides: {dependency: replacement}, mostly for tests; `= {}` (or, as
        #: FastAPI takes it, `= None`) resets it.
        self.dependency_overrides = {}
        self.__call__ = self._asgi  # type: ignore[method-assign,assignment]  # see _asgi
        self._add_docs_routes()

    # -- OpenAPI --------------------------------------------------------------------------------

    def openapi(self) -> dict[str, Any]:
        """The app's OpenAPI document, made on first call and kept in `openapi_schema`
        (assign a function to `app.openapi` to make your own, as in FastAPI)."""
        if not self.openapi_schema:
            self.openapi_schema = get_openapi(
                title=self.title,
                version=self.version,
                openapi_version=self.openapi_version,
                summary=self.summary,
                description=self.description,
                terms_of_service=self.terms_of_service,
                contact=self.contact,
                license_info=self.license_info,
                routes=self.routes,
                webhooks=self.webhooks.routes,
                tags=self.openapi_tags,
                servers=self.servers,
                separate_input_output_schemas=self.separate_input_output_schemas,
                external_docs=self.openapi_external_docs,
            )
        return self.openapi_schema

    def _add_docs_routes(self) -> None:
        """/openapi.json, /docs (with its OAuth2 redirect) and /redoc, at the URLs given;
        left out of the schema, and not behind the app's dependencies."""
        if not self.openapi_url:
            return
        openapi_url = self.openapi_url

        async def openapi(request: Request) -> JSONResponse:
            schema = self.openapi()
            root_path = request.scope.get("root_path", "").rstrip("/")
            servers = schema.get("servers", [])
            if root_path and self.root_path_in_servers:
                if root_path not in {server.get("url") for server in servers}:
                    schema = {**schema, "servers": [{"url": root_path}, *servers]}
            return JSONResponse(schema)

        # the vendored viewers' path, or None when the pages load them from the CDN
        static = (
            static_prefix(self.docs_url, self.redoc_url) if self.docs_assets == "local" else None
        )

        def assets(root_path: str) -> dict[str, str]:
            return local_asset_urls(root_path + static) if static else {}

        async def swagger_ui(request: Request) -> HTMLResponse:
            root_path = request.scope.get("root_path", "").rstrip("/")
            redirect_url = self.swagger_ui_oauth2_redirect_url
            urls = assets(root_path)
            return get_swagger_ui_html(
                openapi_url=root_path + openapi_url,
                title=f"{self.title} - Swagger UI",
                swagger_js_url=urls.get("swagger_js_url", SWAGGER_JS_URL),
                swagger_css_url=urls.get("swagger_css_url", SWAGGER_CSS_URL),
                swagger_favicon_url=urls.get("swagger_favicon_url", FAVICON_URL),
                oauth2_redirect_url=root_path + redirect_url if redirect_url else None,
                init_oauth=self.swagger_ui_init_oauth,
                swagger_ui_parameters=self.swagger_ui_parameters,
            )

        async def swagger_ui_redirect() -> HTMLResponse:
            return get_swagger_ui_oauth2_redirect_html()

        async def redoc(request: Request) -> HTMLResponse:
            root_path = request.scope.get("root_path", "").rstrip("/")
            urls = assets(root_path)
            return get_redoc_html(  # offline, no Google fonts: ReDoc uses the system's
                openapi_url=root_path + openapi_url,
                title=f"{self.title} - ReDoc",
                redoc_js_url=urls.get("redoc_js_url", REDOC_JS_URL),
                redoc_favicon_url="" if urls else FAVICON_URL,
                with_google_fonts=not urls,
            )

        async def docs_asset(name: str) -> Response:
            return asset_response(name)

        pages: list[tuple[str | None, Any]] = [(openapi_url, openapi), (self.docs_url, swagger_ui)]
        if self.docs_url:
            pages.append((self.swagger_ui_oauth2_redirect_url, swagger_ui_redirect))
        pages.append((self.redoc_url, redoc))
        for url, endpoint in pages:
            if url:
                self.routes.append(APIRoute(url, endpoint, include_in_schema=False))
        if static:
            self.routes.append(
                APIRoute(
                    static + "/{name:path}",
                    docs_asset,
                    methods=["GET", "HEAD"],
                    include_in_schema=False,
                )
            )
        self.router._changed()

    # -- the router's, forwarded (as FastAPI's app forwards them) -------------------------------

    routes = _router_attribute("routes")
    frontends = _router_attribute("frontends")
    redirect_slashes = _router_attribute("redirect_slashes")
    strict_content_type = _router_attribute("strict_content_type")
    lifespan_context = _router_attribute("lifespan_context")
    on_startup = _router_attribute("on_startup")
    on_shutdown = _router_attribute("on_shutdown")
    dependencies = _router_attribute("dependencies")
    default_response_class = _router_attribute("default_response_class")
    route_class = _router_attribute("route_class")

    add_api_route = _router_method("add_api_route")
    api_route = _router_method("api_route")
    add_api_websocket_route = _router_method("add_api_websocket_route")
    websocket = _router_method("websocket")
    websocket_route = _router_method("websocket_route")
    add_websocket_route = _router_method("add_websocket_route")
    add_route = _router_method("add_route")
    route = _router_method("route")
    include_router = _router_method("include_router")
    frontend = _router_method("frontend")
    on_event = _router_method("on_event")
    add_event_handler = _router_method("add_event_handler")
    get = _router_method("get")
    post = _router_method("post")
    put = _router_method("put")
    patch = _router_method("patch")
    delete = _router_method("delete")
    head = _router_method("head")
    options = _router_method("options")
    trace = _router_method("trace")

    def _routes_changed(self) -> None:
        self._dispatcher = None

    def _build_dispatcher(self) -> Any:
        """Compiles the routes into the Rust dispatcher, with the dependency overrides."""
        overrides = dict(self.dependency_overrides)
        self._handler_apps.clear()
        handlers, self._route_handlers = self._route_handlers, {}
        dispatcher = _core.Dispatcher(self.strict_content_type)
        websockets = _core.Dispatcher()
        for route in self.routes:
            if not route.path.startswith("/"):
                # Never requested, as in Starlette: "" (a path under an include's prefix),
                # or a callback's "{$callback_url}/...", which is only documented.
                continue
            if isinstance(route, APIRoute) and self._routes_changed not in route.recompiled:
                route.recompiled.append(self._routes_changed)  # `route.app = ...` rebuilds
            route = route.with_overrides(overrides)
            if isinstance(route, APIWebSocketRoute):
                websockets.add_route(route.path, ["GET"], route)
            else:
                strict = getattr(route, "strict_content_type", Default)
                strict = None if strict is Default else bool(strict)
                if getattr(route, "wraps_handler", False):
                    handler = handlers.get(route) or self._route_handler(route)
                    route = self._route_handlers[route] = handler
                dispatcher.add_route(route.path, sorted(route.methods), route, strict)
        self._overrides_compiled = overrides
        dispatcher.cors = self._cors
        dispatcher.server_stack = self._server_stack
        dispatcher._overrides, dispatcher._compiled = self._overrides, overrides
        if self._latest_dispatcher is not None:  # for a native server's parser holding it
            self._latest_dispatcher.successor = dispatcher
        self._latest_dispatcher = dispatcher
        self._websocket_dispatcher = websockets
        self._frontend_dispatcher = self._build_frontend_dispatcher(overrides)
        self._dispatcher = dispatcher
        return dispatcher

    def _route_handler(self, route: APIRoute) -> APIRoute:
        """What the dispatcher serves for a route whose class overrides get_route_handler(),
        as FastAPI's custom route classes do (or when an integration replaced
        get_request_handler): a route that gives its handler the Request (which the handler
        may replace), with `scope["route"]` the route, and sends the Response it returns."""
        handler = route.get_route_handler()

        async def endpoint(request: Request, **path_params: str) -> Response:
            request.scope["route"] = route
            request.scope["endpoint"] = route.endpoint
            return await handler(request)

        # It takes the path's parameters (as text: the route itself validates them).
        keyword = inspect.Parameter.KEYWORD_ONLY
        endpoint.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
            [inspect.Parameter("request", keyword, annotation=Request)]
            + [
                inspect.Parameter(name, keyword, annotation=str)
                for name in sorted(path_param_names(route.path))
            ]
        )
        return APIRoute(
            route.path,
            endpoint,
            methods=sorted(route.methods),
            name=route.name,
            include_in_schema=False,
            max_body_size=route.max_body_size,
        )

    async def _call_route(
        self, route: APIRoute, request: Request, endpoint: Any = None
    ) -> Response:
        """get_request_handler()'s request handling: serves `route` (calling `endpoint` in
        place of its own, if given) for `request` (its body read through `request.body()`)
        as usual, in an app of its own, and returns the response whole. An error is raised
        to the caller instead of answered; background tasks and the code after `yield` in
        dependencies run before it returns."""
        key = (route, endpoint)
        inner = self._handler_apps.get(key)
        if inner is None:
            served = route if endpoint is None else route.with_endpoint(endpoint)
            inner = self._handler_apps[key] = _RouteHandlerApp(self, served)
        body = await request.body()
        body_sent = False
        start: dict[str, Any] = {}
        chunks: list[bytes] = []

        async def receive() -> dict[str, Any]:
            nonlocal body_sent
            if body_sent:
                return await request.receive()  # the disconnect, when it comes
            body_sent = True
            return {"type": "http.request", "body": body, "more_body": False}

        async def send(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                start.update(message)
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        scope = {
            **request.scope,
            "route": route,
            "fasterapi.route_handler": True,
            "fasterapi.request": request,
            "fasterapi.body": body,
        }
        await inner(scope, receive, send)
        response = Response(b"".join(chunks), status_code=start["status"])
        response.raw_headers = list(start.get("headers", []))
        return response

    def _build_frontend_dispatcher(self, overrides: dict[Any, Any]) -> Any:
        """The frontends' routes in a dispatcher of their own; where two frontends share a
        path, the first one added serves it."""
        if not self.frontends:
            return None
        dispatcher = _core.Dispatcher()
        paths = set()
        for frontend in self.frontends:
            if frontend.path in paths:
                continue
            paths.add(frontend.path)
            for route in frontend.routes():
                route = route.with_overrides(overrides)
                dispatcher.add_route(route.path, sorted(route.methods), route)
        return dispatcher

    def mount(self, path: str, app: Any, name: str | None = None) -> None:
        """Serves the ASGI app `app` under the path prefix `path`, as Starlette's Mount does:
        the sub-app sees the full path, with `path` added to its scope's root_path."""
        if not path.startswith("/"):
            raise ValueError(f"mount path {path!r} must start with '/'")
        prefix = path.rstrip("/")  # "" for "/": everything no route matches
        self.mounts.append((prefix, app))
        if name is not None:
            self.mount_names[name] = (prefix, app)

    def url_path_for(self, name: str, /, **path_params: Any) -> str:
        """The path of the route (or mount) called `name`, with `path_params` filled in: a
        mount takes `path`, the path inside it (`url_path_for("static", path="/app.css")`),
        and `"mount:route"` names a route of the app mounted as `mount`."""
        mount, _, inner = name.partition(":")
        if mount in self.mount_names:
            prefix, app = self.mount_names[mount]
            if inner and hasattr(app, "url_path_for"):
                return prefix + app.url_path_for(inner, **path_params)
            if not inner and set(path_params) == {"path"}:
                return prefix + "/" + str(path_params["path"]).lstrip("/")
        return self.router.url_path_for(name, **path_params)

    def add_middleware(self, middleware_class: Any, *args: Any, **kwargs: Any) -> None:
        """Wraps the app in a pure-ASGI middleware, `middleware_class(app, *args, **kwargs)`;
        the last one added is the outermost, as in FastAPI."""
        if self.middleware_stack is not None:
            raise RuntimeError("Cannot add middleware after an application has started")
        self.user_middleware.insert(0, (middleware_class, args, kwargs))

    def middleware(self, middleware_type: str) -> Callable[[Any], Any]:
        """`@app.middleware("http")` on `async def f(request, call_next)`: a middleware
        around every HTTP request (BaseHTTPMiddleware), added like add_middleware."""
        if middleware_type != "http":
            raise ValueError(f'unknown middleware type {middleware_type!r}; use "http"')

        def decorator(dispatch: Callable[..., Any]) -> Callable[..., Any]:
            self.add_middleware(BaseHTTPMiddleware, dispatch=dispatch)
            return dispatch

        return decorator

    # -- the middleware stack (Starlette's names) -----------------------------------------------

    def build_middleware_stack(self) -> Any:
        """Starlette's: the ASGI app that the app's calls go through, ServerErrorMiddleware
        around the user's middleware (the last added outermost) around ExceptionMiddleware
        around the routes. Built once, on the first call, into `middleware_stack`. An
        override (a subclass's, or one set on the app, as OpenTelemetry's instrumentation sets
        one) is honoured: calls then go through what it returns. Without middleware or
        override they skip the stack: a route's run answers its exceptions as the stack
        would (FasterAPI._runtime.runner)."""
        app: Any = ExceptionMiddleware(self._routes, handlers=self.exception_handlers)
        self._exception_middleware = app
        http: list[BaseHTTPMiddleware] = []
        for cls, args, kwargs in reversed(self.user_middleware):
            app = cls(app, *args, **kwargs)
            if is_http_middleware(cls):
                http.insert(0, app)
        self._http_middleware = http
        stack = ServerErrorMiddleware(app, handler=self._error_response, debug=self.debug)
        self._cors = self._native_cors()
        self._server_stack = self._native_stack()
        if self._dispatcher is not None:
            self._dispatcher.cors = self._cors
            self._dispatcher.server_stack = self._server_stack
        self._plain_stack = None if self.user_middleware and self._cors is None else stack
        self._built_stack = stack
        return stack

    def _native_cors(self) -> _core.Cors | None:
        """The CORS policy to run natively, when FasterAPI's CORSMiddleware is the app's only
        middleware (its calls then skip the stack: the doors apply it), else None."""
        if len(self.user_middleware) != 1:
            return None
        cls, args, kwargs = self.user_middleware[0]
        return native_policy(args, kwargs) if cls is CORSMiddleware else None

    def _native_stack(self) -> _core.ServerStack | None:
        """The app's middleware as the native server runs it itself for its native routes,
        when each is CORSMiddleware, GZipMiddleware (or CompressMiddleware),
        TrustedHostMiddleware, HTTPSRedirectMiddleware or SecurityHeadersMiddleware, at most
        one of each, with BaseHTTPMiddleware (`@app.middleware("http")`) next to each other
        and only CORS, GZip, Compress or SecurityHeaders inside them (else None: every
        request goes through the middleware stack)."""
        kinds = [cls for cls, _, _ in self.user_middleware]
        self._server_https_redirect = HTTPSRedirectMiddleware in kinds
        self._inside_http = frozenset()
        http = [i for i, cls in enumerate(kinds) if is_http_middleware(cls)]
        if http:
            inside = kinds[http[-1] + 1 :]
            if http[-1] - http[0] + 1 != len(http) or not set(inside) <= _INSIDE_HTTP:
                return None
            self._inside_http = frozenset(inside)
            kinds = kinds[: http[0]] + inside
            if not kinds:
                return _core.ServerStack()
        if not kinds or len(set(kinds)) != len(kinds) or not set(kinds) <= _SERVER_MIDDLEWARE:
            return None
        if GZipMiddleware in kinds and CompressMiddleware in kinds:
            return None  # (two compressions, one inside the other: the stack's)
        cors = gzip = hosts = security = None
        for cls, args, kwargs in self.user_middleware:  # outermost first
            if is_http_middleware(cls):
                continue
            if cls is CORSMiddleware:
                cors = native_policy(args, kwargs)
            elif cls is GZipMiddleware:
                gzip = gzip_policy(args, kwargs, outer=cors is None)
            elif cls is CompressMiddleware:
                gzip = compress_policy(args, kwargs, outer=cors is None)
            elif cls is TrustedHostMiddleware:
                hosts = TrustedHostMiddleware(None, *args, **kwargs).native_hosts()
            elif cls is SecurityHeadersMiddleware:
                security = SecurityHeadersMiddleware(None, *args, **kwargs).policy
            else:
                HTTPSRedirectMiddleware(None, *args, **kwargs)  # (its arguments checked)
        return _core.ServerStack(cors, hosts, gzip, security)

    def _server_runs_middleware(self) -> bool:
        """Whether the native server runs the app's middleware itself for its native routes
        (`_native_stack`): the stack is the one built from it, not replaced or patched."""
        return (
            self._server_stack is not None
            and self._middleware_stack is self._built_stack
            and patched_starlette_call() is None
        )

    def _routes(self, scope: dict[str, Any], receive: Any, send: Any) -> Any:
        """The stack's innermost app: the routes, through the Rust door, which sees from the
        scope that the call is inside the stack (`_in_stack`) and serves it."""
        return _core.AsgiApp.__call__(self, scope, receive, send)

    def _in_stack(self, scope: dict[str, Any]) -> bool:
        """Whether a call with `scope` has come through the app's middleware stack (its
        ExceptionMiddleware put its handlers in the scope)."""
        middleware = self._exception_middleware
        return middleware is not None and middleware.handles(scope)

    @property
    def middleware_stack(self) -> Any:
        """Starlette's: the stack build_middleware_stack() made (None before the first
        call); assign one to replace it."""
        return self._middleware_stack

    @middleware_stack.setter
    def middleware_stack(self, stack: Any) -> None:
        self._middleware_stack = stack
        # Calls go through it unless it is the plain one, or Starlette's __call__ is patched
        # (sentry-sdk), which FastAPI's app calls as a Starlette app: see _through_middleware.
        self._stack_first = stack is not None and (
            stack is not self._plain_stack or patched_starlette_call() is not None
        )

    def _middleware_first(self) -> bool:
        """Whether calls go through the middleware stack before the routes; builds it on
        the first call (or when the native server starts), as Starlette does."""
        if self._middleware_stack is None:
            self.middleware_stack = self.build_middleware_stack()
        return self._stack_first

    def add_exception_handler(self, key: int | type[BaseException], handler: Callable) -> None:
        self.exception_handlers[key] = handler

    def exception_handler(self, key: int | type[BaseException]) -> Callable[[Any], Any]:
        def decorator(handler: Callable[..., Any]) -> Callable[..., Any]:
            self.add_exception_handler(key, handler)
            return handler

        return decorator

    # -- ASGI -----------------------------------------------------------------------------------

    # The request path is the Rust base class's: `app(scope, receive, send)` is
    # `AsgiApp.__call__`, which routes the request, extracts its parameters and reads its body
    # in Rust, then steps the route's run (`_core.RouteRun`'s, route/run.rs). It calls back
    # into the methods below for everything else.

    async def _asgi(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        """`app(scope, receive, send)` as a coroutine function, set as the instance's
        `__call__` attribute: ASGI servers tell an ASGI 3 app by asking whether
        `app.__call__` is a coroutine function, while calling `app` itself goes to the type's
        `__call__`, Rust's. Deliberate: an `async def __call__` on the class would put a
        Python coroutine around every request (+0.16 us of 1.2 in-process, measured)."""
        await _core.AsgiApp.__call__(self, scope, receive, send)

    async def _asgi_other(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        """What the Rust front door hands back: calls that go through the middleware first,
        lifespan, other scope types, and the first request (or the first after
        dependency_overrides changed), which compiles the routes."""
        if not self._in_stack(scope) and self._middleware_first():
            return await self._through_middleware(scope, receive, send)
        if scope["type"] == "lifespan":
            return await self._lifespan(scope, receive, send)
        if scope["type"] not in ("http", "websocket"):
            raise RuntimeError(f"FasterAPI does not serve {scope['type']!r} connections")
        if self._dispatcher is None or self.dependency_overrides != self._overrides_compiled:
            self._build_dispatcher()
        if scope["type"] == "websocket":
            return await self._websocket(scope, receive, send)
        await _core.AsgiApp.__call__(self, scope, receive, send)

    async def _through_middleware(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        """Runs a call through the middleware stack, as Starlette's `__call__` does (a
        patched one, such as sentry-sdk's, is called in its place). An error nobody handled
        comes out of the user's middleware (a middleware's `call_next` can catch it, as in
        FastAPI) and gets the 500 outside it, from ServerErrorMiddleware."""
        scope["app"] = self
        starlette_call = patched_starlette_call()
        if starlette_call is not None:
            return await starlette_call(self, scope, receive, send)
        await self.middleware_stack(scope, receive, send)

    async def _websocket(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        """A WebSocket connection: Rust matches its route and extracts its parameters, then
        the dependencies and the endpoint run (FasterAPI._runtime.runner.run_websocket)."""
        if self.root_path:
            scope["root_path"] = self.root_path
        found = self._websocket_dispatcher.resolve(scope)
        if found is None:
            if not await self._to_mount(scope, receive, send):
                await WebSocketClose()(scope, receive, send)
            return
        route, values, errors = found
        scope["route"] = route
        await run_websocket(self, route, scope, receive, send, values, errors)

    async def _handle_websocket_exception(self, websocket: WebSocket, exc: Exception) -> None:
        """Answers an exception from a WebSocket endpoint or its dependencies with its handler,
        as FastAPI's exception handlers wrap WebSocket routes too: WebSocketException and
        validation errors close the connection with their code; an HTTPException (from an
        auth dependency, say) gets its response, which refuses the handshake (`deny`).
        Anything else, a WebSocketDisconnect the endpoint let through included, is re-raised
        for the server (and TestClient), as in FastAPI."""
        handler = lookup_handler(self.exception_handlers, exc)
        if handler is None:
            raise exc
        response = handler(websocket, exc)
        if inspect.isawaitable(response):
            response = await response
        if response is not None:
            reason = str(exc.detail) if isinstance(exc, StarletteHTTPException) else ""
            await deny(websocket, response, _close_reason(reason))

    def _request(
        self, route: Any, scope: dict[str, Any], receive: Any, send: Any, values: dict[str, Any]
    ) -> Request:
        """The Request a dependency of `route` asks for (made once per request by the
        route's run, `_core.RouteRun`)."""
        scope["app"] = self
        scope["route"] = route
        scope["path_params"] = route.plan.path_params(scope, values)
        return Request(scope, receive, send)

    def _prepare(
        self, route: Any, scope: dict[str, Any], receive: Any, send: Any, kwargs: dict[str, Any]
    ) -> Response | None:
        """Gives the handler the Request and the Response its signature asks for; returns
        the injected Response, whose status and headers carry over to the one sent."""
        if route.request_params:
            scope["app"] = self
            scope["route"] = route
            scope["path_params"] = route.plan.path_params(scope, kwargs)
            request = Request(scope, receive, send)
            for name in route.request_params:
                kwargs[name] = request
        return inject_response(route, kwargs) if route.response_params else None

    async def _send_response(
        self, response: Response, scope: dict[str, Any], receive: Any, send: Any
    ) -> None:
        """Sends a Response by its own ASGI call (one that streams, or has background work);
        an exception before it starts answering (a FileResponse's missing file, say) goes to
        the app's exception handlers, as a handler's would."""
        await answer_errors_before_start(response, scope, receive, send, self._handle_exception)

    async def _content_too_large(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        """A Content-Length past the route's max_body_size: FastAPI's plain-text 413, before
        anything reads the body."""
        await PlainTextResponse(CONTENT_TOO_LARGE, status_code=413)(scope, receive, send)

    async def _no_route(self, scope: dict[str, Any], receive: Any, send: Any, allow: Any) -> None:
        """What answers when no route matches, in Starlette's order: a mount, a 405 when the
        path has routes for other methods, a redirect to the path with (or without) its
        trailing slash when that one has a route, a frontend, and last the 404."""
        if await self._to_mount(scope, receive, send):
            return
        if allow is not None:
            exc = HTTPException(405, "Method Not Allowed", headers={"Allow": allow})
            return await self._handle_exception(scope, receive, send, exc)
        redirect = self._slash_redirect(scope)
        if redirect is not None:
            return await RedirectResponse(redirect)(scope, receive, send)
        if self._frontend_dispatcher is not None:
            found = self._frontend_dispatcher.resolve(scope)
            if found is not None:
                return await self._serve_found(scope, receive, send, *found)
        handler = lookup_handler(self.exception_handlers, HTTPException(404))
        if 404 in self.exception_handlers or handler is not http_exception_handler:
            return await self._handle_exception(scope, receive, send, HTTPException(404))
        start, end = _core.json_messages(_NOT_FOUND, 404)  # fresh: middleware may edit them
        await send(start)
        await send(
            {"type": "http.response.body", "body": b""} if scope["method"] == "HEAD" else end
        )

    def _slash_redirect(self, scope: dict[str, Any]) -> str | None:
        """With redirect_slashes, the URL of the request's path with its trailing '/' added
        (or taken off) when a route has that path, else None."""
        if not self.redirect_slashes:
            return None
        path, root = scope["path"], scope.get("root_path", "")
        route_path = path[len(root) :] if root and path.startswith(root) else path
        if route_path in ("", "/"):
            return None
        other = route_path.rstrip("/") if route_path.endswith("/") else route_path + "/"
        if not other or not self._dispatcher.has_path(other):
            return None
        url = Request(scope).url
        return str(url.replace(path=url.path.rstrip("/") if path.endswith("/") else url.path + "/"))

    async def _serve_found(
        self,
        scope: dict[str, Any],
        receive: Any,
        send: Any,
        route: Any,
        values: dict[str, Any],
        errors: list[dict[str, Any]] | None,
    ) -> None:
        """Serves a route (without a body) that a dispatcher of Python's found, as Rust serves
        those of the app's: through the route's run (`_core.RouteRun`)."""
        await _core.RouteRun.asgi(self, route, scope, receive, send, values, errors)

    async def _to_mount(self, scope: dict[str, Any], receive: Any, send: Any) -> bool:
        """Hands the connection to the app mounted under its path, if there is one."""
        mounted = self._find_mount(scope) if self.mounts else None
        if mounted is None:
            return False
        prefix, app = mounted
        root = scope.get("root_path", "")
        await app({**scope, "root_path": root + prefix, "app_root_path": root}, receive, send)
        return True

    def _find_mount(self, scope: dict[str, Any]) -> tuple[str, Any] | None:
        path, root = scope["path"], scope.get("root_path", "")
        if root and path.startswith(root):
            path = path[len(root) :] or "/"
        for prefix, app in self.mounts:
            if path == prefix or path.startswith(prefix + "/") or not prefix:
                return prefix, app
        return None

    async def _handle_exception(
        self, scope: dict[str, Any], receive: Any, send: Any, exc: Exception
    ) -> None:
        """Answers `exc` with its handler; an unhandled one gets a 500 and is re-raised so
        the server logs its traceback (and TestClient can raise it), as Starlette does. With
        user middleware, the 500 is given outside it (_through_middleware)."""
        if scope.get("fasterapi.route_handler"):
            raise exc  # to the route class's get_route_handler() wrapper (_call_route)
        if isinstance(exc, ValidationException) and exc.endpoint_ctx is None:
            exc.endpoint_ctx = self._endpoint_context(scope)
        handler = lookup_handler(self.exception_handlers, exc)
        if handler is not None:
            scope["app"] = self
            return await answer(handler, scope, receive, send, exc)
        if self._in_stack(scope):
            raise exc  # up the middleware stack, whose ServerErrorMiddleware answers it
        await self._server_error(scope, receive, send, exc)

    def _endpoint_context(self, scope: dict[str, Any]) -> EndpointContext | None:
        """Where a validation error of this request comes from (its message names it, as
        FastAPI's does): the matched route's endpoint and `METHOD /path`, found again on this
        error path rather than kept for every request."""
        route = scope.get("route")
        if route is None and self._dispatcher is not None:
            found = self._dispatcher.resolve(scope)
            route = found[0] if found is not None else None
        if route is None:
            return None
        mount = scope.get("root_path", "").rstrip("/")
        return endpoint_context(route.endpoint, scope["method"], mount + route.path)

    async def _server_error(
        self, scope: dict[str, Any], receive: Any, send: Any, exc: Exception
    ) -> None:
        """The 500 for an unhandled `exc` (see _error_response), then `exc` raised again."""
        scope["app"] = self
        outside = scope.pop("fasterapi.outer_send", None)
        if outside is not None:
            # (the native server ran this app's middleware, which its 500 is outside of)
            send = outside
        elif self._cors is not None and isinstance(send, _core.CorsSend):
            # ServerErrorMiddleware's answer is outside this app's CORSMiddleware (run
            # natively: its door wrapped `send` last); a mount's parent's stays outside it
            send = send.inner
        response = await self._error_response(Request(scope, receive, send), exc)
        await response(scope, receive, send)
        raise exc

    async def _error_response(self, request: Request, exc: Exception) -> Any:
        """The response to an unhandled `exc`: the app's 500 or Exception handler's, else a
        500 `{"detail": "Internal Server Error"}` (ServerErrorMiddleware's handler)."""
        handler = self.exception_handlers.get(500) or self.exception_handlers.get(Exception)
        if handler is None:
            return JSONResponse({"detail": "Internal Server Error"}, status_code=500)
        response = handler(request, exc)
        return await response if inspect.isawaitable(response) else response

    async def _lifespan(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        started = False
        await receive()
        try:
            async with self._lifespan_context() as state:
                if state:
                    scope.setdefault("state", {}).update(state)
                await send({"type": "lifespan.startup.complete"})
                started = True
                await receive()
        except BaseException:
            message = traceback.format_exc()
            kind = "shutdown" if started else "startup"
            await send({"type": f"lifespan.{kind}.failed", "message": message})
            raise
        await send({"type": "lifespan.shutdown.complete"})

    @contextlib.asynccontextmanager
    async def _lifespan_context(self) -> AsyncIterator[Any]:
        for func in self.on_startup:
            result = func()
            if inspect.isawaitable(result):
                await result
        if self.lifespan_context is no_lifespan:
            yield None
        else:
            async with self.lifespan_context(self) as state:
                yield state
        for func in self.on_shutdown:
            result = func()
            if inspect.isawaitable(result):
                await result


FastAPI = Faster

#: The middleware the native server can run itself (Faster._native_stack).
_SERVER_MIDDLEWARE = frozenset(
    (
        CORSMiddleware,
        GZipMiddleware,
        CompressMiddleware,
        TrustedHostMiddleware,
        HTTPSRedirectMiddleware,
        SecurityHeadersMiddleware,
    )
)
#: Those it can run inside `@app.middleware("http")`: they change the response that
#: call_next gives (the others may answer a request themselves, which dispatch must see).
_INSIDE_HTTP = frozenset(
    (CORSMiddleware, GZipMiddleware, CompressMiddleware, SecurityHeadersMiddleware)
)

if TYPE_CHECKING:

    def _provides_app(app: Faster) -> App:
        """mypy checks here that Faster gives the Rust doors and the runner what they call."""
        return app


class _RouteHandlerApp(Faster):
    """One route of `app`, served for its route class's get_route_handler() (see
    Faster._call_route): the Request and the dependencies see `app`, and every error is
    raised to the handler (the scope is marked so) rather than answered."""

    def __init__(self, app: Faster, route: APIRoute) -> None:
        super().__init__(openapi_url=None, strict_content_type=app.strict_content_type)
        self.app = app
        self.state = app.state
        self.dependency_overrides = app.dependency_overrides  # the same dict: kept current
        self.routes.append(route)

    def _prepare(
        self, route: Any, scope: dict[str, Any], receive: Any, send: Any, kwargs: dict[str, Any]
    ) -> Response | None:
        injected = super()._prepare(route, scope, receive, send, kwargs)
        scope["app"] = self.app
        for name in route.request_params:  # the handler's Request, of its class
            kwargs[name] = scope["fasterapi.request"]
        return injected

    def _route_handler(self, route: APIRoute) -> APIRoute:
        return route  # served itself here: this is its handler's request handling

    def _request(
        self, route: Any, scope: dict[str, Any], receive: Any, send: Any, values: dict[str, Any]
    ) -> Request:
        return self.app._request(route, scope, receive, send, values)


# So that asyncio.iscoroutine() accepts `app(scope, receive, send)`, e.g. in create_task().
collections.abc.Coroutine.register(_core.AsgiCall)
