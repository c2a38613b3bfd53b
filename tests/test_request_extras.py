"""Starlette-style routes (`app.add_route`, `@app.route`), `request.stream()` and
`request.is_disconnected()`, through both doors."""

import asyncio

import pytest
from FasterAPI import Request

from tests.apps.extras_app import extras_app


@pytest.fixture(scope="module")
def app(door):  # a fresh app for each door
    return extras_app()


def test_starlette_style_routes(app, client):
    assert client.get("/metrics").text == "requests_total 1\npath /metrics\n"
    assert client.post("/page").text == "sync POST"
    assert client.head("/metrics").status_code == 200
    assert client.delete("/page").status_code == 405
    assert app.url_path_for("page") == "/page"
    assert "/metrics" not in app.openapi()["paths"]


@pytest.mark.fasterapi_only  # FastAPI drops a router's Starlette-style routes on include
def test_a_routers_starlette_style_route_is_included(client):
    assert client.put("/r/echo", content=b"12345").json() == {"length": 5}


def test_request_stream_and_is_disconnected(client):
    body = b"x" * 100_000
    assert client.post("/upload", content=body).json() == {"total": 100_000, "pieces": True}
    assert client.get("/alive").json() == {"disconnected": False}


def test_a_chunked_upload_is_streamed(client):
    pieces = iter([b"a" * 5000, b"b" * 7000])  # no length: httpx sends it chunked
    response = client.post("/upload", content=pieces)
    assert response.json() == {"total": 12000, "pieces": True}


def test_is_disconnected_sees_a_client_that_left():
    seen = []

    async def receive():
        return {"type": "http.disconnect"}

    async def check():
        request = Request({"type": "http", "headers": []}, receive)
        seen.append(await request.is_disconnected())

    asyncio.run(check())
    assert seen == [True]


def test_a_handler_taking_a_request_on_the_native_path(make_client):
    """A handler that takes a Request is called by the native server itself: what the
    Request gives is the same on both doors."""
    from FasterAPI import Depends, FastAPI, Response
    from FasterAPI.server.native import route_paths

    app = FastAPI()
    app.state.name = "demo"

    def who(request: Request) -> str:
        request.state.seen = True
        return request.headers.get("x-user", "nobody")

    @app.api_route("/info/{item_id}", methods=["GET", "POST"], name="info")
    async def info(item_id: int, request: Request, response: Response, user: str = Depends(who)):
        response.headers["x-item"] = str(item_id)
        return {
            "method": request.method,
            "path": request.url.path,
            "query": dict(request.query_params),
            "path_params": request.path_params,
            "user": user,
            "state": request.state.seen,
            "app": request.app.state.name,
            "url_for": str(request.url_for("info", item_id=7)),
            "body": (await request.body()).decode(),
            "client": request.client is not None,
            "disconnected": await request.is_disconnected(),
        }

    [path] = [p for p in route_paths(app) if p.path == "/info/{item_id}"]
    assert str(path) == "GET,POST /info/{item_id}: native path"
    client = make_client(app)
    got = client.get("/info/3?q=a", headers={"x-user": "alice"})
    assert got.headers["x-item"] == "3"
    answer = got.json()
    assert answer.pop("url_for") == f"{str(client.base_url).rstrip('/')}/info/7"
    assert answer == {
        "method": "GET",
        "path": "/info/3",
        "query": {"q": "a"},
        "path_params": {"item_id": "3"},
        "user": "alice",
        "state": True,
        "app": "demo",
        "body": "",
        "client": True,
        "disconnected": False,
    }
    posted = client.post("/info/4", content=b"hello").json()
    assert (posted["method"], posted["body"], posted["path_params"]) == (
        "POST",
        "hello",
        {"item_id": "4"},
    )


def test_a_request_routes_head_length_and_errors_before_its_request(make_client):
    """A handler taking a Request answering HEAD itself keeps the Content-Length it declares
    (as does a custom route class's HEAD answer); an exception handler sees the matched
    route in the scope even when the error comes before the handler's Request is made."""
    from FasterAPI import APIRouter, Depends, FastAPI, HTTPException, Response
    from FasterAPI.responses import JSONResponse
    from FasterAPI.routing import APIRoute

    class Timed(APIRoute):
        def get_route_handler(self):
            handler = super().get_route_handler()

            async def timed(request):
                response = await handler(request)
                response.headers["x-timed"] = "1"
                return response

            return timed

    app = FastAPI()
    router = APIRouter(route_class=Timed)

    @router.api_route("/custom/{n}", methods=["GET", "HEAD"])
    async def custom(n: int, request: Request):
        return {"n": n, "path": request.url.path}

    app.include_router(router)

    @app.api_route("/own", methods=["GET", "HEAD"])
    async def own(request: Request):
        if request.method == "HEAD":
            return Response(b"", headers={"content-length": "11"})
        return Response(b"hello world")

    @app.exception_handler(HTTPException)
    async def http_error(request, exc):
        route = request.scope.get("route")
        return JSONResponse({"route": getattr(route, "path", None)}, exc.status_code)

    def deny():
        raise HTTPException(401)

    @app.get("/guarded/{n}")
    async def guarded(n: int, request: Request, user: None = Depends(deny)):
        return {"n": n}

    client = make_client(app)
    got = client.get("/custom/4")
    head = client.head("/custom/4")
    assert (head.status_code, head.content, head.headers["x-timed"]) == (200, b"", "1")
    assert head.headers["content-length"] == got.headers["content-length"]
    assert client.head("/own").headers["content-length"] == "11"
    denied = client.get("/guarded/1")
    assert (denied.status_code, denied.json()) == (401, {"route": "/guarded/{n}"})


def test_a_body_sent_to_a_handler_given_the_request(make_client):
    """A body sent to a route whose handler (or a dependency) is given the Request: the
    native server calls the route itself, having read a body of at most 256 KiB whole, and
    streaming a larger or chunked one to the Request as it arrives. The Request reads it the
    same either way, through both doors."""
    from FasterAPI import Depends, FastAPI, Form, UploadFile
    from FasterAPI.server.native import route_paths

    app = FastAPI()

    @app.post("/json")
    async def as_json(request: Request):
        return {"json": await request.json(), "text": (await request.body()).decode()}

    @app.post("/stream")
    async def stream(request: Request):
        sizes = [len(chunk) async for chunk in request.stream()]
        return {"total": sum(sizes), "sizes_ok": all(sizes[:-1])}

    async def length(request: Request) -> int:
        return len(await request.body())

    @app.post("/dependency")
    async def dependency(size: int = Depends(length)):
        return {"size": size}

    @app.post("/form")
    async def form(request: Request, a: str = Form()):
        return {"a": a, "form": dict(await request.form())}

    @app.post("/upload")
    async def upload(request: Request, file: UploadFile):
        again = (await request.form())["file"]
        return {"size": len(await file.read()), "again": again.filename}

    @app.post("/limited", max_body_size=10)
    async def limited(request: Request):
        return {"size": len(await request.body())}

    for path in route_paths(app):
        assert str(path).endswith(f" {path.path}: native path")

    client = make_client(app)
    got = client.post("/json", json={"a": [1, 2]})
    assert got.json() == {"json": {"a": [1, 2]}, "text": '{"a":[1,2]}'}
    for body in (b"x" * 1000, b"y" * 300_000):  # read whole natively, or streamed
        assert client.post("/stream", content=body).json() == {
            "total": len(body),
            "sizes_ok": True,
        }
        assert client.post("/dependency", content=body).json() == {"size": len(body)}
    chunked = iter([b"a" * 5000, b"b" * 7000])  # no length: httpx sends it chunked
    assert client.post("/stream", content=chunked).json() == {"total": 12000, "sizes_ok": True}
    assert client.post("/stream").json() == {"total": 0, "sizes_ok": True}
    assert client.post("/form", data={"a": "1", "b": "2"}).json() == {
        "a": "1",
        "form": {"a": "1", "b": "2"},
    }
    missing = client.post("/form", data={"b": "2"})
    assert missing.status_code == 422 and missing.json()["detail"][0]["loc"] == ["body", "a"]
    large_form = {"a": "x" * 300_000, "b": "2"}  # streamed to the form parser natively
    assert client.post("/form", data=large_form).json() == {"a": "x" * 300_000, "form": large_form}
    for size in (1000, 300_000):  # a multipart body parsed whole, or as it arrives
        files = {"file": ("f.bin", b"z" * size)}
        assert client.post("/upload", files=files).json() == {"size": size, "again": "f.bin"}
    assert client.post("/limited", content=b"0123456789").json() == {"size": 10}
    too_large = client.post("/limited", content=b"0123456789x")
    assert (too_large.status_code, too_large.text) == (413, "Content Too Large")
    chunked = client.post("/limited", content=iter([b"012345", b"6789x"]))
    assert (chunked.status_code, chunked.json()) == (413, {"detail": "Content Too Large"})
