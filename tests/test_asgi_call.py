"""The Rust front door: `app(scope, receive, send)` returns an AsgiCall that steps receive,
the handler and send itself. These tests drive it directly, as an ASGI server does, through
each way an awaitable can behave: finishing at once, suspending on a future or a bare
yield, raising, being cancelled, thrown into or closed."""

import asyncio
import inspect

import msgspec
import pytest
from FasterAPI import Faster, HTTPException
from FasterAPI.responses import PlainTextResponse

from tests.support.asgi import Peer, scope

events: list[str] = []


class Item(msgspec.Struct):
    name: str


def make_app() -> Faster:
    app = Faster()

    @app.get("/now")
    async def now():
        return {"at": "once"}

    @app.get("/sleep")
    async def sleep(seconds: float = 0.0):
        await asyncio.sleep(0)  # a bare yield
        await asyncio.sleep(seconds)  # a future
        return {"slept": seconds}

    @app.get("/wait")
    async def wait():
        try:
            await asyncio.Event().wait()
        except ValueError as exc:  # thrown in by the test
            return {"caught": str(exc)}
        finally:
            events.append("finally")

    @app.get("/fail")
    async def fail():
        await asyncio.sleep(0)
        raise HTTPException(418, "teapot")

    @app.get("/crash")
    async def crash():
        await asyncio.sleep(0)
        raise RuntimeError("boom")

    @app.post("/items")
    async def create(item: Item):
        return {"name": item.name}

    @app.get("/sync")
    def sync_handler():
        return PlainTextResponse("inline")

    @app.get("/pooled", threadpool=True)
    def pooled():
        return {"pooled": True}

    return app


def run(coroutine):
    return asyncio.run(coroutine)


def test_the_app_looks_like_an_asgi3_coroutine_function_and_returns_a_coroutine():
    app = make_app()
    assert inspect.iscoroutinefunction(app.__call__)  # how uvicorn and hypercorn tell ASGI 3
    peer = Peer()
    call = app(scope("GET", "/now"), peer.receive, peer.send)
    assert asyncio.iscoroutine(call)
    call.close()  # never started: nothing ran
    assert peer.sent == []


def test_create_task_runs_a_request():
    async def main():
        peer = Peer()
        await asyncio.create_task(make_app()(scope("GET", "/now"), peer.receive, peer.send))
        return peer

    peer = run(main())
    assert (peer.status, peer.json) == (200, {"at": "once"})


def test_a_handler_that_suspends_on_a_bare_yield_and_on_a_future():
    peer = Peer()
    run(make_app()(scope("GET", "/sleep", b"seconds=0.01"), peer.receive, peer.send))
    assert (peer.status, peer.json) == (200, {"slept": 0.01})


def test_a_body_in_several_messages_and_a_slow_send():
    peer = Peer([b'{"na', b'me": "w', b'idget"}'], slow_send=True)
    run(make_app()(scope("POST", "/items"), peer.receive, peer.send))
    assert (peer.status, peer.json) == (200, {"name": "widget"})


def test_a_client_gone_before_its_body_gets_no_response():
    peer = Peer([])  # the first message is http.disconnect
    run(make_app()(scope("POST", "/items"), peer.receive, peer.send))
    assert peer.sent == []


def test_exceptions_after_a_suspension_reach_the_handlers():
    app = make_app()
    peer = Peer()
    run(app(scope("GET", "/fail"), peer.receive, peer.send))
    assert (peer.status, peer.json) == (418, {"detail": "teapot"})
    peer = Peer()
    with pytest.raises(RuntimeError, match="boom"):  # re-raised for the server to log
        run(app(scope("GET", "/crash"), peer.receive, peer.send))
    assert (peer.status, peer.json) == (500, {"detail": "Internal Server Error"})


def test_cancelling_the_task_cancels_the_handler():
    async def main():
        peer = Peer()
        task = asyncio.create_task(make_app()(scope("GET", "/wait"), peer.receive, peer.send))
        await asyncio.sleep(0.01)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        return peer

    events.clear()
    peer = run(main())
    assert events == ["finally"] and peer.sent == []


def test_throw_goes_into_the_suspended_handler():
    async def main():
        peer = Peer()
        call = make_app()(scope("GET", "/wait"), peer.receive, peer.send)
        future = call.send(None)  # suspended in Event.wait()
        assert isinstance(future, asyncio.Future)
        future.cancel()  # nobody will complete it
        with pytest.raises(StopIteration):  # the handler caught it, answered and finished
            call.throw(ValueError("stop waiting"))
        return peer

    peer = run(main())
    assert (peer.status, peer.json) == (200, {"caught": "stop waiting"})


def test_close_closes_the_suspended_handler():
    async def main():
        call = make_app()(scope("GET", "/wait"), Peer().receive, Peer().send)
        call.send(None).cancel()
        call.close()
        with pytest.raises(RuntimeError, match="cannot reuse"):
            call.send(None)  # over, as a closed coroutine is

    events.clear()
    run(main())
    assert events == ["finally"]


def test_sync_handlers_inline_and_in_the_thread_pool():
    app = make_app()
    peer = Peer()
    run(app(scope("GET", "/sync"), peer.receive, peer.send))
    assert (peer.status, peer.sent[1]["body"]) == (200, b"inline")
    peer = Peer()
    run(app(scope("GET", "/pooled"), peer.receive, peer.send))
    assert (peer.status, peer.json) == (200, {"pooled": True})


def test_head_sends_the_headers_without_the_body():
    peer = Peer()
    run(make_app()(scope("HEAD", "/now"), peer.receive, peer.send))
    headers = dict(peer.sent[0]["headers"])
    assert headers[b"content-length"] == b"%d" % len(b'{"at":"once"}')
    assert peer.sent[1] == {"type": "http.response.body", "body": b""}


def test_explicit_dunder_call_and_awaiting_twice_is_an_error():
    async def main():
        app = make_app()
        peer = Peer()
        await app.__call__(scope("GET", "/now"), peer.receive, peer.send)
        call = app(scope("GET", "/now"), peer.receive, peer.send)
        await call
        with pytest.raises(RuntimeError, match="cannot reuse already awaited"):
            await call  # as with a coroutine
        return peer

    peer = run(main())
    assert [m["type"] for m in peer.sent].count("http.response.start") == 2


# -- regressions ---------------------------------------------------------------------------------


def test_a_send_that_raises_is_not_answered_by_the_exception_handlers():
    app = make_app()
    handled = []

    @app.exception_handler(OSError)
    async def on_os_error(request, exc):
        handled.append(exc)
        return PlainTextResponse("handled", status_code=500)

    async def send(message):
        raise OSError("transport closed")

    with pytest.raises(OSError, match="transport closed"):
        run(app(scope("GET", "/now"), Peer().receive, send))
    assert handled == []


def test_throw_with_a_type_and_a_value_and_send_into_an_unstarted_call():
    async def main():
        call = make_app()(scope("GET", "/wait"), Peer().receive, Peer().send)
        with pytest.raises(TypeError, match="non-None value to a just-started"):
            call.send(1)
        call.send(None).cancel()
        with pytest.raises(StopIteration):
            call.throw(ValueError, "as a value")

    events.clear()
    run(main())
    assert events == ["finally"]


def test_an_async_endpoint_must_return_an_awaitable():
    app = Faster()

    def generator():
        yield 1

    class Handler:
        def __call__(self):
            return generator()

    app.add_api_route("/gen", Handler())
    app.routes[-1].is_async = app.routes[-1].awaited = True  # as if it were marked async
    app._routes_changed()
    peer = Peer()
    with pytest.raises(TypeError, match="can't be used in 'await' expression"):
        run(app(scope("GET", "/gen"), peer.receive, peer.send))
    assert peer.status == 500


def test_an_abandoned_suspended_call_is_collected():
    """A task suspended in a handler that holds the task itself (a cycle through the call)
    is freed by the garbage collector once nothing else refers to it."""
    import gc
    import weakref

    app = Faster()
    alive = []

    class Marker:
        pass

    @app.get("/hang")
    async def hang():
        marker, task = Marker(), asyncio.current_task()  # noqa: F841 - kept in the frame
        alive.append(weakref.ref(marker))
        await asyncio.Event().wait()

    async def main():
        task = asyncio.ensure_future(app(scope("GET", "/hang"), Peer().receive, Peer().send))
        await asyncio.sleep(0)
        return task

    loop = asyncio.new_event_loop()
    task = loop.run_until_complete(main())
    task._log_destroy_pending = False
    del task
    loop.close()
    gc.collect()
    assert len(alive) == 1 and alive[0]() is None


def test_an_app_in_a_cycle_with_its_routes_is_collected():
    import gc
    import weakref

    def serve_once():
        app = Faster()

        @app.get("/")
        async def root():
            return {"title": app.title}  # the handler refers to the app

        app.dependency_overrides[len] = lambda: app  # and so does an override
        peer = Peer()
        run(app(scope("GET", "/"), peer.receive, peer.send))
        return weakref.ref(app), peer.status

    ref, status = serve_once()
    gc.collect()
    assert status == 200 and ref() is None
