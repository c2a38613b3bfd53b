"""TestClient: constructor options, default headers and cookies, redirects and lifespan."""

import json
from contextlib import asynccontextmanager

import FasterAPI
import FasterAPI.testclient
import pytest
from FasterAPI import FastAPI, Header, Request
from FasterAPI.responses import RedirectResponse
from FasterAPI.testclient import TestClient


def echo_app():
    app = FastAPI()

    @app.get("/echo")
    async def echo(request: Request, x_default: str | None = Header(None)):
        return {
            "x_default": x_default,
            "cookies": dict(request.cookies),
            "host": request.headers.get("host"),
            "url": str(request.url),
        }

    @app.get("/redirect")
    async def redirect():
        return RedirectResponse("/echo")

    @app.get("/boom")
    async def boom():
        raise ValueError("boom")

    return app


def test_importable_from_both_modules():
    assert FasterAPI.TestClient is FasterAPI.testclient.TestClient


def test_all_constructor_options():
    client = TestClient(
        echo_app(),
        base_url="http://testserver",
        raise_server_exceptions=True,
        headers={"X-Default": "hdr"},
        cookies={"session": "abc"},
        follow_redirects=True,
    )
    response = client.get("/echo")
    assert response.status_code == 200
    assert response.json() == {
        "x_default": "hdr",
        "cookies": {"session": "abc"},
        "host": "testserver",
        "url": "http://testserver/echo",
    }


def test_default_base_url_is_testserver():
    response = TestClient(echo_app()).get("/echo")
    assert response.json()["url"] == "http://testserver/echo"
    assert response.json()["host"] == "testserver"


def test_custom_base_url():
    client = TestClient(echo_app(), base_url="http://example.com:8080")
    response = client.get("/echo")
    assert response.json()["url"] == "http://example.com:8080/echo"
    assert response.json()["host"] == "example.com:8080"


def test_per_request_headers_and_cookies_override_defaults():
    client = TestClient(echo_app(), headers={"X-Default": "hdr"}, cookies={"a": "1"})
    response = client.get("/echo", headers={"X-Default": "override"})
    assert response.json()["x_default"] == "override"
    assert response.json()["cookies"] == {"a": "1"}


def test_follow_redirects_default_true():
    response = TestClient(echo_app()).get("/redirect")
    assert response.status_code == 200
    assert response.url == "http://testserver/echo"
    assert response.history[0].status_code == 307


def test_follow_redirects_false_returns_307():
    client = TestClient(echo_app(), follow_redirects=False)
    response = client.get("/redirect")
    assert response.status_code == 307
    assert response.headers["location"] == "/echo"


def test_follow_redirects_per_request():
    response = TestClient(echo_app()).get("/redirect", follow_redirects=False)
    assert response.status_code == 307


def test_raise_server_exceptions_true():
    with pytest.raises(ValueError, match="boom"):
        TestClient(echo_app(), raise_server_exceptions=True).get("/boom")


def test_raise_server_exceptions_false():
    response = TestClient(echo_app(), raise_server_exceptions=False).get("/boom")
    assert response.status_code == 500


def test_all_http_methods_and_json_kwargs():
    app = FastAPI()

    @app.api_route("/m", methods=["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"])
    async def m(request: Request):
        body = await request.body()
        return {"method": request.method, "body": body.decode(), "q": dict(request.query_params)}

    client = TestClient(app)
    assert client.get("/m", params={"a": "1"}).json() == {
        "method": "GET",
        "body": "",
        "q": {"a": "1"},
    }
    posted = client.post("/m", json={"k": 1}).json()
    assert posted["method"] == "POST"
    assert json.loads(posted["body"]) == {"k": 1}
    for method in ("put", "patch", "delete", "options"):
        assert getattr(client, method)("/m").json()["method"] == method.upper()
    assert client.request("PATCH", "/m", content=b"raw").json()["body"] == "raw"


def lifespan_app(events):
    @asynccontextmanager
    async def lifespan(app):
        events.append("startup")
        yield
        events.append("shutdown")

    app = FastAPI(lifespan=lifespan)

    @app.get("/events")
    async def get_events():
        return list(events)

    return app


def test_lifespan_runs_with_context_manager():
    events = []
    app = lifespan_app(events)
    with TestClient(app) as client:
        assert events == ["startup"]
        assert client.get("/events").json() == ["startup"]
    assert events == ["startup", "shutdown"]


def test_lifespan_not_run_without_context_manager():
    events = []
    client = TestClient(lifespan_app(events))
    assert client.get("/events").json() == []
    assert events == []


def test_lifespan_state_reaches_request():
    @asynccontextmanager
    async def lifespan(app):
        yield {"db": "connected"}

    app = FastAPI(lifespan=lifespan)

    @app.get("/state")
    async def state(request: Request):
        return {"db": request.state.db}

    with TestClient(app) as client:
        assert client.get("/state").json() == {"db": "connected"}


def test_lifespan_startup_failure_raises():
    @asynccontextmanager
    async def lifespan(app):
        raise RuntimeError("cannot start")
        yield

    app = FastAPI(lifespan=lifespan)
    with pytest.raises(RuntimeError, match="cannot start"):
        with TestClient(app):
            pass
