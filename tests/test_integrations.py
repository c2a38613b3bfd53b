"""Integrations that hook FastAPI, used for real on FasterAPI through the drop-in mode
(FasterAPI.compat.install()): sentry-sdk's FastAPI integration, opentelemetry-instrumentation-
fastapi, prometheus-fastapi-instrumentator, slowapi and fastapi-pagination. Each app
is an unchanged FastAPI app; it is served through TestClient (in a process of its own: the
drop-in mode and the integrations patch modules for the whole process) and on the native server
over real sockets, and asked what the integration recorded."""

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.support.raw_http import exchange, request
from tests.support.servers import native_server

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.fasterapi_only

#: Serves GETs of the paths given (argv) through TestClient; prints their status and JSON.
TESTCLIENT_DRIVER = textwrap.dedent(
    """
    import importlib, json, sys
    module = importlib.import_module("tests.apps." + sys.argv[1])
    from fastapi.testclient import TestClient
    assert type(module.app).__module__.startswith("FasterAPI"), type(module.app)
    answers = []
    with TestClient(module.app, raise_server_exceptions=False) as client:
        for path in sys.argv[2:]:
            response = client.get(path)
            is_json = response.headers.get("content-type") == "application/json"
            answers.append([response.status_code, response.json() if is_json else response.text])
    print(json.dumps(answers))
    """
)


def through_testclient(module: str, paths: list[str], tmp_path: Path) -> list:
    done = subprocess.run(
        [sys.executable, "-c", TESTCLIENT_DRIVER, module, *paths],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.splitlines()[-1])


def on_native_server(module: str, paths: list[str], tmp_path: Path) -> list:
    answers = []
    with native_server(tmp_path, module=module) as server:
        for path in paths:
            status, headers, body = exchange(server, request("GET", path))
            is_json = headers.get("content-type") == "application/json"
            answers.append([status, json.loads(body) if is_json else body.decode()])
    return answers


@pytest.fixture
def serve(door):
    """Runs GETs of `paths` against an app module through `door`; their [status, body]. Each
    door is in a process of its own (the drop-in mode patches modules for the whole process):
    TestClient in a subprocess, or the native server's subprocess over real sockets."""
    return through_testclient if door == "asgi" else on_native_server


def test_sentry_names_transactions_after_routes_and_captures_errors(serve, tmp_path):
    answers = serve("integrations_sentry_app", ["/items/3", "/boom/1", "/captured"], tmp_path)
    assert answers[0] == [200, {"item_id": 3}]
    assert answers[1][0] == 500
    captured = answers[2][1]
    errors = [event for event in captured if event["type"] == "event"]
    assert errors == [
        {"type": "event", "transaction": "/boom/{n}", "exceptions": [["RuntimeError", "boom 1"]]}
    ]
    transactions = sorted(e["transaction"] for e in captured if e["type"] == "transaction")
    assert transactions == ["/boom/{n}", "/items/{item_id}"]


def test_opentelemetry_spans_are_named_after_route_templates(serve, tmp_path):
    answers = serve("integrations_otel_app", ["/items/7", "/boom", "/spans"], tmp_path)
    assert answers[0] == [200, {"item_id": 7}]
    assert answers[1] == [500, {"detail": "Internal Server Error"}]
    assert answers[2][1] == [
        {"name": "GET /items/{item_id}", "route": "/items/{item_id}", "status": "UNSET",
         "exception": []},
        {"name": "GET /boom", "route": "/boom", "status": "ERROR",
         "exception": ["RuntimeError"]},
    ]  # fmt: skip


def test_prometheus_counts_requests_by_route_template(serve, tmp_path):
    answers = serve(
        "integrations_prometheus_app", ["/items/1", "/items/2", "/items/x", "/metrics"], tmp_path
    )
    assert [status for status, _ in answers] == [200, 200, 422, 200]
    counts = sorted(
        line for line in answers[3][1].splitlines() if line.startswith("http_requests_total{")
    )
    assert counts == [
        'http_requests_total{handler="/items/{item_id}",method="GET",status="2xx"} 2.0',
        'http_requests_total{handler="/items/{item_id}",method="GET",status="4xx"} 1.0',
    ]


def test_routes_with_nothing_patched_keep_the_fast_path():
    """Integrations cost nothing to apps without them: a plain app's calls skip the
    middleware stack and its routes are served without get_route_handler()."""
    code = textwrap.dedent(
        """
        from FasterAPI import FastAPI
        from FasterAPI.testclient import TestClient
        app = FastAPI()

        @app.get("/items/{item_id}")
        def read_item(item_id: int):
            return {"item_id": item_id}

        with TestClient(app) as client:
            assert client.get("/items/1").json() == {"item_id": 1}
        route = next(r for r in app.routes if r.path == "/items/{item_id}")
        print(app._stack_first, route.wraps_handler, app._route_handlers == {})
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["False", "False", "True"]


def test_slowapi_answers_429_past_the_limits(serve, tmp_path):
    paths = ["/limited"] * 3 + ["/default"] * 4
    answers = serve("integrations_slowapi_app", paths, tmp_path)
    assert [status for status, _ in answers] == [200, 200, 429, 200, 200, 200, 429]
    assert answers[2][1] == {"error": "Rate limit exceeded: 2 per 1 minute"}
    assert answers[0][1] == {"ok": True}


def test_fastapi_pagination_pages_and_documents_its_parameters(serve, tmp_path):
    answers = serve(
        "integrations_pagination_app",
        ["/items?page=2&size=2", "/items?size=0", "/schema"],
        tmp_path,
    )
    assert answers[0] == [
        200,
        {"items": [{"id": 2}, {"id": 3}], "total": 5, "page": 2, "size": 2, "pages": 3},
    ]
    assert answers[1][0] == 422  # size must be at least 1
    assert answers[2] == [200, {"parameters": ["page", "size"]}]
