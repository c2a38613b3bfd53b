"""APIRouter's and include_router's keywords as FastAPI 0.165 takes them: route_class (with
get_route_handler() overrides),
generate_unique_id_function, default_response_class and strict_content_type (a route's own,
else its router's, else the include's, else the app's), routes=, startup/shutdown handlers
and lifespans merged on include, the checks on what is included, and keywords FastAPI does
not have (or FasterAPI does not serve) refused by name. Also: TestClient after its `with`."""

import gzip
from contextlib import asynccontextmanager

import pytest
from FasterAPI import APIRouter, FastAPI, Request
from FasterAPI.exceptions import FastAPIError
from FasterAPI.responses import HTMLResponse, PlainTextResponse
from FasterAPI.routing import APIRoute
from FasterAPI.testclient import TestClient

from tests.apps.router_options_app import strict_app, wrapped_app
from tests.support.doors import open_client


class TaggedRoute(APIRoute):
    kind = "tagged"


def test_route_class_is_kept_through_includes(make_client):
    router = APIRouter(route_class=TaggedRoute)

    @router.get("/a")
    def a():
        return "a"

    app = FastAPI()
    app.include_router(router, prefix="/x")
    [route] = [r for r in app.routes if r.path == "/x/a"]
    assert type(route) is TaggedRoute
    assert make_client(app).get("/x/a").json() == "a"


def test_route_class_can_be_set_after_the_router_is_made():
    app = FastAPI()
    app.router.route_class = TaggedRoute

    @app.get("/b")
    def b():
        return "b"

    assert type(app.routes[-1]) is TaggedRoute


def test_a_route_class_can_wrap_the_request_handling(make_client):
    client = make_client(wrapped_app())
    body = gzip.compress(b"[1, 2, 3]")
    headers = {"content-encoding": "gzip", "content-type": "application/json"}
    response = client.post("/w/sum/a", content=body, headers=headers)
    assert response.json() == {"label": "a", "sum": 6, "dep": "dep"}
    assert response.headers["x-wrapped"] == "GzipRequest"
    assert client.get("/w/class").json() == "GzipRequest"
    response = client.post("/w/sum/a", json=["x"])
    assert response.status_code == 422
    assert response.json() == {"detail": {"errors": 1, "body": '["x"]'}}


def operation_ids(app):
    return {
        path: operation["operationId"]
        for path, item in app.openapi()["paths"].items()
        for operation in item.values()
    }


def test_generate_unique_id_function_precedence():
    def app_id(route):
        return f"app_{route.name}"

    def router_id(route):
        return f"router_{route.name}"

    def include_id(route):
        return f"include_{route.name}"

    plain = APIRouter()
    own = APIRouter(generate_unique_id_function=router_id)

    @plain.get("/plain")
    def from_plain():
        return None

    @plain.get(
        "/route", generate_unique_id_function=lambda route: "route" + route.path.replace("/", "_")
    )
    def from_route():
        return None

    @own.get("/own")
    def from_own():
        return None

    app = FastAPI(generate_unique_id_function=app_id)

    @app.get("/top")
    def top():
        return None

    app.include_router(plain, prefix="/i", generate_unique_id_function=include_id)
    app.include_router(own, prefix="/o", generate_unique_id_function=include_id)
    app.include_router(plain, prefix="/p")
    assert operation_ids(app) == {
        "/top": "app_top",
        "/i/plain": "include_from_plain",
        "/i/route": "route_i_route",
        "/o/own": "router_from_own",
        "/p/plain": "app_from_plain",
        "/p/route": "route_p_route",
    }


def test_default_response_class_precedence(make_client):
    inner = APIRouter()
    html = APIRouter(default_response_class=HTMLResponse)

    @inner.get("/inner")
    def inner_route():
        return "inner"

    @inner.get("/own", response_class=PlainTextResponse)
    def own_route():
        return "own"

    @html.get("/html")
    def html_route():
        return "<b>html</b>"

    app = FastAPI(default_response_class=PlainTextResponse)
    app.include_router(inner, prefix="/a")
    app.include_router(inner, prefix="/b", default_response_class=HTMLResponse)
    app.include_router(html, default_response_class=PlainTextResponse)
    client = make_client(app)
    kinds = {
        path: client.get(path).headers["content-type"].split(";")[0]
        for path in ("/a/inner", "/a/own", "/b/inner", "/html")
    }
    assert kinds == {
        "/a/inner": "text/plain",
        "/a/own": "text/plain",
        "/b/inner": "text/html",
        "/html": "text/html",
    }


def test_strict_content_type_per_router(make_client):
    client = make_client(strict_app())
    assert client.post("/lax/items", content='{"a": 1}').json() == {"a": 1}
    assert client.post("/strict/items", content='{"a": 1}').status_code == 422


def test_routes_keyword(make_client):
    async def endpoint():
        return "given"

    router = APIRouter(routes=[APIRoute("/given", endpoint)])
    app = FastAPI()
    app.include_router(router)
    assert make_client(app).get("/given").json() == "given"
    with pytest.raises(TypeError, match="routes"):
        APIRouter(routes=[object()])


def test_events_and_lifespans_are_merged_on_include(door):
    events = []

    @asynccontextmanager
    async def app_lifespan(app):
        events.append("app")
        yield {"shared": "app", "app": True}

    def router_lifespan(app):  # a plain generator, which FastAPI accepts too
        events.append("router")
        yield {"shared": "router", "router": True}
        events.append("router done")

    router = APIRouter(lifespan=router_lifespan, on_startup=[lambda: events.append("start")])

    with pytest.warns(DeprecationWarning, match="on_event is deprecated"):

        @router.on_event("shutdown")
        def stop():
            events.append("stop")

    @router.get("/state")
    def state(request: Request):
        return {key: getattr(request.state, key) for key in ("shared", "app", "router")}

    app = FastAPI(lifespan=app_lifespan)
    app.include_router(router)
    with open_client(app, door) as client:
        assert client.get("/state").json() == {"shared": "app", "app": True, "router": True}
    assert events == ["start", "app", "router", "router done", "stop"]


def test_what_may_not_be_included():
    router = APIRouter()
    with pytest.raises(AssertionError, match="into itself"):
        router.include_router(router)
    parent = APIRouter()
    parent.include_router(router)
    with pytest.raises(AssertionError, match="already includes"):
        router.include_router(parent)

    empty_path = APIRouter()

    @empty_path.get("")
    def empty():
        return None

    with pytest.raises(FastAPIError, match="cannot be both empty"):
        FastAPI().include_router(empty_path)
    with pytest.raises(AssertionError, match="must start with '/'"):
        APIRouter(prefix="api")
    with pytest.raises(AssertionError, match="must not end with '/'"):
        FastAPI().include_router(empty_path, prefix="/api/")


def test_routes_added_after_the_include_are_served(make_client):
    router = APIRouter(prefix="/r", tags=["r"])
    child = APIRouter()
    router.include_router(child, prefix="/c")
    app = FastAPI()
    app.include_router(router, prefix="/v1")

    @child.get("/late")
    def late():
        return "late"

    @router.get("/later")
    def later():
        return "later"

    client = make_client(app)
    assert client.get("/v1/r/c/late").json() == "late"
    assert client.get("/v1/r/later").json() == "later"
    assert app.openapi()["paths"]["/v1/r/c/late"]["get"]["tags"] == ["r"]


def test_unknown_and_unserved_keywords_are_refused():
    with pytest.raises(TypeError, match="colour"):
        APIRouter(colour="blue")
    with pytest.raises(TypeError, match="colour"):
        FastAPI().include_router(APIRouter(), colour="blue")
    with pytest.raises(TypeError, match="colour"):
        FastAPI(colour="blue")
    with pytest.raises(NotImplementedError, match="default="):
        APIRouter(default=PlainTextResponse("x"))


def test_test_client_still_works_after_its_with_block():
    app = FastAPI()

    @app.get("/")
    def root():
        return "ok"

    with TestClient(app) as client:
        assert client.get("/").json() == "ok"
    assert client.get("/").json() == "ok"
