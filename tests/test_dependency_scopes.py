"""Depends(scope=...) and Depends(max_concurrency=...), as FastAPI 0.165 has them: a yield
dependency of scope "function" ends once the handler has returned (before the response is
sent), one of scope "request" (the default) after the response and the background tasks; a
"request" one cannot depend on a "function" one; max_concurrency limits the calls of one
declaration running at once. Through both doors (the `client` and `make_client` fixtures:
TestClient, and the native server over a socket), and the ASGI door driven by hand (to run
requests side by side)."""

import asyncio
import dataclasses
import threading
import time
from typing import Annotated

import pytest
from FasterAPI import BackgroundTasks, Depends, Faster, HTTPException, Security, WebSocket
from FasterAPI.dependencies.models import _get_cache_key
from FasterAPI.exceptions import DependencyScopeError, FastAPIError

from tests.apps import scopes_app
from tests.support.asgi import Peer, scope


def recorder():
    """A list of events and a yield dependency factory that records its steps in it."""
    events: list[str] = []

    def dependency(name: str):
        def gen():
            events.append(f"enter {name}")
            try:
                yield name
            except Exception as exc:
                events.append(f"{name} saw {exc}")
                raise
            finally:
                events.append(f"exit {name}")

        return gen

    return events, dependency


# -- the declarations ---------------------------------------------------------------------------


def test_depends_and_security_take_fastapis_keywords():
    def dep():
        pass

    declared = Depends(dep, use_cache=False, scope="function", max_concurrency=3)
    assert (declared.dependency, declared.use_cache, declared.scope) == (dep, False, "function")
    assert declared.max_concurrency == 3
    security = Security(dep, scopes=["read"], scope="request", max_concurrency=1)
    assert (security.scopes, security.scope, security.max_concurrency) == (["read"], "request", 1)
    assert hash(Depends(dep)) == hash(Depends(dep)) and Depends(dep) == Depends(dep)
    assert Depends(dep) != Depends(dep, scope="function")
    # each declaration with a limit is its own limit
    assert Depends(dep, max_concurrency=1) != Depends(dep, max_concurrency=1)
    with pytest.raises(TypeError):
        Depends(dep, True)  # use_cache and the others are keyword-only, as in FastAPI


@pytest.mark.parametrize("value", [0, -1, True, 1.5, "2"])
def test_max_concurrency_must_be_a_positive_integer(value):
    with pytest.raises(ValueError, match="max_concurrency.*positive integer or None"):
        Depends(max_concurrency=value)


def test_an_unknown_scope_is_refused_by_name():
    with pytest.raises(ValueError, match="scope='session'"):
        Depends(scope="session")


def test_replace_keeps_the_limit_unless_it_changes():
    original = Depends(max_concurrency=2)
    assert dataclasses.replace(original, use_cache=False)._concurrency is original._concurrency
    changed = dataclasses.replace(original, max_concurrency=3)
    assert changed._concurrency is not original._concurrency
    assert changed._concurrency.max_concurrency == 3
    assert dataclasses.replace(original, max_concurrency=None)._concurrency is None


# -- when the code after yield runs -------------------------------------------------------------


@pytest.fixture(scope="module", name="app")
def scopes_app_fixture():
    return scopes_app.app


def test_function_scope_ends_before_the_response_request_scope_after(client):
    scopes_app.events.clear()
    response = client.get("/scopes", headers={"request-id": "1"})
    assert response.json() == {"function": False, "request": True}
    # two sessions (each scope is its own cached value); function's closes before the body
    assert scopes_app.events == ["open 1", "open 1", "close 1", "stream 1", "task 1", "close 1"]


def test_an_exception_reaches_function_scope_first_then_request_scope(make_client):
    events, dependency = recorder()
    app = Faster()

    @app.get("/")
    def endpoint(
        a: Annotated[str, Depends(dependency("request"))],
        b: Annotated[str, Depends(dependency("function"), scope="function")],
    ):
        raise ValueError("boom")

    response = make_client(app, raise_server_exceptions=False).get("/")
    assert response.status_code == 500
    assert events == [
        "enter request",
        "enter function",
        "function saw boom",
        "exit function",
        "request saw boom",
        "exit request",
    ]


def test_function_scope_may_turn_an_exception_into_the_answer(make_client):
    def translate():
        try:
            yield
        except KeyError as exc:
            raise HTTPException(404, f"no {exc}") from exc

    app = Faster()

    @app.get("/", dependencies=[Depends(translate, scope="function")])
    def endpoint():
        raise KeyError("item")

    response = make_client(app).get("/")
    assert (response.status_code, response.json()) == (404, {"detail": "no 'item'"})


def test_an_error_after_yield_answers_in_function_scope_only(client, make_client):
    response = client.get("/fail/function")
    assert (response.status_code, response.json()) == (503, {"detail": "failed after yield"})

    app = Faster(dependencies=[Depends(scopes_app.fail_after_yield, scope="request")])

    @app.get("/")
    def endpoint():
        return "sent"

    # the response is out before the error: the client gets it, the server logs the error
    response = make_client(app, raise_server_exceptions=False).get("/")
    assert (response.status_code, response.json()) == (200, "sent")


@pytest.mark.parametrize("kind", ["async", "sync"])
def test_a_generator_that_does_not_yield_once_fails_as_contextlib_says(make_client, kind):
    """A yield dependency that ends without yielding, or yields again at its exit, is a
    RuntimeError (contextlib's words), thrown into the ones entered before it (one that
    yielded again is closed first): in solving or in scope "function" it is answered (a 500);
    in scope "request" the response is out and the error goes to the server."""
    events, dependency = recorder()

    async def async_none():
        if events is None:
            yield

    def sync_none():
        if events is None:
            yield

    async def async_twice():
        try:
            yield "first"
            events.append("yielded again")
            yield "second"
        finally:
            events.append("closed")

    def sync_twice():
        try:
            yield "first"
            events.append("yielded again")
            yield "second"
        finally:
            events.append("closed")

    none, twice = (async_none, async_twice) if kind == "async" else (sync_none, sync_twice)
    app = Faster()

    @app.get("/none", dependencies=[Depends(dependency("outer")), Depends(none)])
    def no_value():
        return "unreachable"

    @app.get(
        "/twice/function",
        dependencies=[
            Depends(dependency("outer"), scope="function"),
            Depends(twice, scope="function"),
        ],
    )
    def in_function_scope():
        return "built"

    @app.get("/twice/request", dependencies=[Depends(dependency("outer")), Depends(twice)])
    def in_request_scope():
        return "sent"

    client = make_client(app, raise_server_exceptions=False)
    response = client.get("/none")
    assert response.status_code == 500
    assert events == ["enter outer", "outer saw generator didn't yield", "exit outer"]
    events.clear()
    response = client.get("/twice/function")
    assert response.status_code == 500
    assert events == [
        "enter outer",
        "yielded again",
        "closed",
        "outer saw generator didn't stop",
        "exit outer",
    ]
    events.clear()
    response = client.get("/twice/request")
    assert (response.status_code, response.json()) == (200, "sent")
    deadline = time.monotonic() + 5  # (the native server runs the exits after writing)
    while len(events) < 5 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert events == [
        "enter outer",
        "yielded again",
        "closed",
        "outer saw generator didn't stop",
        "exit outer",
    ]


def test_background_tasks_run_between_function_and_request_exits(make_client):
    events, dependency = recorder()
    app = Faster()

    @app.get("/")
    def endpoint(
        tasks: BackgroundTasks,
        a: Annotated[str, Depends(dependency("request"))],
        b: Annotated[str, Depends(dependency("function"), scope="function")],
    ):
        tasks.add_task(events.append, "task")
        return "ok"

    assert make_client(app).get("/").json() == "ok"
    assert events == ["enter request", "enter function", "exit function", "task", "exit request"]


def test_websocket_function_scope_ends_when_the_endpoint_returns(make_client):
    events, dependency = recorder()
    app = Faster()

    @app.websocket("/ws")
    async def ws(
        websocket: WebSocket,
        a: Annotated[str, Depends(dependency("request"))],
        b: Annotated[str, Depends(dependency("function"), scope="function")],
    ):
        await websocket.accept()
        await websocket.send_text(a + b)
        await websocket.close()
        events.append("endpoint done")

    with make_client(app).websocket_connect("/ws") as websocket:
        assert websocket.receive_text() == "requestfunction"
    assert events == [
        "enter request",
        "enter function",
        "endpoint done",
        "exit function",
        "exit request",
    ]


def test_a_request_scoped_dependency_cannot_depend_on_a_function_scoped_one(make_client):
    def inner():
        yield "inner"

    def outer(value: Annotated[str, Depends(inner, scope="function")]):
        yield value

    app = Faster()
    message = (
        'The dependency "outer" has a scope of "request", it cannot depend on '
        'dependencies with scope "function".'
    )
    with pytest.raises(DependencyScopeError, match=message):

        @app.get("/")
        def endpoint(value: Annotated[str, Depends(outer)]):
            pass  # pragma: no cover

    assert issubclass(DependencyScopeError, FastAPIError)

    @app.get("/function")  # a function-scoped one may, and so may a plain function
    def fine(
        value: Annotated[str, Depends(outer, scope="function")],
        plain: Annotated[str, Depends(lambda value=Depends(inner, scope="function"): value)],
    ):
        return value + plain

    assert make_client(app).get("/function").json() == "innerinner"


def test_each_scope_is_cached_apart(make_client):
    calls = []

    def dependency():
        calls.append("call")
        yield len(calls)

    app = Faster()

    @app.get("/")
    def endpoint(
        a: Annotated[int, Depends(dependency)],
        b: Annotated[int, Depends(dependency, scope="request")],
        c: Annotated[int, Depends(dependency, scope="function")],
    ):
        return [a, b, c]

    # no scope is "request" for a yield dependency: a and b are one value
    assert make_client(app).get("/").json() == [1, 1, 2]


# -- max_concurrency ----------------------------------------------------------------------------


async def get_all(app, paths):
    """Runs GET requests to `paths` side by side through the ASGI door."""
    peers = [Peer([b""]) for _ in paths]
    targets = [path.partition("?")[::2] for path in paths]
    await asyncio.gather(
        *(
            app(scope("GET", path, query.encode()), peer.receive, peer.send)
            for (path, query), peer in zip(targets, peers, strict=True)
        )
    )
    return [(peer.status, peer.json) for peer in peers]


@pytest.mark.parametrize("kind", ["async", "async_yield", "sync_yield"])
def test_max_concurrency_limits_one_declaration_across_routes(kind):
    active, peak = [0], [0]

    def enter():
        active[0] += 1
        peak[0] = max(peak[0], active[0])

    async def asynchronous():
        enter()
        await asyncio.sleep(0.02)
        active[0] -= 1
        return "ok"

    async def async_yield():
        enter()
        try:
            yield "ok"
        finally:
            active[0] -= 1

    def sync_yield():
        enter()
        try:
            yield "ok"
        finally:
            active[0] -= 1

    dependency = {"async": asynchronous, "async_yield": async_yield, "sync_yield": sync_yield}
    declaration = Depends(dependency[kind], max_concurrency=2)
    app = Faster()

    @app.get("/one")
    @app.get("/two")
    async def endpoint(value: Annotated[str, declaration]):
        await asyncio.sleep(0.02)
        return value

    async def main():
        answers = await get_all(app, ["/one", "/two"] * 3)
        return answers, declaration._concurrency.get_semaphore()

    answers, semaphore = asyncio.run(main())
    assert answers == [(200, "ok")] * 6
    assert peak[0] == 2 and active[0] == 0
    assert semaphore.value == 2 and semaphore.statistics().tasks_waiting == 0


def test_a_cached_value_takes_no_place_and_errors_give_theirs_back():
    def dependency(fail: bool = False):
        if fail:
            raise HTTPException(418, "no")
        yield "ok"

    declaration = Depends(dependency, max_concurrency=1)
    app = Faster()

    @app.get("/")
    async def endpoint(a: Annotated[str, declaration], b: Annotated[str, declaration]):
        return [a, b, declaration._concurrency.get_semaphore().value]

    async def main():
        answers = await get_all(app, ["/", "/?fail=true", "/"])
        return answers, declaration._concurrency.get_semaphore().value

    answers, value = asyncio.run(main())
    assert answers == [(200, ["ok", "ok", 0]), (418, {"detail": "no"})] + [(200, ["ok", "ok", 0])]
    assert value == 1


def test_each_declaration_has_its_own_limit_and_loop():
    first, second = Depends(max_concurrency=1), Depends(max_concurrency=1)

    async def semaphores():
        return first._concurrency.get_semaphore(), second._concurrency.get_semaphore()

    one, two = asyncio.run(semaphores())
    assert one is not two
    assert asyncio.run(semaphores())[0] is not one  # a new event loop has its own


def test_the_cache_key_holds_the_scope():
    from FasterAPI.dependencies.models import Dependant

    def gen():
        yield  # pragma: no cover

    assert _get_cache_key(dependant=Dependant(call=gen)) == (gen, (), "request")
    assert _get_cache_key(dependant=Dependant(call=gen, scope="function")) == (
        gen,
        (),
        "function",
    )


def test_max_concurrency_holds_for_requests_side_by_side(client):
    scopes_app.state["peak"] = 0
    answers = []

    def get_limited():
        response = client.get("/limited")
        answers.append((response.status_code, response.json()))

    threads = [threading.Thread(target=get_limited) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert answers == [(200, "limited")] * 6
    assert client.get("/peak").json() == 2


# -- `def` dependencies run where their route runs its `def` handler ----------------------------

THREADS = {
    "/threads/pool": {"plain": "pool", "yield": "pool", "handler": "pool"},
    "/threads/inline": {"plain": "loop", "yield": "loop", "handler": "loop"},
}


def test_def_dependencies_follow_the_routes_threadpool(client):
    for path, expected in THREADS.items():
        assert client.get(path).json() == expected


# -- fastapi.dependencies.utils -------------------------------------------------------------------


def test_get_dependant_and_parameterless_sub_dependant_take_fastapis_keywords():
    from FasterAPI import Query
    from FasterAPI.dependencies.utils import get_dependant, get_parameterless_sub_dependant

    def lookup(item_id: int, q: str = Query("x")) -> int:
        return item_id

    limited = Depends(lookup, use_cache=False, scope="function", max_concurrency=2)
    sub = get_parameterless_sub_dependant(depends=limited, path="/items/{item_id}")
    assert (sub.call, sub.name, sub.use_cache, sub.scope) == (lookup, None, False, "function")
    assert sub.concurrency is limited._concurrency
    named = get_dependant(path="/items/{item_id}", call=lookup, name="item", own_oauth_scopes=["r"])
    assert (named.name, named.own_oauth_scopes) == ("item", ["r"])
    assert [name for name, _ in named.args] == ["item_id", "q"]
    with pytest.raises(TypeError, match="bogus"):
        get_dependant(path="/", call=lookup, bogus=1)
