"""app.mount() for ASGI sub-apps and add_middleware() for pure-ASGI middleware, through
both doors, and over raw sockets on the native server (where both go through its ASGI adapter)."""

import json

import pytest
from FasterAPI import Faster

from tests.apps.native_app import StampMiddleware, wrapped
from tests.support.raw_http import exchange, request
from tests.support.servers import native_server


@pytest.fixture(scope="module")
def app():
    return wrapped


def test_a_mounted_app_sees_its_prefix_as_root_path(client):
    response = client.get("/sub/a/b")
    assert (response.status_code, response.text) == (200, "/sub|/a/b")
    assert client.get("/sub").text == "/sub|"
    assert client.get("/subway").status_code == 404  # a prefix is a whole segment


def test_middleware_wraps_routes_errors_and_mounts(client):
    for path, status in [("/items/3", 200), ("/items/x", 422), ("/nope", 404), ("/sub/x", 200)]:
        response = client.get(path)
        assert response.status_code == status
        assert response.headers["x-stamp"] == "outer"


def test_middleware_order_is_fastapis_last_added_outermost(make_client):
    app = Faster()
    app.add_middleware(StampMiddleware, stamp="first")
    app.add_middleware(StampMiddleware, stamp="second")

    @app.get("/")
    async def root():
        return {}

    stamps = make_client(app).get("/").headers.get_list("x-stamp")
    assert stamps == ["first", "second"]  # the inner one adds its header first
    with pytest.raises(RuntimeError):
        app.add_middleware(StampMiddleware, stamp="late")


def test_mount_and_middleware_on_the_native_server(tmp_path):
    with native_server(tmp_path, app="wrapped") as server:
        status, headers, body = exchange(server, request("GET", "/items/5"))
        assert (status, json.loads(body), headers["x-stamp"]) == (200, {"item_id": 5}, "outer")
        status, headers, body = exchange(server, request("GET", "/sub/deep/path"))
        assert (status, body, headers["x-stamp"]) == (200, b"/sub|/deep/path", "outer")
    with native_server(tmp_path) as server:  # a mount on an app without middleware
        status, _, body = exchange(server, request("GET", "/sub/x"))
        assert (status, body) == (200, b"/sub|/x")
        assert exchange(server, request("GET", "/items/1"))[0] == 200
