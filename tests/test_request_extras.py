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
