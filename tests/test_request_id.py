"""RequestIDMiddleware (FasterAPI.middleware.requestid), through both doors: the ID taken from
the client's X-Request-ID when it is sane, else made up; returned on every answer (a route's,
the router's 404, a 422, the 500 of an unhandled exception); in `request.state`, in
`request_id()` while the request is handled, and so on the log records RequestIDFilter sees
(the handler's, its background task's, and on the native server its access-log line and the
traceback of its exception); concurrent requests each with their own; WebSockets and the
lifespan untouched."""

import asyncio
import concurrent.futures
import logging
import re
import uuid
from contextlib import asynccontextmanager

import httpx
import pytest
from FasterAPI import BackgroundTasks, FastAPI, HTTPException, Request, WebSocket
from FasterAPI.middleware.requestid import (
    MAX_LENGTH,
    RequestIDFilter,
    RequestIDMiddleware,
    is_valid_request_id,
    new_request_id,
    request_id,
)
from FasterAPI.responses import JSONResponse, StreamingResponse
from FasterAPI.server.native import route_paths
from pydantic import BaseModel

from tests.support.doors import open_client

pytestmark = pytest.mark.fasterapi_only

HEX_ID = re.compile(r"[0-9a-f]{32}")
log = logging.getLogger("tests.request_id")


class Item(BaseModel):
    name: str


def make_app(**options) -> FastAPI:
    app = FastAPI()
    app.add_middleware(RequestIDMiddleware, **options)

    @app.get("/id")
    async def show(request: Request):
        log.info("handling")
        return {"state": request.state.request_id, "current": request_id()}

    @app.get("/plain")
    async def plain():
        return {"current": request_id()}

    @app.post("/items")
    async def create(item: Item):
        return item

    @app.get("/boom")
    async def boom():
        log.info("about to fail")
        raise RuntimeError("kaboom")

    @app.get("/later")
    async def later(tasks: BackgroundTasks):
        tasks.add_task(log.info, "in the background")
        return {"current": request_id()}

    return app


@pytest.fixture
def records(caplog):
    """The records logged at INFO or above, each with `request_id` set by RequestIDFilter."""
    caplog.set_level(logging.INFO)
    caplog.handler.addFilter(RequestIDFilter())
    return caplog


def test_a_generated_id_is_returned_and_seen_by_the_handler(make_client):
    client = make_client(make_app())
    first, second = client.get("/id"), client.get("/id")
    for response in (first, second):
        assert response.status_code == 200
        rid = response.headers["x-request-id"]
        assert HEX_ID.fullmatch(rid)
        assert response.json() == {"state": rid, "current": rid}
    assert first.headers["x-request-id"] != second.headers["x-request-id"]


def test_it_is_a_pure_asgi_middleware_served_through_the_stack(make_client):
    """(A pure-ASGI middleware costs the native server less per request than its http
    middleware chain: docs/logging.md.) Every route then goes through the middleware stack."""
    paths = {p.path: p for p in route_paths(make_app())}
    assert not paths["/plain"].native
    assert paths["/plain"].http_middleware == ()
    response = make_client(make_app()).get("/plain")
    assert response.json() == {"current": response.headers["x-request-id"]}


def test_the_header_replaces_one_the_app_set_and_is_on_a_streamed_answer(make_client):
    app = make_app()

    @app.get("/own")
    async def own():
        return JSONResponse({}, headers={"X-Request-ID": "the-apps", "X-Other": "kept"})

    @app.get("/stream")
    async def stream():
        async def chunks():
            yield b"one,"
            yield b"two"

        return StreamingResponse(chunks(), media_type="text/plain")

    client = make_client(app)
    response = client.get("/own", headers={"X-Request-ID": "the-clients"})
    assert response.headers.get_list("x-request-id") == ["the-clients"]
    assert response.headers["x-other"] == "kept"
    streamed = client.get("/stream", headers={"X-Request-ID": "s-1"})
    assert (streamed.text, streamed.headers["x-request-id"]) == ("one,two", "s-1")


def test_an_error_after_the_response_started_is_not_answered_twice(make_client):
    app = make_app()

    @app.get("/half")
    async def half():
        async def chunks():
            yield b"part"
            raise RuntimeError("mid-stream")

        return StreamingResponse(chunks(), media_type="text/plain")

    from FasterAPI.testclient import TestClient

    with TestClient(app) as client, pytest.raises(RuntimeError, match="mid-stream"):
        client.get("/half")
    with open_client(app, "native") as native:
        with pytest.raises(httpx.HTTPError):  # (the response is cut short)
            native.get("/half")
        assert native.get("/id", headers={"X-Request-ID": "after"}).json()["state"] == "after"


def test_the_lifespan_passes_through(make_client):
    seen: list[object] = []

    @asynccontextmanager
    async def lifespan(app):
        seen.append(request_id())
        yield {"started": True}

    app = FastAPI(lifespan=lifespan)
    app.add_middleware(RequestIDMiddleware)

    @app.get("/started")
    async def started(request: Request):
        return {"started": request.state.started, "id": request.state.request_id}

    response = make_client(app).get("/started", headers={"X-Request-ID": "l-1"})
    assert response.json() == {"started": True, "id": "l-1"}
    assert seen == [None]


def test_the_clients_id_is_echoed(make_client):
    client = make_client(make_app())
    given = "req-2024.05.01:abc/DEF+42=_~"
    response = client.get("/id", headers={"X-Request-ID": given})
    assert response.headers["x-request-id"] == given
    assert response.json() == {"state": given, "current": given}


@pytest.mark.parametrize(
    "bad",
    [
        "a" * (MAX_LENGTH + 1),
        "evil\tid",
        "two words",
        b"caf\xe9",
        "",
    ],
    ids=["too-long", "tab", "space", "non-ascii", "empty"],
)
def test_a_bad_client_id_is_replaced(make_client, bad):
    client = make_client(make_app())
    response = client.get("/id", headers={"X-Request-ID": bad})
    rid = response.headers["x-request-id"]
    assert HEX_ID.fullmatch(rid)
    assert response.json() == {"state": rid, "current": rid}


def test_generated_ids_are_uuid4s():
    ids = {new_request_id() for _ in range(1000)}
    assert len(ids) == 1000
    for rid in ids:
        assert uuid.UUID(rid).version == 4 and uuid.UUID(rid).hex == rid


def test_the_longest_id_is_taken():
    assert is_valid_request_id("a" * MAX_LENGTH)
    assert not is_valid_request_id("a" * (MAX_LENGTH + 1))
    assert not is_valid_request_id("x\x00y")
    assert not is_valid_request_id("x\x7fy")


def test_the_id_is_on_the_routers_404_405_a_422_and_an_http_exception(make_client):
    app = make_app()

    @app.get("/teapot")
    async def teapot():
        raise HTTPException(418, "short and stout")

    client = make_client(app)
    missing = client.get("/nowhere", headers={"X-Request-ID": "r404"})
    assert (missing.status_code, missing.headers["x-request-id"]) == (404, "r404")
    wrong = client.delete("/id", headers={"X-Request-ID": "r405"})
    assert (wrong.status_code, wrong.headers["x-request-id"]) == (405, "r405")
    teapot_answer = client.get("/teapot", headers={"X-Request-ID": "r418"})
    assert teapot_answer.json() == {"detail": "short and stout"}
    assert (teapot_answer.status_code, teapot_answer.headers["x-request-id"]) == (418, "r418")
    invalid = client.post("/items", json={"name": 1}, headers={"X-Request-ID": "r422"})
    assert (invalid.status_code, invalid.headers["x-request-id"]) == (422, "r422")
    generated = client.post("/items", json={})
    assert generated.status_code == 422
    assert HEX_ID.fullmatch(generated.headers["x-request-id"])


def test_the_id_is_on_the_500_of_an_unhandled_exception(make_client, records):
    client = make_client(make_app(), raise_server_exceptions=False)
    response = client.get("/boom", headers={"X-Request-ID": "r500"})
    assert response.status_code == 500
    assert response.json() == {"detail": "Internal Server Error"}
    assert response.headers["x-request-id"] == "r500"
    assert [r.request_id for r in records.records if r.getMessage() == "about to fail"] == ["r500"]


def test_the_apps_500_handler_still_answers_with_the_id(make_client):
    app = make_app()

    @app.exception_handler(500)
    async def oops(request, exc):
        return JSONResponse({"oops": str(exc)}, status_code=500)

    client = make_client(app, raise_server_exceptions=False)
    response = client.get("/boom", headers={"X-Request-ID": "mine"})
    assert response.status_code == 500
    assert response.json() == {"oops": "kaboom"}
    assert response.headers["x-request-id"] == "mine"


def test_testclient_still_raises_the_handlers_exception():
    from FasterAPI.testclient import TestClient

    with TestClient(make_app()) as client, pytest.raises(RuntimeError, match="kaboom"):
        client.get("/boom")


def test_the_handlers_log_records_carry_the_id(make_client, records):
    client = make_client(make_app())
    response = client.get("/id", headers={"X-Request-ID": "logged-1"})
    assert response.status_code == 200
    handling = [r for r in records.records if r.getMessage() == "handling"]
    assert [r.request_id for r in handling] == ["logged-1"]
    log.info("outside a request")
    assert records.records[-1].request_id == "-"


def test_a_background_tasks_log_record_carries_the_id(make_client, records):
    client = make_client(make_app())
    response = client.get("/later", headers={"X-Request-ID": "bg-1"})
    assert response.json() == {"current": "bg-1"}
    background = [r for r in records.records if r.getMessage() == "in the background"]
    assert [r.request_id for r in background] == ["bg-1"]


def test_the_native_servers_access_and_error_logs_carry_the_id(records):
    # (the access log and the server's error log are the native server's: TestClient has none)
    with open_client(make_app(), "native") as client:
        client.get("/id", headers={"X-Request-ID": "acc-1"})
        client.get("/boom", headers={"X-Request-ID": "err-1"})
        client.get("/nowhere", headers={"X-Request-ID": "acc-404"})
    access = {r.path: r for r in records.records if r.name == "fasterapi.access"}
    assert (access["/id"].request_id, access["/id"].status) == ("acc-1", 200)
    assert (access["/boom"].request_id, access["/boom"].status) == ("err-1", 500)
    assert (access["/nowhere"].request_id, access["/nowhere"].status) == ("acc-404", 404)
    errors = [r for r in records.records if r.levelno >= logging.ERROR]
    assert [(r.getMessage(), r.request_id) for r in errors] == [
        ("Exception in ASGI application", "err-1")
    ]
    assert errors[0].exc_info is not None and str(errors[0].exc_info[1]) == "kaboom"


def test_concurrent_requests_each_see_their_own_id(make_client, records):
    count = 8
    app = FastAPI()
    app.add_middleware(RequestIDMiddleware)
    arrived: list[str] = []
    everyone: dict[str, asyncio.Event] = {}

    @app.get("/wait/{n}")
    async def wait(n: int):
        event = everyone.setdefault("in", asyncio.Event())
        arrived.append(request_id() or "")
        if len(arrived) == count:
            event.set()
        await asyncio.wait_for(event.wait(), 10)  # all are in flight together
        log.info("request %d", n)
        return {"n": n, "current": request_id()}

    client = make_client(app)

    async def all_at_once():
        loop = asyncio.get_running_loop()
        with concurrent.futures.ThreadPoolExecutor(count) as pool:
            return await asyncio.gather(
                *(
                    loop.run_in_executor(
                        pool,
                        lambda n=n: client.get(f"/wait/{n}", headers={"X-Request-ID": f"c-{n}"}),
                    )
                    for n in range(count)
                )
            )

    responses = asyncio.run(all_at_once())
    assert sorted(arrived) == sorted(f"c-{n}" for n in range(count))
    for n, response in enumerate(responses):
        assert response.status_code == 200
        assert response.headers["x-request-id"] == f"c-{n}"
        assert response.json() == {"n": n, "current": f"c-{n}"}
    logged = {r.getMessage(): r.request_id for r in records.records if r.name == log.name}
    assert logged == {f"request {n}": f"c-{n}" for n in range(count)}


def test_another_header_name_and_generator(make_client):
    numbers = iter(range(1000))
    app = make_app(header_name="X-Correlation-ID", generator=lambda: f"n{next(numbers)}")
    client = make_client(app)
    response = client.get("/id", headers={"X-Request-ID": "ignored"})
    # (n0 went to the check of the generator when the middleware was made)
    assert response.headers["x-correlation-id"] == "n1"
    assert "x-request-id" not in response.headers
    echoed = client.get("/id", headers={"X-Correlation-ID": "corr-7"})
    assert echoed.json() == {"state": "corr-7", "current": "corr-7"}


def test_a_validator_decides_which_client_ids_are_taken(make_client):
    app = make_app(validator=lambda value: value.startswith("ok-"))
    client = make_client(app)
    assert client.get("/id", headers={"X-Request-ID": "ok-1"}).headers["x-request-id"] == "ok-1"
    assert HEX_ID.fullmatch(
        client.get("/id", headers={"X-Request-ID": "no"}).headers["x-request-id"]
    )


def test_websockets_pass_through(make_client):
    app = make_app()

    @app.websocket("/ws")
    async def ws(websocket: WebSocket):
        await websocket.accept()
        await websocket.send_json({"current": request_id()})
        await websocket.close()

    with make_client(app).websocket_connect("/ws") as session:
        assert session.receive_json() == {"current": None}


@pytest.mark.parametrize(
    ("options", "error", "message"),
    [
        ({"header_name": "X Request"}, ValueError, "header_name must be an HTTP header name"),
        ({"header_name": ""}, ValueError, "header_name must be an HTTP header name"),
        ({"generator": "uuid"}, TypeError, "generator must be a callable"),
        ({"validator": 3}, TypeError, "validator must be a callable"),
        ({"validator": lambda: True}, TypeError, "validator must be callable with one str"),
        ({"generator": lambda: 5}, TypeError, "generator must return a str, returned 5"),
        ({"generator": lambda: b"id"}, TypeError, "generator must return a str"),
        ({"generator": lambda n: "id"}, TypeError, "generator must be callable with no arg"),
        ({"generator": lambda: ""}, ValueError, "generator must return 1 to 128 visible ASCII"),
        ({"generator": lambda: "\u2713"}, ValueError, "generator must return 1 to 128 visible"),
        ({"generator": lambda: "caf\xe9"}, ValueError, "generator must return 1 to 128 visible"),
        ({"generator": lambda: "a b"}, ValueError, "generator must return 1 to 128 visible"),
        ({"generator": lambda: "x\r\ny"}, ValueError, "generator must return 1 to 128 visible"),
        ({"generator": lambda: "x" * 129}, ValueError, "generator must return 1 to 128 visible"),
    ],
)
def test_bad_options_are_refused_when_made(options, error, message):
    with pytest.raises(error, match=message):
        RequestIDMiddleware(None, **options)


@pytest.mark.parametrize(
    ("generator", "message"),
    [(lambda: 5, "generator must return a str"), (lambda: "\u2713", "generator must return 1 to")],
)
def test_a_bad_generator_stops_the_app_at_startup_not_each_request(door, generator, message):
    """Before any request (a generator returning an int, or a str no header can carry, made
    every request a 500): TestClient raises the TypeError or ValueError, the native server
    does not start."""
    app = make_app(generator=generator)
    with pytest.raises((TypeError, ValueError, pytest.fail.Exception), match=message):
        with open_client(app, door) as client:
            client.get("/id")


def test_the_header_is_found_whatever_case_the_client_wrote(make_client):
    """(ASGI header names are lower-case on both doors: the middleware compares them as they
    are.)"""
    client = make_client(make_app())
    for name in ("X-REQUEST-ID", "x-request-id", "X-Request-Id"):
        response = client.get("/id", headers={name: f"case-{name}"})
        assert response.json()["current"] == f"case-{name}"
    custom = make_client(make_app(header_name="X-Correlation-ID"))
    assert custom.get("/id", headers={"x-CORRELATION-id": "c-1"}).json()["current"] == "c-1"


def test_unknown_options_are_refused():
    with pytest.raises(TypeError):
        RequestIDMiddleware(None, header="X-Id")  # type: ignore[call-arg]


def test_a_validator_that_raises_refuses_the_id(make_client):
    """A validator that parses the ID (uuid.UUID) raises on a bad one: a new ID, not a 500."""
    client = make_client(make_app(validator=lambda value: uuid.UUID(value).version == 4))
    taken = str(uuid.uuid4())
    assert client.get("/plain", headers={"X-Request-ID": taken}).headers["x-request-id"] == taken
    response = client.get("/plain", headers={"X-Request-ID": "not-a-uuid"})
    assert response.status_code == 200
    assert response.headers["x-request-id"] not in ("not-a-uuid", taken)
