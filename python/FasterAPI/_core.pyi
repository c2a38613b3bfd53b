"""The typed surface of `FasterAPI._core`, the Rust extension (crates/fasterapi-py).

Written by hand, as pydantic-core's `_pydantic_core.pyi` is: every class, function and constant
the extension exports, with the types the Rust side accepts and returns. `make lint` runs
`python -m mypy.stubtest FasterAPI._core`, which fails when this file and the built extension
disagree (a name missing on either side, a parameter renamed, a default changed).

Classes that cannot be subclassed at runtime (every PyO3 class but `AsgiApp`, the base of
`Faster`) are `@final`. The private names below (`_Route`, `_HttpEvent`...) exist only here:
they name the shapes of the tuples and objects that cross the boundary. A change on the Rust
side (a new function, a parameter renamed) is made here too, or `make lint` fails.
"""

from collections.abc import Callable, Generator, Iterable, Mapping, Sequence
from types import TracebackType
from typing import Any, ClassVar, Final, Literal, Protocol, Self, TypeAlias, final

from typing_extensions import disjoint_base

__all__ = [
    "__version__",
    "LAST_CHUNK",
    "CONTINUE",
    "Dispatcher",
    "_Overrides",
    "RadixRouter",
    "AsgiApp",
    "AsgiCall",
    "RouteRun",
    "Cors",
    "CorsSend",
    "encode_json",
    "set_json_default",
    "json_messages",
    "compress",
    "choose_encoding",
    "CompressStream",
    "Gzip",
    "GzipAnswer",
    "ServerStack",
    "SecurityHeaders",
    "FormError",
    "parse_form_body",
    "FormReader",
    "MultipartParser",
    "multipart_parser",
    "HttpParser",
    "HeadEvent",
    "RouteEvent",
    "UpgradeEvent",
    "BodyEvent",
    "EndEvent",
    "ErrorEvent",
    "NativeRequest",
    "ShortPath",
    "HeaderView",
    "Framing",
    "response_head",
    "set_server_headers",
    "chunk",
    "error_response",
    "json_response",
    "whole_response",
    "WebSocketSession",
    "WebSocketMessage",
    "WebSocketClose",
    "websocket_check",
    "websocket_reject",
]

__version__: Final[str]

#: The last chunk of a chunked body, `0\r\n\r\n`.
LAST_CHUNK: Final[bytes]
#: The interim response to `Expect: 100-continue`.
CONTINUE: Final[bytes]

# -- shapes crossing the boundary ----------------------------------------------------------------

#: `(name, value)` header pairs, as in an ASGI scope: any iterable of two-item sequences of bytes.
_Headers: TypeAlias = Iterable[Sequence[bytes]]
#: The header pairs Rust hands to Python.
_HeaderList: TypeAlias = list[tuple[bytes, bytes]]
#: One validation error in FastAPI's shape: `{"type", "loc", "msg", "input", "ctx"?}`.
_ErrorDict: TypeAlias = dict[str, Any]
#: None, or the validation errors of a request's parameters.
_Errors: TypeAlias = list[_ErrorDict] | None
#: One parameter of a route's plan (`FasterAPI._compiler.specs`): source, kind, name, key, loc_name,
#: many, required, default and the constraints (gt, ge, lt, le, min_length, max_length, pattern).
_ParamSpec: TypeAlias = Mapping[str, Any]  # declared in FasterAPI._compiler.specs.ParamSpec

class _BodyPlan(Protocol):
    """What Rust reads of a route's body plan (`FasterAPI._compiler.body.BodyPlan`,
    `_compiler.form_plan.FormPlan`): whether the body is a form (read as it arrives), and the
    whole-body Struct decoder tried first on a JSON body (None if there is none), which gives
    the argument `fast_name`; `parse` reads the rest (FasterAPI._runtime.runner.parse_body)."""

    @property
    def form(self) -> object: ...
    @property
    def fast(self) -> Callable[[Any], Any] | None: ...
    @property
    def fast_name(self) -> str: ...

class _ParamPlan(Protocol):
    @property
    def params(self) -> Sequence[_ParamSpec]: ...

class _Route(Protocol):
    """What `Dispatcher.add_route` reads of a route (`FasterAPI.routing.APIRoute`), once."""

    @property
    def plan(self) -> _ParamPlan: ...
    @property
    def body(self) -> _BodyPlan | None: ...
    @property
    def max_body_size(self) -> int | None: ...
    @property
    def native(self) -> object: ...
    # What its run (`RouteRun`) reads, once too:
    @property
    def endpoint(self) -> Callable[..., Any]: ...
    @property
    def is_async(self) -> object: ...
    @property
    def threadpool(self) -> object: ...
    @property
    def solve(self) -> object: ...
    @property
    def dependency_steps(self) -> _DependencySteps | None: ...
    @property
    def prepare(self) -> object: ...
    @property
    def serialize_response(self) -> Callable[[Any], Any] | None: ...
    @property
    def json_fast_path(self) -> object: ...
    @property
    def status_code(self) -> int: ...

# A route's dependencies as steps (FasterAPI._compiler.dependency_steps, where the numbers
# are named): each step is (kind, callable, its arguments, whether its exit is of scope
# "function"); an argument is (name, source, key); then the endpoint's arguments.
_StepArgument: TypeAlias = tuple[str, int, Any]
_DependencySteps: TypeAlias = tuple[
    list[tuple[int, Callable[..., Any], list[_StepArgument], bool]], list[_StepArgument]
]

# What HttpParser.next_event() returns (the classes are below it).
_HttpEvent: TypeAlias = HeadEvent | RouteEvent | UpgradeEvent | BodyEvent | EndEvent | ErrorEvent
# What WebSocketSession.feed() returns a list of.
_WebSocketEvent: TypeAlias = WebSocketMessage | WebSocketClose

# A form field: a text field's value is a str; a file's is (filename, headers, start, end),
# its data `body[start:end]`.
_FormItem: TypeAlias = tuple[str, str | tuple[str, _HeaderList, int, int]]

# MultipartParser events, in order.
_PartEvent: TypeAlias = (
    tuple[Literal["text"], str, str]
    | tuple[Literal["file"], str, str, _HeaderList]
    | tuple[Literal["data"], bytes]
    | tuple[Literal["end"]]
)

# -- routing and the ASGI front door -------------------------------------------------------------

@final
class Dispatcher:
    """All routes of an app, matched by a radix tree, each with its compiled parameter plan."""

    #: The app's CORSMiddleware run natively, if it is (set by the app).
    cors: Cors | None
    #: The app's middleware as the native server runs it itself, if it can (set by the app).
    server_stack: ServerStack | None
    #: The app's dependency overrides and those its routes were compiled with (set by the app).
    _overrides: _Overrides | None
    _compiled: dict[Any, Any] | None
    #: The dispatcher the app compiled after this one, which a native parser moves on to.
    successor: Dispatcher | None
    def __new__(cls, strict_content_type: bool = True) -> Self: ...
    def add_route(
        self,
        path: str,
        methods: Sequence[str],
        route: _Route,
        strict_content_type: bool | None = None,
    ) -> None: ...
    def has_path(self, path: str) -> bool: ...
    def resolve(self, scope: dict[str, Any]) -> tuple[Any, dict[str, Any], _Errors] | None:
        """`(route, values, errors)` for the route the scope matches, or None."""
    def __len__(self) -> int: ...

@final
class RadixRouter:
    """The public router (`FasterAPI.RadixRouter`): handlers and metadata by method and path."""

    def __new__(cls) -> Self: ...
    def add_route(self, method: str, path: str, handler: Any, metadata: Any = None) -> None: ...
    def resolve(self, method: str, path: str) -> tuple[Any, dict[str, str], Any] | None:
        """`(handler, path_params, metadata)`, or None."""
    def __len__(self) -> int: ...

@final
class _Overrides:
    """An app's dependency overrides, shared with its dispatchers (no Python API)."""

@disjoint_base
class AsgiApp:
    """The Rust base of `Faster`: `app(scope, receive, send)` is an `AsgiCall`."""

    _dispatcher: Dispatcher | None
    root_path: str
    user_middleware: list[Any]
    _stack_first: bool
    @property
    def dependency_overrides(self) -> dict[Callable[..., Any], Callable[..., Any]]: ...
    @dependency_overrides.setter
    def dependency_overrides(
        self, value: dict[Callable[..., Any], Callable[..., Any]] | None
    ) -> None: ...
    _overrides_compiled: dict[Callable[..., Any], Callable[..., Any]]
    @property
    def _overrides(self) -> _Overrides: ...
    def __new__(cls, *args: Any, **kwargs: Any) -> Self: ...
    def __call__(
        self,
        scope: dict[str, Any],
        receive: Callable[[], Any],
        send: Callable[[Any], Any],
    ) -> AsgiCall: ...

@final
class AsgiCall:
    """One `app(scope, receive, send)`: a coroutine-like object, awaited for None."""

    def __await__(self) -> Generator[Any, Any]: ...
    def __next__(self) -> Any: ...
    def send(self, value: Any) -> Any: ...
    def throw(
        self,
        typ: type[BaseException] | BaseException,
        val: object = None,
        _tb: TracebackType | None = None,
    ) -> Any: ...
    def close(self) -> None: ...

@final
class RouteRun:
    """A route's run (crates/fasterapi-py/src/route/run.rs), the one place a request to a
    matched route is served: a coroutine-like object, awaited for None. `AsgiCall` steps one
    in place; these make one to await."""

    @staticmethod
    def native(cycle: Any, event: RouteEvent, raw: bytes) -> RouteRun:
        """The run of a native route's request on the native server; `cycle` is its door
        (FasterAPI._runtime.runner.Door), `raw` the body as read."""
    @staticmethod
    def asgi(
        app: Any,
        route: Any,
        scope: dict[str, Any],
        receive: Any,
        send: Any,
        values: dict[str, Any],
        errors: _Errors,
    ) -> RouteRun:
        """The run of a request without a body to `route` through ASGI."""
    def __await__(self) -> Generator[Any, Any]: ...
    def __next__(self) -> Any: ...
    def send(self, value: Any) -> Any: ...
    def throw(
        self,
        typ: type[BaseException] | BaseException,
        val: object = None,
        _tb: TracebackType | None = None,
    ) -> Any: ...
    def close(self) -> None: ...

# -- CORS ------------------------------------------------------------------------------------------

@final
class Cors:
    """An app's CORSMiddleware run natively (FasterAPI.middleware.cors.native_policy)."""

    def __new__(
        cls,
        allow_origins: list[str],
        allow_methods: list[str],
        allow_headers: list[str],
        allow_credentials: bool,
        allow_private_network: bool,
        expose_headers: list[str],
        max_age: int,
        allow_origin_regex: Any,
    ) -> Self: ...

@final
class CorsSend:
    """One request's CORS headers: `apply` sets them over a header list; called as an ASGI
    send, it sets them on `http.response.start` and sends on to `inner`."""

    def apply(self, headers: _Headers | None) -> list[tuple[bytes, bytes]]: ...
    def wrap(self, send: Any) -> CorsSend: ...
    @property
    def inner(self) -> Any: ...
    def __call__(self, message: Any) -> Any: ...

# -- JSON and ASGI response messages -------------------------------------------------------------

def encode_json(obj: Any) -> bytes:
    """`obj` as compact UTF-8 JSON; other than builtins go through the default hook."""

def set_json_default(hook: Callable[[Any], Any]) -> None:
    """Installs the hook that turns other values into builtins (once; ValueError after)."""

def json_messages(content: Any, status: int) -> tuple[dict[str, Any], dict[str, Any]]:
    """The `http.response.start` and `http.response.body` messages of a JSON response."""

# -- gzip ----------------------------------------------------------------------------------------

def compress(coding: str, data: bytes, level: int) -> bytes:
    """`data` compressed whole in `coding` ("gzip", "br" or "zstd"); ValueError for another."""

def choose_encoding(accept_encoding: str, offered: list[str]) -> str | None:
    """The coding of `offered` (the server's order of preference) that Accept-Encoding
    weighs highest (q-values; `*`; `q=0` refuses), or None."""

@final
class CompressStream:
    """A streamed body compressed piece by piece in one coding, each piece flushed."""

    def __new__(cls, coding: str, level: int) -> Self: ...
    def write(self, data: bytes) -> bytes: ...
    def finish(self) -> bytes: ...

@final
class Gzip:
    """GZipMiddleware (or CompressMiddleware) run by the native server (`native_policy` of
    FasterAPI.middleware.gzip and .compress)."""

    def __new__(
        cls,
        minimum_size: int,
        level: int,
        excluded: list[str],
        middleware: Any,
        outer: bool,
        brotli: int | None = None,
        gzip: bool = True,
        negotiate: bool = False,
        zstd: int | None = None,
    ) -> Self: ...

@final
class GzipAnswer:
    """GZipMiddleware for one request (`RouteEvent.gzip`)."""

    @property
    def accepts(self) -> bool:
        """The client accepts a coding offered."""
    @property
    def coding(self) -> str | None:
        """That coding's name ("br", "gzip"), or None."""
    @property
    def middleware(self) -> Any:
        """The Python GZipMiddleware, for a response that streams."""
    @property
    def outer(self) -> bool:
        """It is outside the app's CORSMiddleware."""
    def apply(
        self, status: int, headers: _Headers, body: bytes
    ) -> tuple[list[tuple[bytes, bytes]], bytes]:
        """The headers and body a whole response goes out with."""

# -- the middleware the native server runs itself --------------------------------------------------

@final
class ServerStack:
    """An app's CORSMiddleware, GZipMiddleware, TrustedHostMiddleware and
    SecurityHeadersMiddleware as the native server runs them for its native routes
    (Faster._native_stack)."""

    def __new__(
        cls,
        cors: Cors | None = None,
        allowed_hosts: list[str] | None = None,
        gzip: Gzip | None = None,
        security: SecurityHeaders | None = None,
    ) -> Self: ...

@final
class SecurityHeaders:
    """SecurityHeadersMiddleware's headers: `apply` adds those a header list lacks."""

    def __new__(cls, headers: list[tuple[str, str]]) -> Self: ...
    def apply(self, headers: Any) -> list[tuple[bytes, bytes]]: ...

# -- forms ---------------------------------------------------------------------------------------

class FormError(ValueError):
    """A form body that cannot be read (malformed, or over a limit); str(exc) is the detail."""

def parse_form_body(
    body: bytes,
    content_type: bytes | None,
    max_files: int = 1000,
    max_fields: int = 1000,
    max_part_size: int = ...,  # 1 MiB
) -> list[_FormItem]: ...

@final
class FormReader:
    """A form route's body: parsed, its text parameters run through a plan (`specs`)."""

    def __new__(
        cls,
        specs: Sequence[_ParamSpec],
        items: bool,
        max_files: int = 1000,
        max_fields: int = 1000,
        max_part_size: int = ...,  # 1 MiB
    ) -> Self: ...
    def read(
        self, body: bytes, content_type: bytes | None, kwargs: dict[str, Any]
    ) -> tuple[list[_FormItem] | None, _Errors]:
        """`(items, errors)`; items None unless the reader was made with `items`."""
    def read_texts(self, texts: Sequence[tuple[str, str]], kwargs: dict[str, Any]) -> _Errors: ...

@final
class MultipartParser:
    """A multipart body parsed as it arrives (made by `multipart_parser`)."""

    def feed(self, data: bytes) -> list[_PartEvent]: ...
    def finish(self) -> list[_PartEvent]: ...

def multipart_parser(
    content_type: bytes,
    max_files: int = 1000,
    max_fields: int = 1000,
    max_part_size: int = ...,  # 1 MiB
) -> MultipartParser | None: ...

# -- the native server's HTTP/1.1 ----------------------------------------------------------------

@final
class HttpParser:
    """One connection's requests: `feed` bytes, then `next_event()` until it returns None."""

    def __new__(cls, max_body: int, dispatcher: Dispatcher | None = None) -> Self: ...
    def feed(self, data: bytes) -> None: ...
    @property
    def buffered(self) -> int: ...
    def take_buffered(self) -> bytes: ...
    def serve(self, short: ShortPath) -> int:
        """Answers the next request by the short path when it can: 0 (not served: the next
        request, if any, is for `next_event`), 1 (answered), 2 (answered; close), 3 (went on
        in Python)."""
    def next_event(self) -> _HttpEvent | None: ...

@final
class HeaderView:
    """A request's headers as FasterAPI's own security schemes read them (`.headers.get`)."""

    @property
    def headers(self) -> HeaderView: ...
    def get(self, key: str, default: Any = None) -> Any: ...
    def __contains__(self, key: str, /) -> bool: ...

@final
class ShortPath:
    """One connection's short path: `conn` (the protocol) is asked for `host_task()`,
    `promote(event, raw, written)` and, if `report`, told of each response it writes:
    `short_answered(method, path, query, minor, status, body_bytes, forwarded_for)` (every
    X-Forwarded-For value, joined with ", ", or None)."""

    def __new__(
        cls, conn: Any, write: Any, event_loop: Any, context: Any, report: bool
    ) -> Self: ...

@final
class HeadEvent:
    """A request head for the ASGI path; its body follows (`BodyEvent`s, then `EndEvent`)."""

    @property
    def method(self) -> str: ...
    @property
    def path(self) -> str: ...
    @property
    def raw_path(self) -> bytes: ...
    @property
    def query(self) -> bytes: ...
    @property
    def http_minor(self) -> int: ...
    @property
    def headers(self) -> _HeaderList: ...
    @property
    def keep_alive(self) -> bool: ...
    @property
    def expect_continue(self) -> bool: ...

@final
class RouteEvent:
    """A request for a native route, its parameters extracted; unless `complete`, its body
    follows (`BodyEvent`s, then `EndEvent`)."""

    @property
    def route(self) -> Any:
        """The route object given to `Dispatcher.add_route`."""
    @property
    def kwargs(self) -> dict[str, Any]: ...
    @property
    def errors(self) -> _Errors: ...
    @property
    def media(self) -> bool | bytes | None:
        """What the route's run reads the body by: whether it is JSON, or a form's
        Content-Type."""
    @property
    def request(self) -> NativeRequest: ...
    @property
    def complete(self) -> bool: ...
    @property
    def cors(self) -> CorsSend | None:
        """The CORS headers its responses get (the app's CORSMiddleware run natively)."""
    @property
    def gzip(self) -> GzipAnswer | None:
        """GZipMiddleware for it (when the native server runs the app's)."""
    @property
    def security(self) -> SecurityHeaders | None:
        """SecurityHeadersMiddleware's headers (when the native server runs the app's)."""
    @property
    def streamed(self) -> bool:
        """Its body (past 256 KiB, or chunked) is read as it arrives by the route's Request
        or form, not whole before the route runs."""

@final
class UpgradeEvent:
    """A WebSocket handshake: a `HeadEvent`'s fields up to `headers`; the parser is then done."""

    @property
    def method(self) -> str: ...
    @property
    def path(self) -> str: ...
    @property
    def raw_path(self) -> bytes: ...
    @property
    def query(self) -> bytes: ...
    @property
    def http_minor(self) -> int: ...
    @property
    def headers(self) -> _HeaderList: ...

@final
class BodyEvent:
    """A piece of the request's body."""

    @property
    def data(self) -> bytes: ...

@final
class EndEvent:
    """The request's body is complete."""

@final
class ErrorEvent:
    """A protocol error: write `response`, then close the connection."""

    @property
    def status(self) -> int: ...
    @property
    def response(self) -> bytes: ...

@final
class NativeRequest:
    """A request head the native server routed itself ("route" events)."""

    @property
    def http_minor(self) -> int: ...
    @property
    def keep_alive(self) -> bool: ...
    @property
    def expect_continue(self) -> bool: ...
    @property
    def method(self) -> str: ...
    @property
    def content_length(self) -> int | None: ...
    def head_event(self) -> HeadEvent: ...

@final
class Framing:
    """How `response_head` frames a body it is given no Content-Length for."""

    CHUNKED: ClassVar[Framing]
    """`Transfer-Encoding: chunked`."""
    NONE: ClassVar[Framing]
    """No framing header: a status without a body, or a body that ends with the connection."""

def response_head(
    http_minor: int, status: int, headers: _Headers, keep_alive: bool, framing: int | Framing
) -> bytes:
    """A response head; `framing` is a Content-Length or a `Framing`."""

def set_server_headers(*, date: bool, server: bool, headers: Sequence[tuple[bytes, bytes]]) -> None:
    """The headers the native server serving on this thread adds to responses that lack them:
    date, `server: fasterapi`, then `headers` (a `server` among them names the server)."""

def chunk(data: bytes) -> bytes: ...
def error_response(status: int, detail: str) -> bytes: ...
def json_response(
    content: Any,
    status: int,
    http_minor: int,
    keep_alive: bool,
    head_only: bool,
    headers: _Headers | None = None,
) -> bytes: ...
def whole_response(
    status: int,
    headers: _Headers,
    body: bytes,
    http_minor: int,
    keep_alive: bool,
    head_only: bool,
) -> bytes: ...

# -- WebSocket -----------------------------------------------------------------------------------

@final
class WebSocketSession:
    """One WebSocket connection's frames, compressed if permessage-deflate is on and agreed in
    `accept` (the 101 response); each send returns the bytes to write now."""

    def __new__(
        cls, max_message_size: int = ..., per_message_deflate: bool = False
    ) -> Self: ...  # 16 MiB
    def accept(
        self,
        headers: _Headers,
        subprotocol: str | None = None,
        extra_headers: _Headers | None = None,
    ) -> bytes: ...
    @property
    def compressed(self) -> bool: ...
    def feed(self, data: bytes) -> list[_WebSocketEvent]: ...
    def send_text(self, text: str) -> bytes: ...
    def send_bytes(self, data: bytes) -> bytes: ...
    def ping(self) -> bytes: ...
    def close(self, code: int = 1000, reason: str = "") -> bytes: ...
    def take_output(self) -> bytes: ...
    @property
    def closed(self) -> bool: ...

@final
class WebSocketMessage:
    """A message from the client: a str for a text message, bytes for a binary one."""

    @property
    def data(self) -> str | bytes: ...

@final
class WebSocketClose:
    """The client's close frame (`code` 1005 if it had none) or, when `error`, a protocol
    violation (the code and reason of the close frame sent back)."""

    @property
    def code(self) -> int: ...
    @property
    def reason(self) -> str: ...
    @property
    def error(self) -> bool: ...

def websocket_check(headers: _Headers) -> bytes | None: ...
def websocket_reject(status: int = 403) -> bytes: ...
