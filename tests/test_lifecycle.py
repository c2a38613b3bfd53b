"""Lifecycle and background work: lifespan state in request.state, on_startup/on_shutdown and
@app.on_event, app.state, BackgroundTasks and Response(background=...), through both doors."""

import logging
import time
from contextlib import asynccontextmanager

import pytest
from FasterAPI import BackgroundTasks, Depends, Faster, Request
from FasterAPI.background import BackgroundTask
from FasterAPI.responses import JSONResponse

from tests.apps import deps_app
from tests.support.doors import open_client


def test_startup_and_shutdown_hooks_in_order_with_app_state(door):
    events = []

    @asynccontextmanager
    async def lifespan(app):
        events.append("lifespan enter")
        yield
        events.append("lifespan exit")

    async def async_start():
        events.append("on_startup async")

    app = Faster(
        lifespan=lifespan,
        on_startup=[lambda: events.append("on_startup"), async_start],
        on_shutdown=[lambda: events.append("on_shutdown")],
    )
    app.state.answer = 42

    @app.on_event("startup")
    def decorated():
        events.append("on_event startup")

    @app.on_event("shutdown")
    async def decorated_stop():
        events.append("on_event shutdown")

    @app.get("/")
    def root(request: Request):
        return {"answer": request.app.state.answer}

    with open_client(app, door) as client:
        assert client.get("/").json() == {"answer": 42}
        assert events == ["on_startup", "on_startup async", "on_event startup", "lifespan enter"]
    assert events[4:] == ["lifespan exit", "on_shutdown", "on_event shutdown"]
    with pytest.raises(ValueError, match="unknown event"):
        app.on_event("boot")


def test_background_tasks_run_after_the_response_in_order_and_a_failure_is_only_logged(
    make_client, caplog
):
    app = Faster()
    done = []

    def broken():
        raise RuntimeError("task failed")

    async def later(value):
        done.append(value)

    @app.post("/")
    async def handler(tasks: BackgroundTasks):
        tasks.add_task(done.append, "sync")
        tasks.add_task(broken)
        tasks.add_task(later, value="async")
        done.append("handler")
        return {"queued": 3}

    client = make_client(app)
    with caplog.at_level(logging.ERROR, logger="fasterapi.error"):
        response = client.post("/")
        assert (response.status_code, response.json()) == (200, {"queued": 3})
        # (on the native server the tasks run once the response is written: the client may
        # read it before they are done)
        assert _soon(lambda: len(done) == 3)
    assert done == ["handler", "sync", "async"]
    assert "Background task" in caplog.text and "task failed" in caplog.text
    done.clear()
    assert client.post("/").status_code == 200  # later requests are not affected
    assert _soon(lambda: len(done) == 3) and done == ["handler", "sync", "async"]


def _soon(check, timeout: float = 5.0) -> bool:
    """Whether `check()` becomes true within `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.005)
    return True


def test_a_response_background_task(make_client):
    app = Faster()
    done = []

    @app.get("/")
    def handler():
        return JSONResponse({"ok": True}, background=BackgroundTask(done.append, "after"))

    @app.get("/both")
    def both(tasks: BackgroundTasks):
        tasks.add_task(done.append, "injected")
        return JSONResponse({}, background=BackgroundTask(done.append, "own"))

    @app.get("/same")
    def same(tasks: BackgroundTasks):
        tasks.add_task(done.append, "once")
        return JSONResponse({}, background=tasks)

    client = make_client(app)
    assert client.get("/").json() == {"ok": True}
    assert done == ["after"]
    done.clear()
    client.get("/both")
    assert done == ["own"]  # as FastAPI: the response's own tasks replace the request's
    done.clear()
    client.get("/same")
    assert done == ["once"]  # the request's tasks, given back as the response's: run once


def test_background_tasks_in_a_dependency_run_before_its_teardown(make_client):
    app = Faster()
    events = []

    async def resource(tasks: BackgroundTasks):
        tasks.add_task(events.append, "task")
        try:
            yield "r"
        finally:
            events.append("teardown")

    @app.get("/")
    def handler(r: str = Depends(resource)):
        return {"r": r}

    assert make_client(app).get("/").json() == {"r": "r"}
    assert events == ["task", "teardown"]


def test_dependencies_background_tasks_and_lifespan_state(door, capsys):
    """tests/apps/deps_app.py prints what happens after a response, one line each."""
    deps_app.app.state.startups = 0  # the module's app: a lifespan earlier in this process
    with open_client(deps_app.app, door) as client:
        response = client.get("/work", headers={"request-id": "7"})
        assert (response.status_code, response.json()) == (
            200,
            {"session": "session-7", "greeting": "hello", "startups": 1},
        )
        printed = capsys.readouterr().out.splitlines()
        assert printed[0] == "lifespan enter"
        assert [line for line in printed if line.endswith("7")] == [
            "open 7",
            "task for session-7",
            "close 7",
        ]

        response = client.get("/work?fail=true", headers={"request-id": "8"})
        assert (response.status_code, response.json()) == (
            409,
            {"detail": "conflict: told to fail"},
        )
        assert capsys.readouterr().out.splitlines() == ["open 8", "close 8"]

        response = client.get("/work")
        assert response.status_code == 422
        assert response.json()["detail"][0]["loc"] == ["header", "request-id"]
    assert capsys.readouterr().out.splitlines() == ["lifespan exit"]
