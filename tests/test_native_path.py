"""The native server's short path: the Rust parser routes FasterAPI requests itself and hands
over the handler's arguments, so no ASGI scope is built for a normal route."""

import contextvars

import msgspec
import pytest
from FasterAPI import Faster, Header, Request, _core

pytestmark = pytest.mark.fasterapi_only


class Item(msgspec.Struct):
    name: str


def make_parser():
    app = Faster()

    @app.get("/items/{item_id}")
    async def get_item(item_id: int, q: str | None = None, x_token: str = Header("none")):
        return {}

    @app.post("/items")
    async def create(item: Item):
        return {}

    @app.post("/raw")
    async def raw(request: Request):
        return {}

    return _core.HttpParser(1 << 20, app._build_dispatcher()), app


def events(parser, data: bytes):
    parser.feed(data)
    out = []
    while (event := parser.next_event()) is not None:
        out.append(event)
    return out


def test_a_native_route_arrives_routed_with_its_arguments_coerced():
    parser, app = make_parser()
    (route_event,) = events(
        parser, b"GET /items/42?q=hi HTTP/1.1\r\nHost: x\r\nX-Token: abc\r\n\r\n"
    )
    assert isinstance(route_event, _core.RouteEvent)
    assert route_event.complete is True  # no body: no EndEvent follows
    assert route_event.route.endpoint.__name__ == "get_item"
    assert route_event.kwargs == {"item_id": 42, "q": "hi", "x_token": "abc"}
    assert route_event.errors is None and route_event.media is False
    request = route_event.request
    assert (request.method, request.http_minor, request.keep_alive) == ("GET", 1, True)
    head = request.head_event()  # the ASGI view, built only when asked for
    assert isinstance(head, _core.HeadEvent)
    assert head.path == "/items/42" and head.query == b"q=hi"
    assert (b"x-token", b"abc") in head.headers


def test_invalid_parameters_arrive_as_fastapi_errors():
    parser, _ = make_parser()
    (route_event,) = events(parser, b"GET /items/abc HTTP/1.1\r\nHost: x\r\n\r\n")
    errors = route_event.errors
    assert [e["loc"] for e in errors] == [("path", "item_id")]
    assert errors[0]["type"] == "int_parsing"


def test_the_body_follows_a_route_event_and_json_is_detected():
    parser, _ = make_parser()
    body = b'{"name":"x"}'
    evs = events(
        parser,
        b"POST /items HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Content-Length: %d\r\n\r\n%s" % (len(body), body),
    )
    assert [type(e) for e in evs] == [_core.RouteEvent, _core.BodyEvent, _core.EndEvent]
    assert evs[0].media is True and evs[0].complete is False and evs[1].data == body
    evs = events(parser, b"POST /items HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}")
    assert evs[0].media is False  # no Content-Type: not JSON (strict_content_type)


def test_a_large_or_chunked_body_to_a_route_taking_a_request_is_streamed():
    parser, _ = make_parser()
    for raw in (b"GET /nowhere", b"DELETE /items"):  # (these go through ASGI)
        head, *_rest = events(parser, raw + b" HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}")
        assert isinstance(head, _core.HeadEvent), raw
    # a handler taking a Request may stream the body: it is read whole first up to 256 KiB,
    # else streamed to the route as it arrives
    small, large = 256 * 1024, 256 * 1024 + 1
    for length, streamed in ((0, False), (small, False), (large, True)):
        parser, _ = make_parser()
        head = b"POST /raw HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" % length
        [event] = events(parser, head)
        assert isinstance(event, _core.RouteEvent) and event.streamed is streamed, length
    parser, _ = make_parser()
    chunked = b"POST /raw HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
    [event] = events(parser, chunked)
    assert event.streamed is True
    parser, _ = make_parser()  # a body parameter reads the body whole: never streamed
    [event] = events(
        parser, b"POST /items HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" % large
    )
    assert event.streamed is False


def test_json_response_is_one_whole_http_response():
    data = _core.json_response({"a": 1}, 201, 1, True, False)
    head, body = data.split(b"\r\n\r\n", 1)
    lines = head.split(b"\r\n")
    assert lines[0] == b"HTTP/1.1 201 Created" and body == b'{"a":1}'
    assert b"content-length: 7" in lines and b"content-type: application/json" in lines
    head_only = _core.json_response({"a": 1}, 200, 1, False, True)
    assert head_only.endswith(b"\r\n\r\n") and b"connection: close" in head_only


class Recorder:
    """A connection for a ShortPath answering without running a handler: what it writes and
    logs."""

    def __init__(self):
        self.written = []
        self.logged = []

    def short_answered(self, *args):
        self.logged.append(args)


def test_a_cors_preflight_is_answered_inside_the_parser():
    from FasterAPI.middleware.cors import CORSMiddleware

    app = Faster()
    app.add_middleware(CORSMiddleware, allow_origins=["https://a.example"], allow_methods=["*"])

    @app.get("/items")
    async def items():
        return []

    app.middleware_stack = app.build_middleware_stack()
    parser = _core.HttpParser(1 << 20, app._dispatcher or app._build_dispatcher())
    conn = Recorder()
    short = _core.ShortPath(conn, conn.written.append, None, contextvars.copy_context(), True)
    preflight = "OPTIONS /items HTTP/1.1\r\nHost: x\r\nOrigin: {}\r\n"
    preflight += "Access-Control-Request-Method: GET\r\nContent-Length: 2\r\n\r\nhi"
    parser.feed(preflight.format("https://a.example").encode())
    parser.feed(preflight.format("https://b.example").encode())
    assert (parser.serve(short), parser.serve(short), parser.buffered) == (1, 1, 0)
    (allowed_head, allowed_body), (refused_head, refused_body) = (
        response.split(b"\r\n\r\n") for response in conn.written
    )
    assert allowed_head.startswith(b"HTTP/1.1 200 OK\r\n") and allowed_body == b"OK"
    assert b"access-control-allow-origin: https://a.example\r\n" in allowed_head
    assert b"content-type: text/plain; charset=utf-8\r\n" in allowed_head
    assert refused_head.startswith(b"HTTP/1.1 400 Bad Request\r\n")
    assert refused_body == b"Disallowed CORS origin"
    # the protocol hears of each: (method, path, query, HTTP minor, status, body bytes)
    assert conn.logged == [
        ("OPTIONS", "/items", b"", 1, 200, 2, None),
        ("OPTIONS", "/items", b"", 1, 400, len(b"Disallowed CORS origin"), None),
    ]
    # an OPTIONS request that is no preflight goes to the app's routes (here, none: it is
    # left for `next_event`, and the ASGI path answers 405)
    parser.feed(b"OPTIONS /items HTTP/1.1\r\nHost: x\r\n\r\n")
    assert parser.serve(short) == 0 and parser.buffered > 0
