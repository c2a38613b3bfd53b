"""Endpoints that yield (FasterAPI._compiler.item_streams, FasterAPI.sse): JSON Lines,
Server-Sent Events and raw streams, with item models, as FastAPI serves them
(tests/apps/streams_ref.py; the answers below are FastAPI 0.165.0's, but for JSON written
without spaces), through both doors; keep-alives; a client leaving an endless event stream
on the native server; yield dependencies open until the stream ends; the OpenAPI document,
the same as FastAPI's."""

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Annotated

import FasterAPI
import pytest
from FasterAPI import APIRouter, Depends, FastAPI, TestClient
from FasterAPI.responses import StreamingResponse
from FasterAPI.sse import EventSourceResponse, ServerSentEvent, format_sse_event

from tests.apps.streams_ref import build
from tests.support.raw_http import exchange, request
from tests.support.servers import native_server

REFERENCE = Path(__file__).parent / "apps" / "streams_ref_fastapi.json"


@pytest.fixture(scope="module")
def app():
    return build(FasterAPI)


def test_json_lines_validated_by_the_item_model(client):
    response = client.get("/items")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/jsonl"
    assert response.text == '{"name":"a","price":2.0}\n{"name":"b","price":1.0}\n'


@pytest.mark.fasterapi_only  # FasterAPI's names
def test_json_lines_without_a_model_and_from_a_sync_generator(client):
    # untyped items are written as FastAPI writes them: json.dumps, with its spaces
    assert client.get("/plain").text == '{"n": 1}\n[1, 2]\n"text"\n'
    assert client.get("/numbers/3").text == "0\n1\n2\n"
    response = client.get("/numbers/x")  # parameters are validated before it starts
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["path", "count"]


@pytest.mark.fasterapi_only  # FasterAPI's names
def test_server_sent_events(client):
    response = client.get("/events")
    assert response.headers["content-type"] == "text/event-stream; charset=utf-8"
    assert response.headers["cache-control"] == "no-cache"
    assert response.headers["x-accel-buffering"] == "no"
    assert response.text == (
        'data: {"name":"x","price":1.0}\n\n'
        'event: update\ndata: {"k": "v"}\nid: 7\nretry: 500\n\n'
        ": note\ndata: raw\ndata: lines\n\n"
        'data: "hello"\n\n'
    )
    assert client.post("/any-events").text == "data: 1\n\n"


def test_raw_stream_with_an_explicit_response_class(client):
    response = client.get("/raw")
    assert response.text == "abcdef"
    assert "content-type" not in response.headers


def test_an_item_that_fails_its_model_cuts_the_stream():  # TestClient raises the error
    with pytest.raises(FasterAPI.exceptions.ResponseValidationError):
        with TestClient(build(FasterAPI)) as strict:
            strict.post("/bad")


def test_server_sent_event_fields_are_checked():
    with pytest.raises(ValueError, match="both 'data' and 'raw_data'"):
        ServerSentEvent(data=1, raw_data="1")
    with pytest.raises(ValueError, match="single line"):
        ServerSentEvent(event="a\nb")
    with pytest.raises(ValueError, match="null"):
        ServerSentEvent(id="a\0")
    with pytest.raises(ValueError, match="greater than or equal to 0"):
        ServerSentEvent(retry=-1)
    assert format_sse_event(comment="a\r\nb", data_str="") == b": a\n: b\ndata: \n\n"


@pytest.mark.fasterapi_only  # JSON without spaces; FasterAPI's names
def test_keep_alive_comments_while_the_generator_is_idle(make_client, monkeypatch):
    monkeypatch.setattr(FasterAPI.sse, "PING_INTERVAL", 0.02)
    app = FastAPI()

    @app.get("/slow", response_class=EventSourceResponse)
    async def slow():
        await asyncio.sleep(0.1)
        yield "late"

    text = make_client(app).get("/slow").text
    assert text.startswith(": ping\n\n")
    assert text.endswith('data: "late"\n\n')


def test_yield_dependencies_stay_open_until_the_stream_ends(make_client):
    events = []

    async def session():
        events.append("open")
        yield "db"
        events.append("closed")

    app = FastAPI()
    router = APIRouter(prefix="/v1")

    @router.get("/rows")
    async def rows(db: Annotated[str, Depends(session)]) -> AsyncIterator[str]:
        for i in range(2):
            events.append(f"row {i}")
            yield f"{db}-{i}"

    app.include_router(router)  # a copy of the route, wrapped again
    assert make_client(app).get("/v1/rows").text == '"db-0"\n"db-1"\n'
    assert events == ["open", "row 0", "row 1", "closed"]


@pytest.mark.fasterapi_only
@pytest.mark.parametrize("response_class", [None, EventSourceResponse, StreamingResponse])
def test_the_injected_responses_status_and_headers_are_the_streams(make_client, response_class):
    """A status, headers or cookies set on the injected Response (by a dependency) are the
    streaming response's, over the route's status_code, as in FastAPI."""
    app = FastAPI()

    def accept(response: FasterAPI.Response) -> None:
        response.status_code = 202
        response.headers["x-queue"] = "default"
        response.set_cookie("ticket", "7")

    options = {"response_class": response_class} if response_class else {}

    @app.post("/jobs", status_code=201, **options)
    async def jobs(response: FasterAPI.Response, _: None = Depends(accept)):
        yield "queued"  # the body runs as the response streams: too late to set headers

    @app.post("/listed", status_code=201, dependencies=[Depends(accept)], **options)
    async def listed(response: FasterAPI.Response):
        yield "queued"

    @app.post("/plain", status_code=201, **options)
    async def plain():
        yield "queued"

    client = make_client(app)
    for path in ("/jobs", "/listed"):
        answer = client.post(path)
        assert answer.status_code == 202
        assert answer.headers["x-queue"] == "default"
        assert answer.cookies["ticket"] == "7"
        assert "queued" in answer.text
    assert client.post("/plain").status_code == 201
    assert "fasterapi_injected_response" not in json.dumps(app.openapi())


def test_the_document_is_fastapis():
    assert build(FasterAPI).openapi() == json.loads(REFERENCE.read_text())


# -- the native server ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with native_server(tmp_path_factory.mktemp("streams"), app="item_streams") as server:
        yield server


@pytest.mark.fasterapi_only
def test_native_json_lines_and_events(server):
    status, headers, body = exchange(server, request("GET", "/items"))
    assert (status, body) == (200, b'{"name":"a","price":2.0}\n{"name":"b","price":1.0}\n')
    assert headers["transfer-encoding"] == "chunked"
    status, headers, body = exchange(server, request("GET", "/events"))
    assert status == 200
    assert body.startswith(b'data: {"name":"x","price":1.0}\n\n')


@pytest.mark.fasterapi_only
def test_native_client_leaving_an_endless_event_stream(server):
    with server.connect() as sock:
        sock.sendall(request("GET", "/ticks"))
        received = b""
        while received.count(b"data: ") < 3:
            received += sock.recv(4096)
    server.wait_for_output("ticks closed")


def test_server_sent_events_typed_as_events_are_sent_as_they_say(make_client):
    from collections.abc import AsyncIterable

    from FasterAPI import FastAPI
    from FasterAPI.sse import EventSourceResponse, ServerSentEvent

    app = FastAPI()

    @app.get("/typed", response_class=EventSourceResponse)
    async def typed() -> AsyncIterable[ServerSentEvent]:
        yield ServerSentEvent(data={"a": 1}, event="e")

    assert make_client(app).get("/typed").text == 'event: e\ndata: {"a": 1}\n\n'
