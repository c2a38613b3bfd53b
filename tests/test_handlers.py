"""Handlers: async and sync handlers, where sync handlers run, and the Request object."""

import asyncio
import threading

import pytest
from FasterAPI import APIRouter, FastAPI, Request

from tests.support.doors import open_client


def test_async_handler(make_client):
    app = FastAPI()

    @app.get("/a")
    async def a():
        return {"kind": "async"}

    response = make_client(app).get("/a")
    assert response.status_code == 200
    assert response.json() == {"kind": "async"}


def test_sync_handler(make_client):
    app = FastAPI()

    @app.get("/s")
    def s(x: int = 1):
        return {"kind": "sync", "x": x}

    response = make_client(app).get("/s", params={"x": "5"})
    assert response.status_code == 200
    assert response.json() == {"kind": "sync", "x": 5}


def test_async_handler_that_really_suspends(make_client):
    app = FastAPI()

    @app.get("/sleep")
    async def sleep():
        await asyncio.sleep(0.01)
        task = asyncio.current_task()
        return {"slept": True, "has_task": task is not None}

    assert make_client(app).get("/sleep").json() == {"slept": True, "has_task": True}


def test_async_handler_gathers(make_client):
    app = FastAPI()

    async def double(n):
        await asyncio.sleep(0)
        return n * 2

    @app.get("/gather")
    async def gather():
        return await asyncio.gather(double(1), double(2), double(3))

    assert make_client(app).get("/gather").json() == [2, 4, 6]


def test_async_handler_sees_running_loop(make_client):
    app = FastAPI()

    @app.get("/loop")
    async def loop():
        running = asyncio.get_running_loop()
        future = running.create_future()
        running.call_soon(future.set_result, "done")
        return {"result": await future}

    assert make_client(app).get("/loop").json() == {"result": "done"}


def test_request_object(make_client):
    app = FastAPI()

    @app.post("/req/{name}")
    async def req(name: str, request: Request):
        return {
            "method": request.method,
            "path": request.url.path,
            "query": dict(request.query_params),
            "header": request.headers.get("x-probe"),
            "path_params": request.path_params,
            "body": (await request.body()).decode(),
            "cookie": request.cookies.get("c"),
        }

    client = make_client(app)
    response = client.post(
        "/req/joe?a=1&b=2",
        content=b"raw",
        headers={"X-Probe": "p", "content-type": "text/plain", "cookie": "c=v"},
    )
    assert response.json() == {
        "method": "POST",
        "path": "/req/joe",
        "query": {"a": "1", "b": "2"},
        "header": "p",
        "path_params": {"name": "joe"},
        "body": "raw",
        "cookie": "v",
    }


def test_request_json(make_client):
    app = FastAPI()

    @app.post("/json")
    async def json_(request: Request):
        return {"got": await request.json()}

    assert make_client(app).post("/json", json={"k": [1]}).json() == {"got": {"k": [1]}}


def has_running_loop():
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


def thread_app():
    app = FastAPI()
    seen = {}

    @app.get("/async-thread")
    async def async_thread():
        seen["async"] = threading.get_ident()
        return {}

    @app.get("/sync-thread")
    def sync_thread():
        seen["sync"] = threading.get_ident()
        seen["sync_has_loop"] = has_running_loop()
        return {}

    return app, seen


def test_sync_and_async_handlers_both_record_threads(door):
    app, seen = thread_app()
    with open_client(app, door) as client:
        assert client.get("/async-thread").status_code == 200
        assert client.get("/sync-thread").status_code == 200
    assert set(seen) == {"async", "sync", "sync_has_loop"}


@pytest.mark.fasterapi_only
def test_sync_handler_runs_on_event_loop_thread(door):
    # FastAPI runs def handlers in a thread pool; FasterAPI runs them inline on the loop.
    # `with` keeps one loop thread alive, so the thread ids are comparable.
    app, seen = thread_app()
    with open_client(app, door) as client:
        client.get("/async-thread")
        client.get("/sync-thread")
    assert seen["sync"] == seen["async"]
    assert seen["sync_has_loop"] is True


@pytest.mark.fasterapi_only
def test_threadpool_route_option_runs_sync_handler_in_worker_thread(door):
    app = FastAPI()
    seen = {}

    @app.get("/loop")
    async def loop():
        seen["loop"] = threading.get_ident()
        return {}

    @app.get("/t", threadpool=True)
    def in_pool(x: int = 0):
        seen["pool"] = threading.get_ident()
        seen["pool_has_loop"] = has_running_loop()
        return {"x": x}

    @app.get("/inline")
    def inline():
        seen["inline"] = threading.get_ident()
        return {}

    with open_client(app, door) as client:
        client.get("/loop")
        response = client.get("/t", params={"x": "3"})
        client.get("/inline")
    assert response.status_code == 200
    assert response.json() == {"x": 3}
    assert seen["pool"] != seen["loop"]
    assert seen["pool_has_loop"] is False
    assert seen["inline"] == seen["loop"]


@pytest.mark.fasterapi_only
def test_threadpool_route_option_on_router(door):
    router = APIRouter(prefix="/r")
    seen = {}

    @router.get("/t", threadpool=True)
    def in_pool():
        seen["pool"] = threading.get_ident()
        return {"ok": True}

    @router.get("/loop")
    async def loop():
        seen["loop"] = threading.get_ident()
        return {}

    app = FastAPI()
    app.include_router(router)
    with open_client(app, door) as client:
        assert client.get("/r/t").json() == {"ok": True}
        client.get("/r/loop")
    assert seen["pool"] != seen["loop"]
