"""The bundled middleware: CORS, TrustedHost and HTTPSRedirect answer as FastAPI (Starlette
1.10) does (tests/apps/middleware_ref.py, its answers kept in middleware_ref_fastapi.json),
through both doors; BaseHTTPMiddleware and @app.middleware("http"); FastAPI(middleware=[...])."""

import asyncio
import contextvars
import json
from contextlib import ExitStack
from pathlib import Path

import FasterAPI
import pytest
from FasterAPI import BackgroundTasks, FastAPI, HTTPException, Request, TestClient
from FasterAPI.middleware import Middleware
from FasterAPI.middleware.base import BaseHTTPMiddleware
from FasterAPI.middleware.cors import CORSMiddleware
from FasterAPI.middleware.gzip import GZipMiddleware
from FasterAPI.middleware.httpsredirect import HTTPSRedirectMiddleware
from FasterAPI.middleware.trustedhost import TrustedHostMiddleware
from FasterAPI.responses import PlainTextResponse, Response, StreamingResponse
from FasterAPI.server.native import route_paths

from tests.apps.middleware_ref import REQUESTS, answer, build
from tests.support.doors import open_client

EXPECTED = json.loads((Path(__file__).parent / "apps" / "middleware_ref_fastapi.json").read_text())
CASES = [(*req, expected) for req, expected in zip(REQUESTS, EXPECTED, strict=True)]


@pytest.fixture(scope="module")
def clients(door):
    """A client for each of middleware_ref's apps, through `door`."""
    with ExitStack() as stack:
        yield {
            name: stack.enter_context(open_client(app, door))
            for name, app in build(FasterAPI).items()
        }


@pytest.mark.parametrize("name, method, url, headers, expected", CASES)
def test_answers_as_fastapi_does(clients, name, method, url, headers, expected):
    assert answer(clients[name], method, url, headers) == expected


# -- BaseHTTPMiddleware and @app.middleware("http") -------------------------------------------


def layered_app(events):
    app = FastAPI()

    @app.middleware("http")
    async def outer(request, call_next):
        if request.url.path == "/short":
            return PlainTextResponse("short-circuited", status_code=418)
        if request.url.path == "/echo":
            events.append(("middleware read", (await request.body()).decode()))
        response = await call_next(request)
        response.headers["x-mw"] = "outer"
        events.append(("status", response.status_code))
        return response

    @app.middleware("http")  # added last: the outermost
    async def inner(request, call_next):
        response = await call_next(request)
        response.headers["x-order"] = response.headers.get("x-order", "") + "inner"
        return response

    @app.get("/hello")
    async def hello(background: BackgroundTasks):
        background.add_task(events.append, ("background",))
        return {"hello": "world"}

    @app.post("/echo")
    async def echo(request: Request):
        return {"got": (await request.body()).decode()}

    @app.get("/stream")
    async def stream():
        async def numbers():
            for i in range(3):
                yield f"{i},"

        return StreamingResponse(numbers(), media_type="text/plain")

    @app.get("/boom")
    async def boom():
        raise RuntimeError("boom")

    return app


@pytest.fixture(scope="module")
def layered_server(door):
    events = []
    with open_client(layered_app(events), door, raise_server_exceptions=False) as client:
        yield client, events


@pytest.fixture
def layered(layered_server):
    client, events = layered_server
    events.clear()
    return client, events


def test_call_next_gives_the_response_to_change(layered):
    client, events = layered
    response = client.get("/hello")
    assert response.json() == {"hello": "world"}
    assert (response.headers["x-mw"], response.headers["x-order"]) == ("outer", "inner")
    # The middleware has the response before the background task runs, as in FastAPI.
    assert events == [("status", 200), ("background",)]


def test_a_body_read_by_the_middleware_reaches_the_route(layered):
    client, events = layered
    assert client.post("/echo", content=b"payload").json() == {"got": "payload"}
    assert events == [("middleware read", "payload"), ("status", 200)]


def test_streamed_bodies_pass_through(layered):
    client, _ = layered
    response = client.get("/stream")
    assert response.text == "0,1,2,"
    assert response.headers["x-mw"] == "outer"
    assert response.headers["content-type"] == "text/plain; charset=utf-8"


def test_short_circuit_and_not_found(layered):
    client, events = layered
    short = client.get("/short")
    assert (short.status_code, short.text, short.headers["x-order"]) == (
        418,
        "short-circuited",
        "inner",
    )
    missing = client.get("/nothing")
    assert (missing.status_code, missing.json()) == (404, {"detail": "Not Found"})
    assert missing.headers["x-mw"] == "outer"


def test_an_unhandled_error_comes_out_of_call_next(layered):
    """As in FastAPI, the route's error reaches the middleware, and the 500 is answered
    outside it (FasterAPI's is JSON, FastAPI's plain text)."""
    client, events = layered
    response = client.get("/boom")
    assert response.status_code == 500
    assert response.text in ('{"detail":"Internal Server Error"}', "Internal Server Error")
    assert "x-mw" not in response.headers
    assert events == []
    with pytest.raises(RuntimeError, match="boom"):
        TestClient(layered_app([])).get("/boom")


def test_a_middleware_can_catch_the_routes_error(make_client):
    app = FastAPI()

    @app.middleware("http")
    async def fallback(request, call_next):
        try:
            return await call_next(request)
        except ValueError as exc:
            return FasterAPI.responses.JSONResponse({"caught": str(exc)}, status_code=503)

    @app.get("/fails")
    async def fails():
        raise ValueError("boom")

    response = make_client(app).get("/fails")
    assert (response.status_code, response.json()) == (503, {"caught": "boom"})


def test_a_subclass_with_dispatch_and_the_middleware_list(make_client):
    class Stamp(BaseHTTPMiddleware):
        def __init__(self, app, value):
            super().__init__(app)
            self.value = value

        async def dispatch(self, request, call_next):
            response = await call_next(request)
            response.headers.append("x-stamp", self.value)
            return response

    app = FastAPI(middleware=[Middleware(Stamp, "first"), Middleware(Stamp, value="second")])
    app.add_middleware(Stamp, value="added")

    @app.get("/")
    async def root():
        return "ok"

    response = make_client(app).get("/")
    # The list's first entry is the outermost; add_middleware goes outside all of them.
    assert response.headers.get_list("x-stamp") == ["second", "first", "added"]
    assert repr(Middleware(Stamp, "first", x=1)) == "Middleware(Stamp, 'first', x=1)"


@pytest.mark.fasterapi_only  # a ValueError; Starlette asserts
def test_only_http_middleware_can_be_declared():
    with pytest.raises(ValueError, match="http"):
        FastAPI().middleware("websocket")


def test_a_dropped_endless_response_is_stopped(make_client):
    closed = asyncio.Event()
    app = FastAPI()

    @app.middleware("http")
    async def replace(request, call_next):
        await call_next(request)
        return PlainTextResponse("replaced")

    @app.get("/endless")
    async def endless():
        async def ticks():
            try:
                while True:
                    yield "tick"
                    await asyncio.sleep(0.001)
            finally:
                closed.set()

        return StreamingResponse(ticks())

    assert make_client(app).get("/endless").text == "replaced"
    assert closed.is_set()


def test_a_middleware_reading_the_body_iterator_and_the_apps_context(make_client):
    """A middleware that reads the app's body from `body_iterator` and answers with a
    response of its own: the app's background task still runs after it; a context variable
    the app sets is its own, as in a task of its own (Starlette runs the app in one), while
    the middleware's reach the app."""
    app = FastAPI()
    user = contextvars.ContextVar("user", default="nobody")
    events = []

    @app.middleware("http")
    async def logging(request, call_next):
        user.set("alice")
        response = await call_next(request)
        body = b"".join([chunk async for chunk in response.body_iterator])
        events.append(("seen by the middleware", user.get(), body))
        return Response(body.upper(), status_code=response.status_code, media_type="text/plain")

    @app.get("/who")
    async def who(tasks: BackgroundTasks):
        events.append(("seen by the app", user.get()))
        user.set("bob")
        tasks.add_task(events.append, ("background",))
        return PlainTextResponse("hi " + "x" * 10)

    response = make_client(app).get("/who")
    assert (response.status_code, response.text) == (200, "HI XXXXXXXXXX")
    assert events == [
        ("seen by the app", "alice"),
        ("seen by the middleware", "alice", b"hi xxxxxxxxxx"),
        ("background",),
    ]


def test_a_request_cancelled_while_the_middleware_passes_a_message_on():
    """Cancelled while the middleware's `send` waits (a slow client), the request's app gets
    the CancelledError where it waits and runs its cleanup, awaits included, before the
    request's task ends (found by review: it was closed, "coroutine ignored GeneratorExit")."""
    events = []
    app = FastAPI()

    @app.middleware("http")
    async def passthrough(request, call_next):
        return await call_next(request)

    async def streaming(scope, receive, send):
        try:
            await send({"type": "http.response.start", "status": 200, "headers": []})
            for _ in range(100):
                await send({"type": "http.response.body", "body": b"x", "more_body": True})
        except BaseException as exc:
            events.append(type(exc).__name__)
            raise
        finally:
            await asyncio.sleep(0)
            events.append("cleaned up")

    app.mount("/raw", streaming)
    sent = []

    async def receive():
        await asyncio.sleep(100)

    async def send(message):
        sent.append(message["type"])
        if len(sent) == 3:
            await asyncio.sleep(100)  # the socket is full

    async def main():
        scope = {
            "type": "http", "method": "GET", "path": "/raw/x", "raw_path": b"/raw/x",
            "root_path": "", "query_string": b"", "headers": [(b"host", b"t")],
            "http_version": "1.1", "scheme": "http", "server": ("t", 80),
        }  # fmt: skip
        task = asyncio.ensure_future(app(scope, receive, send))
        while len(sent) < 3:
            await asyncio.sleep(0.01)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert events == ["CancelledError", "cleaned up"]

    asyncio.run(main())


def test_cors_alone_runs_natively_with_the_middlewares_answers(make_client):
    """CORSMiddleware as the only middleware runs in Rust on both doors (no middleware
    stack; the native server keeps its short path): every answer but the 500 gets the CORS
    headers, as behind Starlette's ServerErrorMiddleware."""
    app = FastAPI()
    app.add_middleware(CORSMiddleware, allow_origins=["https://a.com"], expose_headers=["X-N"])

    @app.get("/items/{n}")
    async def item(n: int):
        return {"n": n}

    @app.get("/stream")
    async def stream():
        return StreamingResponse(iter(["a", "b"]), media_type="text/plain")

    @app.get("/teapot")
    async def teapot():
        return PlainTextResponse("tea", status_code=418, headers={"Vary": "Accept"})

    @app.get("/boom")
    async def boom():
        raise RuntimeError("boom")

    @app.post("/small", max_body_size=8)
    async def small(body: dict):
        return body

    client = make_client(app, raise_server_exceptions=False)
    assert not app._middleware_first()
    paths = {p.path: p for p in route_paths(app)}
    assert paths["/items/{n}"].native, paths["/items/{n}"]
    origin = {"Origin": "https://a.com"}
    for url, status, vary in [
        ("/items/3", 200, "Origin"),
        ("/items/x", 422, "Origin"),  # a validation error, answered by its handler
        ("/stream", 200, "Origin"),
        ("/teapot", 418, "Accept, Origin"),
        ("/nowhere", 404, "Origin"),
    ]:
        response = client.get(url, headers=origin)
        assert response.status_code == status, url
        assert response.headers["access-control-allow-origin"] == "https://a.com", url
        assert response.headers["access-control-expose-headers"] == "X-N", url
        assert response.headers["vary"] == vary, url
    other = client.get("/items/3", headers={"Origin": "https://b.com"})
    assert "access-control-allow-origin" not in other.headers
    assert other.headers["vary"] == "Origin"
    plain = client.get("/items/3")
    assert plain.json() == {"n": 3} and "access-control-expose-headers" not in plain.headers
    failed = client.get("/boom", headers=origin)
    assert failed.status_code == 500 and "access-control-allow-origin" not in failed.headers
    too_large = client.post("/small", content=b"{}" + b" " * 100, headers=origin)
    assert too_large.status_code == 413
    assert too_large.headers["access-control-allow-origin"] == "https://a.com"
    preflight = client.options(
        "/items/3", headers={**origin, "Access-Control-Request-Method": "GET"}
    )
    assert (preflight.status_code, preflight.text) == (200, "OK")
    assert preflight.headers["access-control-allow-origin"] == "https://a.com"
    assert preflight.headers["content-type"] == "text/plain; charset=utf-8"


SHARED = PlainTextResponse("static")


def test_native_cors_leaves_a_returned_response_and_a_mounts_500_as_starlette(make_client):
    """A Response sent again gets the CORS headers of each request afresh (they are set on
    the answer, not the object); a mounted app's unhandled error is inside the parent's
    CORSMiddleware: its 500 has them, as FastAPI's does."""
    app = FastAPI()
    app.add_middleware(CORSMiddleware, allow_origins=["https://a.com"], allow_credentials=True)
    sub = FastAPI()

    @app.get("/shared")
    async def shared():
        return SHARED

    @sub.get("/boom")
    async def boom():
        raise ValueError("boom")

    app.mount("/sub", sub)
    client = make_client(app, raise_server_exceptions=False)
    origin = {"Origin": "https://a.com"}
    for headers in (origin, origin, {}):
        response = client.get("/shared", headers=headers)
        assert response.headers["vary"] == "Origin"
        allowed = response.headers.get("access-control-allow-origin")
        assert allowed == ("https://a.com" if headers else None)
        assert ("access-control-allow-credentials" in response.headers) == bool(headers)
    assert SHARED.raw_headers == PlainTextResponse("static").raw_headers
    failed = client.get("/sub/boom", headers=origin)
    assert failed.status_code == 500
    assert failed.headers["access-control-allow-origin"] == "https://a.com"


@pytest.mark.parametrize("gzip_outside", [True, False])
def test_gzip_cors_and_trusted_host_run_in_the_native_server(make_client, gzip_outside):
    """GZipMiddleware, CORSMiddleware and TrustedHostMiddleware (in either order) are run by
    the native server itself for its native routes, answering as the middleware stack does
    (which the ASGI door goes through): a large body is compressed for a client that accepts
    gzip, with `Vary: Accept-Encoding` in either case; a small, encoded or excluded one is
    left; a Host that is not allowed gets the middleware's own 400 or redirect."""
    app = FastAPI()
    cors = (CORSMiddleware, {"allow_origins": ["https://a.com"]})
    gzip = (GZipMiddleware, {"minimum_size": 100})
    for cls, options in [cors, gzip] if gzip_outside else [gzip, cors]:
        app.add_middleware(cls, **options)  # the last added is outermost
    app.add_middleware(TrustedHostMiddleware, allowed_hosts=["testserver", "www.example.com"])
    rows = [{"name": f"item {i}", "tags": ["a", "b"]} for i in range(20)]

    @app.get("/rows")
    async def listing():
        return rows

    @app.get("/small")
    async def small():
        return {"n": 1}

    @app.api_route("/text", methods=["GET", "HEAD"])
    async def text():
        return PlainTextResponse("y" * 500, headers={"Vary": "Accept"})

    @app.get("/png")
    async def png():
        return Response(b"z" * 500, media_type="image/png")

    @app.get("/stream")
    async def stream():
        return StreamingResponse(iter(["line\n"] * 100), media_type="text/plain")

    @app.get("/missing")
    async def missing():
        raise HTTPException(404, "no such thing " * 20)

    @app.get("/boom")
    async def boom():
        raise RuntimeError("boom")

    client = make_client(app, raise_server_exceptions=False)
    paths = {p.path: p for p in route_paths(app)}
    assert paths["/rows"].native, paths["/rows"]
    origin = {"Origin": "https://a.com"}
    vary = "Origin, Accept-Encoding" if gzip_outside else "Accept-Encoding, Origin"
    for url in ["/rows", "/text", "/stream", "/missing"]:
        for accepts in ["gzip, br", "identity"]:
            response = client.get(url, headers={**origin, "Accept-Encoding": accepts})
            assert response.status_code == (404 if url == "/missing" else 200), url
            encoding = response.headers.get("content-encoding")
            assert encoding == ("gzip" if accepts != "identity" else None), (url, accepts)
            want = vary.replace("Origin", "Accept, Origin") if url == "/text" else vary
            if url == "/text" and not gzip_outside:
                want = "Accept, Accept-Encoding, Origin"
            assert response.headers["vary"] == want, (url, accepts)
            assert response.headers["access-control-allow-origin"] == "https://a.com", url
            if url == "/rows":
                assert response.json() == rows
    assert client.get("/rows", headers={"Accept-Encoding": "gzip"}).json() == rows
    for url in ["/small", "/png"]:
        response = client.get(url, headers={**origin, "Accept-Encoding": "gzip"})
        assert "content-encoding" not in response.headers, url
        assert response.headers["vary"] == "Origin", url
    head = client.head("/text", headers={**origin, "Accept-Encoding": "gzip"})
    # (a HEAD response sends no body, which GZipMiddleware leaves as it is)
    assert (head.headers["content-length"], head.headers["vary"]) == ("500", "Accept, Origin")
    assert "content-encoding" not in head.headers
    failed = client.get("/boom", headers={**origin, "Accept-Encoding": "gzip"})
    assert (failed.status_code, failed.text) == (500, '{"detail":"Internal Server Error"}')
    assert "access-control-allow-origin" not in failed.headers
    refused = client.get("/rows", headers={"Host": "evil.com"})
    assert (refused.status_code, refused.text) == (400, "Invalid host header")
    moved = client.get("/small", headers={"Host": "example.com"}, follow_redirects=False)
    assert moved.status_code == 307
    assert moved.headers["location"] == "http://www.example.com/small"
    preflight = client.options("/rows", headers={**origin, "Access-Control-Request-Method": "GET"})
    assert (preflight.status_code, preflight.text) == (200, "OK")


@pytest.mark.fasterapi_only  # FastAPI has no SecurityHeadersMiddleware
@pytest.mark.parametrize("secure_outside", [True, False])
def test_security_headers_on_every_response_a_routes_own_winning(make_client, secure_outside):
    """SecurityHeadersMiddleware adds its headers to every HTTP response that lacks them (a
    route's own value wins), beside CORS and GZip, in either order; the native server adds them
    itself on the short path. The 500 for an unhandled error, outside all middleware, has
    none."""
    from FasterAPI.middleware.securityheaders import SecurityHeadersMiddleware

    app = FastAPI()
    secure = (
        SecurityHeadersMiddleware,
        {"strict_transport_security": "max-age=60", "headers": {"X-Extra": "1"}},
    )
    others = [(GZipMiddleware, {"minimum_size": 100}), (CORSMiddleware, {"allow_origins": ["*"]})]
    for cls, options in [*others, secure] if secure_outside else [secure, *others]:
        app.add_middleware(cls, **options)

    @app.get("/json")
    async def as_json():
        return {"rows": ["row"] * 50}

    @app.api_route("/framed", methods=["GET", "HEAD"])
    async def framed():
        return PlainTextResponse("framed", headers={"X-Frame-Options": "DENY"})

    @app.get("/stream")
    async def stream():
        return StreamingResponse(iter(["line\n"] * 50), media_type="text/plain")

    @app.get("/missing")
    async def missing():
        raise HTTPException(404, "no such thing")

    @app.get("/boom")
    async def boom():
        raise RuntimeError("boom")

    client = make_client(app, raise_server_exceptions=False)
    assert {p.path: p for p in route_paths(app)}["/json"].native
    expected = {
        "x-content-type-options": "nosniff",
        "x-frame-options": "SAMEORIGIN",
        "referrer-policy": "strict-origin-when-cross-origin",
        "cross-origin-opener-policy": "same-origin",
        "strict-transport-security": "max-age=60",
        "x-extra": "1",
    }
    for url in ["/json", "/stream", "/missing", "/nowhere"]:
        response = client.get(url, headers={"Accept-Encoding": "gzip", "Origin": "https://b.com"})
        assert response.status_code == (200 if url in ("/json", "/stream") else 404), url
        assert {name: response.headers.get(name) for name in expected} == expected, url
        assert response.headers["access-control-allow-origin"] == "*", url
        assert "content-security-policy" not in response.headers
    assert client.get("/json", headers={"Accept-Encoding": "gzip"}).headers["content-encoding"] == (
        "gzip"
    )
    for method in ["GET", "HEAD"]:
        own = client.request(method, "/framed")
        assert own.headers.get_list("x-frame-options") == ["DENY"], method
        assert own.headers["x-content-type-options"] == "nosniff", method
    failed = client.get("/boom")
    assert failed.status_code == 500 and "x-content-type-options" not in failed.headers
    preflight = client.options(
        "/json", headers={"Origin": "https://b.com", "Access-Control-Request-Method": "GET"}
    )
    assert preflight.status_code == 200
    # (answered by CORSMiddleware: with the security headers when they are added outside it)
    assert ("x-content-type-options" in preflight.headers) is secure_outside


@pytest.mark.fasterapi_only  # FastAPI has no SecurityHeadersMiddleware
def test_security_headers_refuse_what_cannot_be_sent():
    from FasterAPI.middleware.securityheaders import SecurityHeadersMiddleware

    for headers, words in [
        ({"Bad Name": "x"}, "not a valid header name"),
        ({"X-Ok": "a\r\nInjected: yes"}, "control character"),
        ({"Vary": "Origin"}, "set by the server or another middleware"),
        ({"Access-Control-Allow-Origin": "*"}, "set by the server or another middleware"),
        ({"x-frame-options": "DENY"}, "given twice"),
    ]:
        with pytest.raises(ValueError, match=words):
            SecurityHeadersMiddleware(None, headers=headers)
    with pytest.raises(TypeError, match="not a str"):
        SecurityHeadersMiddleware(None, frame_options=1)  # type: ignore[arg-type]
    bare = SecurityHeadersMiddleware(
        None,
        content_type_options=None,
        frame_options=None,
        referrer_policy=None,
        cross_origin_opener_policy=None,
    )
    assert bare.policy.apply([]) == []
    own = [(b"x-frame-options", b"DENY")]
    for headers in (own, iter(own), (pair for pair in own)):  # any iterable, read once
        applied = SecurityHeadersMiddleware(None).policy.apply(headers)
        assert [v for n, v in applied if n == b"x-frame-options"] == [b"DENY"]
    with pytest.raises(ValueError, match="set by the server"):
        SecurityHeadersMiddleware(None, headers={"Upgrade": "h2c"})


def test_https_redirect_beside_gzip_keeps_https_requests_on_the_native_path(door, make_client):
    """With HTTPSRedirectMiddleware among the middleware the native server runs itself, a
    request that came by `http` goes through the stack and is redirected; one that came by
    `https` (behind a proxy that says so, on the native server) is served on the short path,
    gzip and all."""
    app = FastAPI()
    app.add_middleware(GZipMiddleware, minimum_size=10)
    app.add_middleware(HTTPSRedirectMiddleware)

    @app.get("/items")
    async def items():
        return ["item"] * 20

    client = make_client(app)
    assert {p.path: p for p in route_paths(app)}["/items"].native
    moved = client.get("/items?x=1", follow_redirects=False)
    assert (moved.status_code, moved.headers["location"]) == (307, "https://testserver/items?x=1")
    if door == "native":  # the server trusts the proxy headers of 127.0.0.1
        secure, headers = client, {"X-Forwarded-Proto": "https"}
    else:
        secure, headers = make_client(app, base_url="https://testserver"), {}
    response = secure.get("/items", headers={**headers, "Accept-Encoding": "gzip"})
    assert response.status_code == 200 and response.json() == ["item"] * 20
    assert (response.headers["content-encoding"], response.headers["vary"]) == (
        "gzip",
        "Accept-Encoding",
    )


@pytest.mark.fasterapi_only  # refused at the handshake; Starlette sends an HTTP denial
@pytest.mark.native_xfail(
    reason="the native server answers a close before accept() with an HTTP 403, as ASGI "
    "servers do: the client sees 1006, not the middleware's 1008"
)
def test_trusted_host_refuses_a_websocket_with_another_host(make_client):
    app = FastAPI()
    app.add_middleware(TrustedHostMiddleware, allowed_hosts=["example.com"])

    @app.websocket("/ws")
    async def ws(websocket: FasterAPI.WebSocket):
        await websocket.accept()
        await websocket.send_text("hi")

    client = make_client(app, base_url="http://example.com")
    with client.websocket_connect("/ws") as socket:
        assert socket.receive_text() == "hi"
    client = make_client(app, base_url="http://evil.com")
    with pytest.raises(FasterAPI.WebSocketDisconnect) as refused:
        with client.websocket_connect("/ws"):
            pass
    assert refused.value.code == 1008


@pytest.mark.fasterapi_only  # a ValueError; Starlette asserts
def test_wildcards_must_be_leading_subdomains():
    for pattern in ("example.*", "*example.com", "a.*.com"):
        with pytest.raises(ValueError, match=r"\*\.example\.com"):
            TrustedHostMiddleware(None, allowed_hosts=[pattern])


def host_app(middleware, **options):
    app = FastAPI()
    app.add_middleware(middleware, **options)

    @app.get("/where")
    async def where(request: Request):
        return {"url": str(request.url)}

    return app


#: the native server refuses a Host that is not a host[:port] before the app sees it
REFUSED_BY_THE_SERVER = pytest.mark.native_xfail(
    reason='the native server answers a malformed Host itself: 400 {"detail":"invalid Host '
    'header"} (JSON), before TrustedHostMiddleware or HTTPSRedirectMiddleware runs'
)


@pytest.mark.parametrize(
    "host",
    [
        pytest.param("evil.com/x.example.com", marks=REFUSED_BY_THE_SERVER),
        pytest.param("evil.com#.example.com", marks=REFUSED_BY_THE_SERVER),
        pytest.param("a:b:c", marks=REFUSED_BY_THE_SERVER),
        "",
    ],
)
def test_trusted_host_refuses_malformed_hosts(make_client, host):
    app = host_app(TrustedHostMiddleware, allowed_hosts=["*.example.com"])
    response = make_client(app).get("/where", headers={"host": host})
    assert (response.status_code, response.text) == (400, "Invalid host header")


@REFUSED_BY_THE_SERVER
def test_a_malformed_host_never_reaches_urls_or_redirects(make_client):
    client = make_client(host_app(HTTPSRedirectMiddleware))
    for host in ("a:b:c", "evil.com/foo"):
        response = client.get("/where", headers={"host": host}, follow_redirects=False)
        assert response.status_code == 307
        assert response.headers["location"] == "https://testserver/where"
    app = FastAPI()

    @app.get("/url")
    async def url(request: Request):
        return str(request.url)

    client = make_client(app)
    assert client.get("/url", headers={"host": "evil.com/x"}).json() == "http://testserver/url"


@pytest.mark.parametrize("http_outside", [True, False])
def test_http_middleware_beside_cors_and_gzip(make_client, http_outside):
    """`@app.middleware("http")` beside CORS and GZip, in either order, as in the stack (the
    native server runs all three itself): a middleware outside them sees the CORS headers and
    the compressed body on call_next's response, and sees the preflight, which CORS answers;
    one inside them sees neither, its headers still going out."""
    app = FastAPI()
    seen = []

    async def watch(request, call_next):
        response = await call_next(request)
        seen.append(
            (
                request.method,
                response.headers.get("access-control-allow-origin"),
                response.headers.get("content-encoding"),
            )
        )
        response.headers["x-seen"] = "yes"
        return response

    if not http_outside:
        app.middleware("http")(watch)
    app.add_middleware(CORSMiddleware, allow_origins=["https://a.com"])
    app.add_middleware(GZipMiddleware, minimum_size=100)
    if http_outside:
        app.middleware("http")(watch)
    rows = [{"name": f"item {i}"} for i in range(30)]

    @app.get("/rows")
    async def listing():
        return rows

    client = make_client(app)
    assert route_paths(app)[-1].native, route_paths(app)
    headers = {"Origin": "https://a.com", "Accept-Encoding": "gzip"}
    response = client.get("/rows", headers=headers)
    assert response.json() == rows
    assert response.headers["content-encoding"] == "gzip"
    assert response.headers["access-control-allow-origin"] == "https://a.com"
    assert response.headers["x-seen"] == "yes"
    preflight = client.options("/rows", headers={**headers, "Access-Control-Request-Method": "GET"})
    assert (preflight.status_code, preflight.text) == (200, "OK")
    assert preflight.headers["access-control-allow-origin"] == "https://a.com"
    if http_outside:
        assert seen == [("GET", "https://a.com", "gzip"), ("OPTIONS", "https://a.com", None)]
        assert preflight.headers["x-seen"] == "yes"
    else:
        assert seen == [("GET", None, None)]
        assert "x-seen" not in preflight.headers


def test_http_middleware_state_route_errors_and_head(make_client):
    """What a dispatch function sees on either door: the state it sets reaches the route's
    dependencies, the matched route is in the scope after call_next, an HTTPException is
    answered by its handler inside the middleware, an error nobody handles gets the app's own
    500 handler outside it, and a HEAD request has the GET's headers and no body."""
    app = FastAPI()
    routes = []

    @app.middleware("http")
    async def stamp(request, call_next):
        request.state.user = request.headers.get("x-user", "nobody")
        response = await call_next(request)
        route = request.scope.get("route")
        routes.append(None if route is None else route.path)
        response.headers["x-stamp"] = str(response.status_code)
        return response

    @app.exception_handler(Exception)
    async def server_error(request, exc):
        return PlainTextResponse(f"sorry: {exc}", status_code=500)

    def user(request: Request) -> str:
        return request.state.user

    @app.api_route("/me", methods=["GET", "HEAD"])
    async def me(name: str = FasterAPI.Depends(user)):
        return {"user": name}

    @app.get("/items/{item_id}")
    async def item(item_id: int):
        if item_id == 0:
            raise HTTPException(404, "no item 0")
        if item_id == 1:
            raise RuntimeError("item 1 broke")
        return {"id": item_id}

    client = make_client(app, raise_server_exceptions=False)
    got = client.get("/me", headers={"x-user": "alice"})
    assert (got.json(), got.headers["x-stamp"]) == ({"user": "alice"}, "200")
    head = client.head("/me", headers={"x-user": "alice"})
    assert (head.status_code, head.content, head.headers["x-stamp"]) == (200, b"", "200")
    assert head.headers["content-length"] == got.headers["content-length"]
    missing = client.get("/items/0")
    assert (missing.status_code, missing.json()) == (404, {"detail": "no item 0"})
    assert missing.headers["x-stamp"] == "404"
    broken = client.get("/items/1")
    assert (broken.status_code, broken.text) == (500, "sorry: item 1 broke")
    assert "x-stamp" not in broken.headers
    assert client.get("/items/7").headers["x-stamp"] == "200"
    assert client.get("/items/x").status_code == 422
    assert routes == ["/me", "/me", "/items/{item_id}", "/items/{item_id}", "/items/{item_id}"]


def test_http_middleware_that_changes_the_request(make_client):
    """A dispatch function that reads the body of a route that takes none, or changes the
    request (its headers, path or body) before call_next: the route sees what it made of
    it, on both doors (the native server then routes it again through the stack)."""
    app = FastAPI()
    seen = []

    @app.middleware("http")
    async def rewrite(request, call_next):
        seen.append(await request.body())
        if request.url.path == "/old":
            request.scope["path"] = "/new"
        if request.headers.get("x-inject"):
            request.scope["headers"] = [*request.scope["headers"], (b"x-token", b"injected")]
        if request.url.path == "/double":
            request._body = json.dumps({"a": json.loads(await request.body())["a"] * 2}).encode()
        return await call_next(request)

    @app.post("/hook")
    async def hook():
        return "ok"

    @app.get("/token")
    async def token(x_token: str | None = FasterAPI.Header(None)):
        return x_token

    @app.get("/old")
    async def old():
        return "old"

    @app.get("/new")
    async def new():
        return "new"

    @app.post("/double")
    async def double(payload: dict = FasterAPI.Body(...)):
        return payload["a"]

    client = make_client(app)
    assert client.post("/hook", content=b"hello").json() == "ok"
    assert seen == [b"hello"]
    assert client.get("/token", headers={"x-inject": "1"}).json() == "injected"
    assert client.get("/token").json() is None
    assert client.get("/old").json() == "new"
    assert client.post("/double", json={"a": 2}).json() == 4


@pytest.mark.parametrize("chunked", [False, True])
def test_http_middleware_sees_the_413_past_max_body_size(make_client, chunked):
    """A body past the route's max_body_size is refused inside the http middleware, which
    sees the 413 (before its body is read, with a Content-Length), as in the stack."""
    app = FastAPI()
    seen = []

    @app.middleware("http")
    async def stamp(request, call_next):
        response = await call_next(request)
        seen.append(response.status_code)
        response.headers["x-stamp"] = "1"
        return response

    @app.post("/b", max_body_size=10)
    async def take(x: dict = FasterAPI.Body(...)):
        return x

    body = b'{"q": 1111111111111}'
    content = iter([body[:8], body[8:]]) if chunked else body
    response = make_client(app).post(
        "/b", content=content, headers={"content-type": "application/json"}
    )
    assert (response.status_code, response.headers["x-stamp"], seen) == (413, "1", [413])
    assert "Too Large" in response.text
    assert make_client(app).post("/b", json={"a": 1}).json() == {"a": 1}


def test_a_failing_dispatch_cancels_the_route_and_a_streamed_body_is_gone(make_client):
    """As in Starlette: when dispatch fails after call_next, the route is cancelled (its
    background task does not run, the 500 is not held back by it); a body dispatch read with
    `request.stream()` is gone for the route, which gets an empty one instead of waiting."""
    app = FastAPI()
    events = []

    @app.middleware("http")
    async def check(request, call_next):
        if request.url.path == "/stream":
            chunks = [chunk async for chunk in request.stream()]
            events.append(b"".join(chunks))
        response = await call_next(request)
        if request.url.path == "/fails":
            raise RuntimeError("dispatch broke")
        return response

    @app.get("/fails")
    async def fails(background: BackgroundTasks):
        background.add_task(events.append, "background ran")
        return {"ok": True}

    @app.post("/stream")
    async def stream(request: Request):
        return {"route got": (await request.body()).decode()}

    client = make_client(app, raise_server_exceptions=False)
    failed = client.get("/fails")
    assert (failed.status_code, failed.json()) == (500, {"detail": "Internal Server Error"})
    assert client.post("/stream", content=b"payload").json() == {"route got": ""}
    assert events == [b"payload"]


def test_a_body_read_by_one_http_middleware_reaches_the_next_and_the_route(make_client):
    """A body an http middleware read with `request.body()` is there for the next one and
    for the route (a handler given the Request, a body parameter); one it streamed is gone
    for them (they get an empty one), as with Starlette's BaseHTTPMiddleware."""
    app = FastAPI()
    seen = []

    @app.middleware("http")
    async def inner(request, call_next):
        seen.append(("inner", await request.body()))
        return await call_next(request)

    @app.middleware("http")
    async def outer(request, call_next):
        if request.headers.get("x-stream"):
            seen.append(("outer", b"".join([c async for c in request.stream()])))
        else:
            seen.append(("outer", await request.body()))
        return await call_next(request)

    @app.post("/raw")
    async def raw(request: Request):
        return {"route got": (await request.body()).decode()}

    client = make_client(app)
    assert client.post("/raw", content=b"payload").json() == {"route got": "payload"}
    assert seen == [("outer", b"payload"), ("inner", b"payload")]
    seen.clear()
    streamed = client.post("/raw", content=b"payload", headers={"x-stream": "1"})
    assert streamed.json() == {"route got": ""}
    assert seen == [("outer", b"payload"), ("inner", b"")]


def test_a_large_or_chunked_body_behind_http_middleware(make_client):
    """A body past 256 KiB, or chunked, to a route that reads it as it arrives, behind
    `@app.middleware("http")`: the middleware and the route see all of it (on the native
    server it goes through the stack, which streams it)."""
    app = FastAPI()
    sizes = []

    @app.middleware("http")
    async def measure(request, call_next):
        response = await call_next(request)
        response.headers["x-seen"] = "1"
        return response

    @app.post("/count")
    async def count(request: Request):
        sizes.append(sum([len(chunk) async for chunk in request.stream()]))
        return {"total": sizes[-1]}

    [path] = [p for p in route_paths(app) if p.path == "/count"]
    assert "ASGI path for a body (a Request may stream it) past 256 KiB" in str(path)
    client = make_client(app)
    for content in (b"x" * 300_000, iter([b"a" * 1000, b"b" * 2000])):
        response = client.post("/count", content=content)
        assert response.headers["x-seen"] == "1"
        assert response.json() == {"total": sizes[-1]}
    assert sizes == [300_000, 3000]


def test_http_middleware_with_a_route_class_that_reads_the_body_its_own_way(make_client):
    """FastAPI's GzipRequest recipe (a route class whose handler reads the body through a
    Request subclass) behind `@app.middleware("http")`: the body reaches that Request as it
    came, to be decompressed."""
    import gzip

    from FasterAPI import Body
    from FasterAPI.routing import APIRoute

    class GzipRequest(Request):
        async def body(self) -> bytes:
            if not hasattr(self, "_body"):
                body = await super().body()
                if "gzip" in self.headers.getlist("Content-Encoding"):
                    body = gzip.decompress(body)
                self._body = body
            return self._body

    class GzipRoute(APIRoute):
        def get_route_handler(self):
            handler = super().get_route_handler()

            async def gzip_handler(request):
                return await handler(GzipRequest(request.scope, request.receive))

            return gzip_handler

    app = FastAPI()
    app.router.route_class = GzipRoute

    @app.middleware("http")
    async def passing(request, call_next):
        return await call_next(request)

    @app.post("/sum")
    async def total(numbers: list[int] = Body()):
        return {"sum": sum(numbers)}

    client = make_client(app)
    headers = {"content-encoding": "gzip", "content-type": "application/json"}
    response = client.post("/sum", content=gzip.compress(b"[1,2,3]"), headers=headers)
    assert response.json() == {"sum": 6}


def test_a_body_replaced_by_an_outer_http_middleware_reaches_the_inner_one(make_client):
    """As in Starlette: a dispatch function that replaces the body it read
    (`request._body`) hands that one to the next dispatch function and to the route; and
    `body()` after `stream()` raises "Stream consumed"."""
    from FasterAPI import Body

    app = FastAPI()

    @app.middleware("http")
    async def inner(request, call_next):
        request.state.inner = (await request.body()).decode()
        if request.url.path == "/twice":
            [chunk async for chunk in request.stream()]  # the body already read: no error
        return await call_next(request)

    @app.middleware("http")
    async def outer(request, call_next):
        request._body = (await request.body()).replace(b"1", b"2")
        return await call_next(request)

    @app.post("/raw")
    async def raw(request: Request):
        return {"route": (await request.body()).decode(), "inner": request.state.inner}

    @app.post("/item")
    async def item(x: int = Body(embed=True)):
        return {"x": x}

    @app.post("/twice")
    async def twice(request: Request):
        [chunk async for chunk in request.stream()]
        return await request.body()  # Stream consumed: a 500

    client = make_client(app, raise_server_exceptions=False)
    assert client.post("/raw", content=b"v=1").json() == {"route": "v=2", "inner": "v=2"}
    assert client.post("/item", json={"x": 1}).json() == {"x": 2}
    assert client.post("/twice", content=b"v=1").status_code == 500
