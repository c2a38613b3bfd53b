"""Depends: callables of every kind, nesting, caching, their own parameters, yield
dependencies and their teardown, route/router/app dependencies, Security scopes, Annotated
aliases, dependency_overrides, injected objects and cycles."""

import time
from typing import Annotated

import msgspec
import pytest
from FasterAPI import (
    APIRouter,
    BackgroundTasks,
    Depends,
    FastAPI,
    Faster,
    Header,
    HTTPException,
    Request,
    Response,
    Security,
)
from FasterAPI.exceptions import FastAPIError
from FasterAPI.security import SecurityScopes
from FasterAPI.testclient import TestClient

# -- kinds of callables, nesting, caching ----------------------------------------------------


def test_functions_async_functions_classes_and_callable_instances(make_client):
    app = Faster()

    def plain(q: str = "p"):
        return f"plain:{q}"

    async def coroutine():
        return "async"

    class Pager:
        def __init__(self, limit: int = 10):
            self.limit = limit

    class Multiplier:
        def __init__(self, factor: int):
            self.factor = factor

        async def __call__(self, n: int = 2):
            return n * self.factor

    @app.get("/")
    async def handler(
        a: str = Depends(plain),
        b: str = Depends(coroutine),
        pager: Pager = Depends(),
        product: int = Depends(Multiplier(3)),
    ):
        return {"a": a, "b": b, "limit": pager.limit, "product": product}

    client = make_client(app)
    assert client.get("/").json() == {"a": "plain:p", "b": "async", "limit": 10, "product": 6}
    assert client.get("/?q=x&limit=5&n=4").json() == {
        "a": "plain:x",
        "b": "async",
        "limit": 5,
        "product": 12,
    }


def test_nested_dependencies_and_one_call_per_request_unless_use_cache_is_false(make_client):
    app = Faster()
    calls = []

    def base():
        calls.append("base")
        return 1

    def left(x: int = Depends(base)):
        return x + 10

    def right(x: int = Depends(base)):
        return x + 100

    def top(a: int = Depends(left), b: int = Depends(right), c: int = Depends(base)):
        return a + b + c

    @app.get("/cached")
    def cached(total: int = Depends(top)):
        return {"total": total}

    @app.get("/uncached")
    def uncached(a: int = Depends(base), b: int = Depends(base, use_cache=False)):
        return {"sum": a + b}

    client = make_client(app)
    assert client.get("/cached").json() == {"total": 113}
    assert calls == ["base"]
    calls.clear()
    assert client.get("/uncached").json() == {"sum": 2}
    assert calls == ["base", "base"]
    calls.clear()
    client.get("/cached")
    assert calls == ["base"]  # the cache is per request


def test_a_dependency_reads_query_header_cookie_path_and_body(make_client):
    app = Faster()

    class Item(msgspec.Struct):
        name: str

    def source(
        item_id: int,
        q: int,
        token: str = Header(),
        session: str | None = None,
    ):
        return {"item_id": item_id, "q": q, "token": token, "session": session}

    def named(item: Item):
        return item.name

    @app.post("/items/{item_id}")
    def handler(found: dict = Depends(source), name: str = Depends(named), extra: int = 0):
        return {**found, "name": name, "extra": extra}

    client = make_client(app)
    response = client.post(
        "/items/5?q=7&extra=1",
        json={"name": "widget"},
        headers={"token": "t"},
    )
    assert response.json() == {
        "item_id": 5,
        "q": 7,
        "token": "t",
        "session": None,
        "name": "widget",
        "extra": 1,
    }


def test_errors_of_dependencies_and_handler_are_reported_together(make_client):
    app = Faster()

    def needs_q(q: int):
        return q

    @app.get("/")
    def handler(n: int, q: int = Depends(needs_q)):
        return {}

    detail = make_client(app).get("/?q=x&n=y").json()["detail"]
    assert [(e["type"], e["loc"]) for e in detail] == [
        ("int_parsing", ["query", "q"]),
        ("int_parsing", ["query", "n"]),
    ]


def test_a_dependency_with_valid_input_runs_before_the_validation_error(make_client):
    """FastAPI runs every dependency it can; an auth check answers before a 422."""
    app = Faster()

    def auth(token: str | None = Header(None)):
        if token != "secret":
            raise HTTPException(401, "Not authenticated")

    @app.get("/", dependencies=[Depends(auth)])
    def handler(n: int):
        return {"n": n}

    client = make_client(app)
    assert client.get("/?n=x").status_code == 401
    assert client.get("/?n=x", headers={"token": "secret"}).status_code == 422
    assert client.get("/?n=1", headers={"token": "secret"}).json() == {"n": 1}


# -- yield dependencies ------------------------------------------------------------------------


def yield_app(events: list[str]) -> Faster:
    app = Faster()

    def sync_resource():
        events.append("sync enter")
        try:
            yield "sync"
        except ValueError as exc:
            events.append(f"sync caught {exc}")
            raise HTTPException(400, f"bad: {exc}") from exc
        finally:
            events.append("sync exit")

    async def async_resource(inner: str = Depends(sync_resource)):
        events.append("async enter")
        try:
            yield f"async+{inner}"
        finally:
            events.append("async exit")

    @app.get("/ok")
    async def ok(resource: str = Depends(async_resource)):
        events.append("handler")
        return {"resource": resource}

    @app.get("/fail")
    async def fail(resource: str = Depends(async_resource)):
        raise ValueError("boom")

    return app


def test_yield_dependencies_tear_down_after_the_response_innermost_first(make_client):
    events: list[str] = []
    app = yield_app(events)
    sent = []

    async def receive():
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message):
        if message["type"] == "http.response.body":
            events.append("response sent")
        sent.append(message)

    scope = {
        "type": "http",
        "method": "GET",
        "path": "/ok",
        "query_string": b"",
        "headers": [],
        "root_path": "",
    }
    import asyncio

    asyncio.run(app(scope, receive, send))
    assert sent[1]["body"] == b'{"resource":"async+sync"}'
    assert events == [
        "sync enter",
        "async enter",
        "handler",
        "response sent",
        "async exit",
        "sync exit",
    ]
    events.clear()
    assert make_client(app).get("/ok").status_code == 200
    assert events[-2:] == ["async exit", "sync exit"]  # before TestClient returned


def test_an_exception_in_the_handler_is_thrown_into_the_dependency_at_its_yield(make_client):
    events: list[str] = []
    response = make_client(yield_app(events)).get("/fail")
    assert (response.status_code, response.json()) == (400, {"detail": "bad: boom"})
    assert events == [
        "sync enter",
        "async enter",
        "async exit",
        "sync caught boom",
        "sync exit",
    ]


def test_an_http_exception_in_a_dependency_tears_down_the_ones_entered(make_client):
    app = Faster()
    events = []

    async def opened():
        events.append("open")
        try:
            yield
        finally:
            events.append("close")

    def forbidden(_: None = Depends(opened)):
        raise HTTPException(403, "no")

    @app.get("/")
    def handler(_: None = Depends(forbidden)):
        return {}

    response = make_client(app).get("/")
    assert (response.status_code, response.json()) == (403, {"detail": "no"})
    assert events == ["open", "close"]


def test_a_dependency_that_swallows_the_exception_gives_fastapis_500(make_client):
    """A yield dependency whose `except` does not raise again leaves no response to send:
    FastAPI's "Response not awaited" error, a 500, whatever the exception was (a 404 here).
    Swallowed in scope "function", it is that error the request-scoped dependencies see."""
    app = Faster()
    events = []

    async def outer():
        try:
            yield
        except Exception as exc:
            events.append(type(exc).__name__)
            raise

    async def careless(_: None = Depends(outer)):
        try:
            yield
        except Exception:
            events.append("swallowed")

    @app.get("/request", dependencies=[Depends(careless)])
    def in_request_scope():
        raise HTTPException(404, "no such item")

    @app.get("/function", dependencies=[Depends(careless, scope="function")])
    def in_function_scope():
        raise HTTPException(404, "no such item")

    client = make_client(app, raise_server_exceptions=False)
    for path, seen in [("/request", ["swallowed"]), ("/function", ["swallowed", "FastAPIError"])]:
        events.clear()
        response = client.get(path)
        assert (response.status_code, response.json()) == (500, {"detail": "Internal Server Error"})
        assert events == seen
    with TestClient(app) as raising, pytest.raises(FastAPIError, match="Response not awaited"):
        raising.get("/request")


# -- where dependencies are declared -------------------------------------------------------------


def test_dependencies_on_app_include_router_router_and_route_run_in_that_order(make_client):
    order = []

    def mark(name):
        def dependency():
            order.append(name)

        return Depends(dependency)

    app = Faster(dependencies=[mark("app")])
    router = APIRouter(prefix="/r", dependencies=[mark("router")])

    @router.get("/x", dependencies=[mark("route")])
    def handler(_: None = mark("param")):
        order.append("handler")
        return {}

    app.include_router(router, dependencies=[mark("include")])
    assert make_client(app).get("/r/x").status_code == 200
    assert order == ["app", "include", "router", "route", "param", "handler"]


def test_annotated_aliases_are_reused_across_routes(make_client):
    app = Faster()

    class User(msgspec.Struct):
        name: str

    def current_user(x_user: str = Header()):
        return User(x_user)

    CurrentUser = Annotated[User, Depends(current_user)]

    @app.get("/me")
    def me(user: CurrentUser):
        return {"me": user.name}

    @app.get("/hello")
    async def hello(user: CurrentUser):
        return {"hello": user.name}

    client = make_client(app)
    assert client.get("/me", headers={"x-user": "ann"}).json() == {"me": "ann"}
    assert client.get("/hello", headers={"x-user": "bob"}).json() == {"hello": "bob"}
    detail = client.get("/me").json()["detail"]
    assert detail[0]["loc"] == ["header", "x-user"]


def test_security_scopes_accumulate_along_the_chain(make_client):
    app = Faster()

    def token(scopes: SecurityScopes):
        return scopes.scopes

    def user(granted: list = Security(token, scopes=["me"])):
        return granted

    @app.get("/items")
    def items(granted: list = Security(user, scopes=["items"])):
        return {"granted": granted}

    @app.get("/plain")
    def plain(scopes: SecurityScopes, granted: list = Depends(token)):
        return {"granted": granted, "own": scopes.scopes, "str": scopes.scope_str}

    client = make_client(app)
    assert client.get("/items").json() == {"granted": ["items", "me"]}
    assert client.get("/plain").json() == {"granted": [], "own": [], "str": ""}


# -- overrides -----------------------------------------------------------------------------------


def test_dependency_overrides_replace_and_reset(make_client):
    app = Faster()

    def real_db():
        return "real"

    def service(db: str = Depends(real_db)):
        return f"service({db})"

    @app.get("/")
    def handler(value: str = Depends(service)):
        return {"value": value}

    client = make_client(app)
    assert client.get("/").json() == {"value": "service(real)"}

    def fake_db(name: str = "fake"):  # an override's own parameters are read too
        return name

    app.dependency_overrides[real_db] = fake_db
    assert client.get("/?name=test").json() == {"value": "service(test)"}
    app.dependency_overrides[service] = lambda: "replaced"
    assert client.get("/").json() == {"value": "replaced"}
    app.dependency_overrides = {}
    assert client.get("/").json() == {"value": "service(real)"}
    app.dependency_overrides[service] = lambda: "replaced"
    app.dependency_overrides = None  # as FastAPI takes it: no overrides
    assert client.get("/").json() == {"value": "service(real)"}
    assert app.dependency_overrides == {}


# -- injected objects ----------------------------------------------------------------------------


def test_request_response_and_background_tasks_reach_dependencies(make_client):
    app = Faster()
    done = []

    def tracked(request: Request, response: Response, tasks: BackgroundTasks):
        response.headers["x-path"] = request.url.path
        response.set_cookie("seen", "1")
        response.status_code = 201
        tasks.add_task(done.append, "from dependency")
        return "tracked"

    @app.post("/")
    async def handler(tasks: BackgroundTasks, value: str = Depends(tracked)):
        tasks.add_task(done.append, "from handler")  # the same BackgroundTasks
        return {"value": value}

    response = make_client(app).post("/")
    assert response.status_code == 201
    assert response.headers["x-path"] == "/"
    assert response.cookies["seen"] == "1"
    assert done == ["from dependency", "from handler"]


# -- mistakes ------------------------------------------------------------------------------------


def test_a_dependency_cycle_is_an_error_at_registration_that_names_it():
    namespace: dict = {}
    exec(
        "from __future__ import annotations\n"
        "from typing import Annotated\n"
        "from FasterAPI import Depends\n"
        "def first(x: Annotated[int, Depends(second)]): return x\n"
        "def second(y: Annotated[int, Depends(first)]): return y\n",
        namespace,
    )
    app = Faster()
    with pytest.raises(TypeError, match="dependency cycle: first -> second -> first"):

        @app.get("/")
        def handler(v: int = Depends(namespace["first"])):
            return v


# -- regressions ---------------------------------------------------------------------------------


def test_request_path_params_on_a_route_with_dependencies(make_client):
    app = Faster()

    def path_params(request: Request):
        return request.path_params

    @app.get("/a/{x}")
    async def handler(x: int, params: dict = Depends(path_params)):
        return {"params": params}

    # As Starlette gives them: the path's text (a `{x:int}` convertor would make it an int).
    assert make_client(app).get("/a/5").json() == {"params": {"x": "5"}}


def test_a_body_name_shared_by_handler_and_dependency_is_not_embedded(make_client):
    app = Faster()

    class Item(msgspec.Struct):
        name: str

    def item_name(item: Item):
        return item.name

    @app.post("/")
    def create(item: Item, name: str = Depends(item_name)):
        return {"item": item.name, "name": name}

    client = make_client(app)
    assert client.post("/", json={"name": "w"}).json() == {"item": "w", "name": "w"}
    assert client.post("/", json={}).status_code == 422


def test_use_cache_false_leaves_the_cached_value(make_client):
    app = Faster()
    counter = iter(range(1, 10))

    def next_value():
        return next(counter)

    @app.get("/")
    def handler(
        a: int = Depends(next_value),
        b: int = Depends(next_value, use_cache=False),
        c: int = Depends(next_value),
    ):
        return [a, b, c]

    assert make_client(app).get("/").json() == [1, 2, 1]


def test_use_cache_false_dependencies_of_a_cached_one_run_at_each_of_its_uses(make_client):
    """As FastAPI: a dependency's own dependencies are solved before it is taken from the
    cache, so one with use_cache=False runs again (its result unused) at the second use."""
    app = Faster()
    calls = []

    def fresh():
        calls.append("fresh")
        return len(calls)

    def cached(n: int = Depends(fresh, use_cache=False)):
        calls.append("cached")
        return n

    @app.get("/")
    def handler(a: int = Depends(cached), b: int = Depends(cached)):
        return [a, b]

    assert make_client(app).get("/").json() == [1, 1]
    assert calls == ["fresh", "cached", "fresh"]


def test_invalid_json_is_answered_before_any_dependency_runs(make_client):
    app = Faster()
    ran = []

    class Item(msgspec.Struct):
        name: str

    @app.post("/", dependencies=[Depends(lambda: ran.append("audit"))])
    def create(item: Item):
        return {}

    headers = {"content-type": "application/json"}
    response = make_client(app).post("/", content=b"{not json", headers=headers)
    assert response.status_code == 422
    assert response.json()["detail"][0]["type"] == "json_invalid"
    assert ran == []


def test_a_dependencys_request_as_the_route_sees_it_after_the_response(make_client):
    """A Request a dependency takes is the app's view of the request on both doors (on the
    native server its scope is made when asked for): FastAPI(root_path=...), the body; once
    the response is out, its `receive` gives http.disconnect (a background task's read does
    not wait)."""
    import asyncio
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # root_path= is deprecated, and still honoured
        app = FastAPI(root_path="/api")
    seen = []

    async def after(request: Request):
        message = await asyncio.wait_for(request.receive(), 2)
        seen.append(message["type"])

    def inspect(request: Request, tasks: BackgroundTasks):
        tasks.add_task(after, request)
        return {"base": str(request.base_url), "root": request.scope["root_path"]}

    @app.post("/items/{item_id}")
    async def item(item_id: int, payload: dict, seen_by: dict = Depends(inspect)):
        return {"id": item_id, "payload": payload, **seen_by}

    response = make_client(app).post("/items/3", json={"a": 1})
    assert response.json() == {
        "id": 3,
        "payload": {"a": 1},
        "base": "http://testserver/api/",
        "root": "/api",
    }
    for _ in range(100):
        if seen:
            break
        time.sleep(0.02)
    assert seen == ["http.disconnect"]
