"""faster-api-web's public API (the `FasterAPI` package on PyPI as faster-api-web): its module
paths and top-level names, RadixRouter, `@app.on_startup` / `@app.on_shutdown`,
`request.path`, `request.content_type`, `websocket.path` and FasterAPI.concurrency's
`run_in_executor` / `is_coroutine`; through both doors (tests/apps/faster_api_web_app.py).
See docs/migrating-from-faster-api-web.md."""

import asyncio
import functools
import importlib

import pytest
from FasterAPI.exceptions import FastAPIDeprecationWarning

from tests.apps import cpu_work, faster_api_web_app
from tests.support.doors import open_client

# faster-api-web's names: real FastAPI (FASTERAPI_SHIM) has none of them.
pytestmark = pytest.mark.fasterapi_only

#: Every module faster-api-web documents, with the names its users import from it.
MODULES = {
    "FasterAPI.app": ["Faster"],
    "FasterAPI.request": ["Request"],
    "FasterAPI.response": [
        "EventSourceResponse",
        "FileResponse",
        "HTMLResponse",
        "JSONResponse",
        "ORJSONResponse",
        "PlainTextResponse",
        "RedirectResponse",
        "Response",
        "StreamingResponse",
        "UJSONResponse",
    ],
    "FasterAPI.router": ["FasterRouter", "RadixRouter"],
    "FasterAPI.websocket": ["WebSocket", "WebSocketDisconnect", "WebSocketState"],
    "FasterAPI.types": ["ASGIApp"],
    "FasterAPI.middleware": [
        "BaseHTTPMiddleware",
        "CORSMiddleware",
        "GZipMiddleware",
        "HTTPSRedirectMiddleware",
        "TrustedHostMiddleware",
    ],
    "FasterAPI.dependencies": ["Depends"],
    "FasterAPI.datastructures": ["FormData", "UploadFile"],
    "FasterAPI.background": ["BackgroundTask", "BackgroundTasks"],
    "FasterAPI.exceptions": ["HTTPException", "RequestValidationError"],
    "FasterAPI.params": ["Body", "Cookie", "File", "Form", "Header", "Path", "Query"],
    "FasterAPI.security": [
        "APIKeyCookie",
        "APIKeyHeader",
        "APIKeyQuery",
        "HTTPBasic",
        "HTTPBasicCredentials",
        "OAuth2PasswordBearer",
        "OAuth2PasswordRequestForm",
        "SecurityScopes",
    ],
    "FasterAPI.openapi.generator": ["generate_openapi"],
    "FasterAPI.openapi.ui": ["redoc_html", "swagger_ui_html"],
    "FasterAPI.concurrency": [
        "SubInterpreterPool",
        "is_coroutine",
        "run_in_executor",
        "run_in_subinterpreter",
        "run_in_threadpool",
    ],
    "FasterAPI": [
        "APIKeyCookie",
        "APIKeyHeader",
        "APIKeyQuery",
        "BackgroundTask",
        "BackgroundTasks",
        "EventSourceResponse",
        "Faster",
        "FasterRouter",
        "FormData",
        "HTTPBasic",
        "HTTPBasicCredentials",
        "OAuth2PasswordBearer",
        "OAuth2PasswordRequestForm",
        "RadixRouter",
        "SecurityScopes",
        "SubInterpreterPool",
        "TestClient",
        "UJSONResponse",
        "run_in_subinterpreter",
    ],
}


@pytest.mark.parametrize("module", sorted(MODULES))
def test_documented_imports(module):
    imported = importlib.import_module(module)
    missing = [name for name in MODULES[module] if not hasattr(imported, name)]
    assert not missing
    if module == "FasterAPI":
        assert set(MODULES[module]) <= set(imported.__all__)


def test_the_modules_give_the_same_objects_as_fastapis_paths():
    import FasterAPI
    from FasterAPI import (
        app,
        request,
        requests,
        response,
        responses,
        router,
        routing,
        websocket,
        websockets,
    )

    assert app.Faster is FasterAPI.FastAPI
    assert request.Request is requests.Request
    assert response.UJSONResponse is responses.UJSONResponse
    assert issubclass(response.UJSONResponse, responses.JSONResponse)
    assert router.FasterRouter is routing.APIRouter
    assert websocket.WebSocket is websockets.WebSocket


# -- RadixRouter ---------------------------------------------------------------------------------


def handler_a():
    pass


def handler_b():
    pass


def test_radix_router_adds_and_resolves():
    from FasterAPI import RadixRouter

    router = RadixRouter()
    router.add_route("GET", "/users/{id}", handler_a, metadata={"name": "user"})
    router.add_route("get", "/users/me", handler_b)
    router.add_route("POST", "/users/{id}/posts/{post_id}", handler_b, {"status_code": 201})
    router.add_route("GET", "/static/{rest:path}", handler_a)
    assert len(router) == 4
    assert router.resolve("GET", "/users/42") == (handler_a, {"id": "42"}, {"name": "user"})
    # static segments beat parameters, whatever the order they were added in
    assert router.resolve("GET", "/users/me") == (handler_b, {}, {})
    assert router.resolve("post", "/users/7/posts/9") == (
        handler_b,
        {"id": "7", "post_id": "9"},
        {"status_code": 201},
    )
    assert router.resolve("GET", "/static/css/site.css") == (
        handler_a,
        {"rest": "css/site.css"},
        {},
    )
    assert router.resolve("HEAD", "/users/42")[0] is handler_a  # HEAD falls back to GET
    assert router.resolve("DELETE", "/users/42") is None  # no such method there
    assert router.resolve("GET", "/nowhere") is None
    assert router.resolve("GET", "/users/42/") is None  # FastAPI's paths: the slash counts


def test_radix_router_keeps_the_first_handler_and_refuses_bad_paths():
    from FasterAPI.router import RadixRouter

    router = RadixRouter()
    metadata = {"first": True}
    router.add_route("GET", "/items/{item_id}", handler_a, metadata)
    router.add_route("GET", "/items/{item_id}", handler_b)  # FastAPI: the first one wins
    assert len(router) == 1
    found = router.resolve("GET", "/items/1")
    assert found[0] is handler_a and found[2] is metadata
    with pytest.raises(ValueError, match="must start with '/'"):
        router.add_route("GET", "items", handler_a)
    router.add_route("GET", "/files/{a:path}", handler_a)
    with pytest.raises(ValueError, match="conflicts"):
        router.add_route("GET", "/files/{b}", handler_b)
    assert len(router) == 2


# -- the app: on_startup / on_shutdown, request.path, content_type, websocket.path -------------


def test_on_startup_is_a_decorator_and_fastapis_list(door):
    from FasterAPI import FastAPI

    calls = []
    app = FastAPI(on_startup=[lambda: calls.append("from the list")])

    @app.on_startup
    async def decorated():
        calls.append("decorated")

    returned = app.on_shutdown(lambda: calls.append("shutdown"))
    assert callable(returned)
    assert isinstance(app.on_startup, list) and len(app.on_startup) == 2
    app.on_startup.append(lambda: calls.append("appended"))

    with open_client(app, door):
        assert calls == ["from the list", "decorated", "appended"]
    assert calls[-1] == "shutdown"


def test_app_written_for_faster_api_web(door):
    faster_api_web_app.EVENTS.clear()
    with open_client(faster_api_web_app.app, door) as client:
        assert faster_api_web_app.EVENTS == ["startup async", "startup sync"]
        response = client.post("/inspect/ann?x=1", data={"a": "1"})
        assert response.json() == {
            "path": "/inspect/ann",
            "content_type": "application/x-www-form-urlencoded",
            "form": {"a": "1"},
            "name": "ann",
        }
        response = client.post(
            "/inspect/bob",
            content=b"a=2",
            headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"},
        )
        assert response.json() == {
            "path": "/inspect/bob",
            "content_type": "application/x-www-form-urlencoded; charset=utf-8",
            "form": {"a": "2"},
            "name": "bob",
        }
        with pytest.warns(FastAPIDeprecationWarning, match="UJSONResponse is deprecated"):
            inspected = client.get("/inspect")  # UJSONResponse, deprecated as in FastAPI 0.165
        assert inspected.json() == {"path": "/inspect", "content_type": None}
        assert client.get("/users/3").json() == {"user_id": 3}
        assert client.get("/later").json() == {"ok": True}
        assert faster_api_web_app.EVENTS[-1] == "background ran"
        with client.websocket_connect("/ws/lobby") as ws:
            ws.send_text("hi")
            assert ws.receive_json() == {"path": "/ws/lobby", "room": "lobby", "text": "hi"}
    assert faster_api_web_app.EVENTS[-1] == "shutdown"


def test_openapi_generator_and_ui():
    from FasterAPI.openapi.generator import generate_openapi
    from FasterAPI.openapi.ui import redoc_html, swagger_ui_html

    app = faster_api_web_app.app
    document = generate_openapi(app)
    assert document is app.openapi()
    assert "/users/{user_id}" in document["paths"]
    renamed = generate_openapi(app, title="Shop", version="2.0", description="All of it")
    assert renamed["info"] == {"title": "Shop", "version": "2.0", "description": "All of it"}
    assert renamed["paths"] is document["paths"]
    # the app's own document is left alone (its title is the default, FastAPI's)
    assert app.openapi()["info"]["title"] == "FastAPI"
    page = swagger_ui_html("/openapi.json", title="Docs <1>")
    assert "SwaggerUIBundle" in page and "url: '/openapi.json'" in page
    assert "<title>Docs &lt;1&gt;</title>" in page
    assert 'spec-url="/openapi.json"' in redoc_html("/openapi.json")


# -- concurrency ---------------------------------------------------------------------------------


async def coroutine_function():
    pass


class AsyncCallable:
    async def __call__(self):
        pass


def test_is_coroutine():
    from FasterAPI.concurrency import is_coroutine

    assert is_coroutine(coroutine_function)
    assert is_coroutine(functools.partial(coroutine_function))
    assert is_coroutine(AsyncCallable())
    assert not is_coroutine(AsyncCallable)  # calling the class makes an instance
    assert not is_coroutine(handler_a)
    assert not is_coroutine(len)


def test_run_in_executor_runs_in_another_process():
    import os

    from FasterAPI.concurrency import run_in_executor

    async def main():
        result = await run_in_executor(cpu_work.describe, 2, 3, scale=2)
        with pytest.raises(cpu_work.WorkError, match="no negatives"):
            await run_in_executor(cpu_work.fail, "no negatives")
        return result

    result = asyncio.run(main())
    assert result["sum"] == 10 and result["pid"] != os.getpid()
