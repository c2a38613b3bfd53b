"""Behaviour a review of the new modules found missing or wrong, each checked against
FastAPI's (0.165.0, Starlette 1.10): forged Host headers, a FileResponse whose client leaves,
crafted paths and dates, the redirect status of response_class=RedirectResponse, Response
subclasses with an ASGI call of their own, `...` in response_model_exclude, url_for into a
mounted app, template responses in TestClient."""

import asyncio
import os

import msgspec
import pytest
from FasterAPI import FastAPI, Request, TestClient
from FasterAPI.middleware.httpsredirect import HTTPSRedirectMiddleware
from FasterAPI.middleware.trustedhost import TrustedHostMiddleware
from FasterAPI.responses import FileResponse, RedirectResponse, Response
from FasterAPI.staticfiles import StaticFiles
from FasterAPI.templating import Jinja2Templates

from tests.support.raw_http import exchange, request
from tests.support.servers import native_server


def host_app(middleware, **options):
    app = FastAPI()
    app.add_middleware(middleware, **options)

    @app.get("/where")
    async def where(request: Request):
        return {"url": str(request.url)}

    return app


@pytest.mark.parametrize("host", ["evil.com/x.example.com", "evil.com#.example.com", "a:b:c", ""])
def test_trusted_host_refuses_malformed_hosts(host):
    app = host_app(TrustedHostMiddleware, allowed_hosts=["*.example.com"])
    with TestClient(app) as client:
        response = client.get("/where", headers={"host": host})
    assert (response.status_code, response.text) == (400, "Invalid host header")


def test_a_malformed_host_never_reaches_urls_or_redirects():
    with TestClient(host_app(HTTPSRedirectMiddleware)) as client:
        for host in ("a:b:c", "evil.com/foo"):
            response = client.get("/where", headers={"host": host}, follow_redirects=False)
            assert response.status_code == 307
            assert response.headers["location"] == "https://testserver/where"
    with TestClient(FastAPI()) as client:
        app = client.app

        @app.get("/url")
        async def url(request: Request):
            return str(request.url)

        assert client.get("/url", headers={"host": "evil.com/x"}).json() == "http://testserver/url"


def test_a_file_stops_being_read_when_its_client_leaves(tmp_path):
    path = tmp_path / "big.bin"
    path.write_bytes(b"x" * (64 * 1024 * 50))  # 50 chunks
    sent: list[dict] = []
    first_chunk = asyncio.Event()

    async def receive():
        await first_chunk.wait()
        return {"type": "http.disconnect"}

    async def send(message):
        sent.append(message)
        if message["type"] == "http.response.body":
            first_chunk.set()
            await asyncio.sleep(0.01)  # a slow client

    scope = {"type": "http", "method": "GET", "headers": []}
    asyncio.run(FileResponse(path)(scope, receive, send))
    bodies = [m for m in sent if m["type"] == "http.response.body"]
    assert 1 <= len(bodies) < 5


@pytest.mark.fasterapi_only  # Starlette's FileResponse has no 304s
def test_file_headers_given_are_kept_and_ranges_apply_to_get_only(tmp_path):
    (tmp_path / "data.unknownext").write_bytes(b"hello, file")
    app = FastAPI()

    @app.api_route("/file", methods=["GET", "POST"])
    async def file():
        return FileResponse(tmp_path / "data.unknownext", headers={"ETag": '"v1"'})

    with TestClient(app) as client:
        response = client.get("/file")
        assert response.headers["content-type"] == "application/octet-stream"
        assert response.headers.get_list("etag") == ['"v1"']
        assert client.get("/file", headers={"if-none-match": '"v1"'}).status_code == 304
        posted = client.post("/file", headers={"range": "bytes=0-4"})
        assert (posted.status_code, posted.content) == (200, b"hello, file")
        odd_date = "Wed, 21 Oct 2015 07:28:00 +99999999999999999999"
        assert client.get("/file", headers={"if-modified-since": odd_date}).status_code == 200


def test_static_files_crafted_paths_and_a_root_mount(tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "index.html").write_text("sub index")
    (tmp_path / "index.html").write_text("home")
    app = FastAPI()

    @app.get("/api")
    async def api():
        return "api"

    app.mount("/", StaticFiles(directory=tmp_path, html=True), name="site")
    with TestClient(app) as client:
        assert client.get("/api").json() == "api"
        assert client.get("/").text == "home"
        assert client.get("/a%00b").status_code == 404
        redirect = client.get("//evil.com/../sub", follow_redirects=False)
        assert redirect.status_code == 307
        assert redirect.headers["location"].startswith("http://testserver/")


def test_redirect_response_class_answers_307_and_says_so():
    app = FastAPI()

    @app.get("/go", response_class=RedirectResponse)
    async def go():
        return "/target"

    with TestClient(app) as client:
        response = client.get("/go", follow_redirects=False)
    assert (response.status_code, response.headers["location"]) == (307, "/target")
    assert list(app.openapi()["paths"]["/go"]["get"]["responses"]) == ["307"]


def test_a_response_with_its_own_call_is_sent_by_it(tmp_path):
    class Custom(Response):
        async def __call__(self, scope, receive, send):
            await send(
                {"type": "http.response.start", "status": 201, "headers": [(b"x-custom", b"1")]}
            )
            await send({"type": "http.response.body", "body": b"custom"})

    app = FastAPI()

    @app.get("/custom")
    async def custom():
        return Custom("ignored")

    with TestClient(app) as client:
        response = client.get("/custom")
    assert (response.status_code, response.text, response.headers["x-custom"]) == (
        201,
        "custom",
        "1",
    )


class Account(msgspec.Struct):
    name: str
    password: str
    tags: dict[str, str]


@pytest.mark.fasterapi_only  # a msgspec Struct model
def test_an_ellipsis_in_response_model_exclude_drops_the_field():
    app = FastAPI()

    @app.get("/account", response_model=Account, response_model_exclude={"password": ...})
    async def account():
        return {"name": "ann", "password": "secret", "tags": {"a": "1"}}

    with TestClient(app) as client:
        assert client.get("/account").json() == {"name": "ann", "tags": {"a": "1"}}


def test_url_for_a_route_of_a_mounted_app_and_template_responses(tmp_path):
    (tmp_path / "page.html").write_text("{{ url_for('v1:item', item_id=1) }}")
    templates = Jinja2Templates(directory=tmp_path)
    sub = FastAPI()

    @sub.get("/items/{item_id}", name="item")
    async def item(item_id: int):
        return item_id

    app = FastAPI()
    app.mount("/v1", sub, name="v1")

    @app.get("/page")
    async def page(request: Request):
        return templates.TemplateResponse(request, "page.html", {"x": 1})

    with TestClient(app) as client:
        response = client.get("/page")
    assert response.text == "http://testserver/v1/items/1"
    assert response.template.name == "page.html"
    assert response.context["x"] == 1


@pytest.mark.fasterapi_only
def test_native_forged_host_and_file_disconnect(tmp_path):
    with native_server(tmp_path, app="streams") as server:
        status, _, body = exchange(server, b"GET /count?n=1 HTTP/1.1\r\nHost: a:b:c\r\n\r\n")
        # a malformed Host is refused by the server itself (RFC 9112 3.2)
        assert (status, body) == (400, b'{"detail":"invalid Host header"}')
    assert "Traceback" not in server.output()


@pytest.mark.fasterapi_only
def test_native_client_leaving_a_stream_logs_no_error(tmp_path):
    os.environ["STREAM_APP_FILES"] = str(tmp_path)
    try:
        with native_server(tmp_path, app="streams") as server:
            with server.connect() as sock:
                sock.sendall(request("GET", "/endless"))
                received = b""
                while received.count(b"data: ") < 3:
                    received += sock.recv(4096)
            server.wait_for_output("endless stream closed")
            status, _, _ = exchange(server, request("GET", "/count?n=1"))
            assert status == 200
        assert "AttributeError" not in server.output()
    finally:
        del os.environ["STREAM_APP_FILES"]
