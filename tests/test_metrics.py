"""FasterAPI.contrib.prometheus: PrometheusMiddleware counts and times requests by route template
and status, and metrics_route serves them at /metrics, through both doors; under
`fasterapi run --workers 2` with PROMETHEUS_MULTIPROC_DIR, /metrics adds up both workers'."""

import asyncio
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import textwrap
import time
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path

import httpx
import prometheus_client.values
import pytest
from FasterAPI import BackgroundTasks, Depends, FastAPI, Header, HTTPException, WebSocket
from FasterAPI.contrib.prometheus import (
    PrometheusMiddleware,
    metrics_route,
    render_metrics,
    route_template,
)
from FasterAPI.responses import PlainTextResponse, StreamingResponse
from FasterAPI.server.supervisor import forget_metrics
from prometheus_client import CollectorRegistry
from prometheus_client.parser import text_string_to_metric_families

from tests.support.servers import ROOT, STARTUP_TIMEOUT, free_port

pytestmark = pytest.mark.fasterapi_only

REQUESTS = "fasterapi_http_requests_total"
DURATION = "fasterapi_http_request_duration_seconds"
IN_PROGRESS = "fasterapi_http_requests_in_progress"


def make_app(registry: CollectorRegistry, **options) -> FastAPI:
    app = FastAPI()
    app.add_middleware(PrometheusMiddleware, registry=registry, **options)
    metrics_route(app, registry=registry)

    @app.get("/items/{item_id}")
    async def read_item(item_id: int):
        return {"item_id": item_id}

    @app.get("/files/{name:path}")
    async def read_file(name: str):
        return {"name": name}

    @app.get("/health")
    async def health():
        return {"ok": True}

    @app.get("/slow")
    async def slow():
        await asyncio.sleep(0.12)
        return {"slept": True}

    @app.get("/boom")
    async def boom():
        raise RuntimeError("boom")

    @app.get("/in-progress")
    async def in_progress():  # what the gauge says while this request is answered
        return registry.get_sample_value(IN_PROGRESS, {"method": "GET"})

    return app


def parse(text: str) -> dict[tuple[str, frozenset], float]:
    """The samples of a Prometheus text exposition: (name, labels) -> value."""
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def scrape(client) -> dict[tuple[str, frozenset], float]:
    """The samples /metrics gives."""
    response = client.get("/metrics")
    assert response.status_code == 200
    return parse(response.text)


def value(samples: dict, name: str, **labels: str) -> float:
    """The value of sample `name` with `labels`."""
    return samples[name, frozenset(labels.items())]


def request_counts(samples: dict) -> dict[tuple[str, str, str], float]:
    """(method, route, status) -> count."""
    found = {}
    for (name, labels), count in samples.items():
        if name == REQUESTS:
            label = dict(labels)
            found[label["method"], label["route"], label["status"]] = count
    return found


def test_requests_are_counted_by_route_template_and_status(make_client):
    registry = CollectorRegistry()
    client = make_client(make_app(registry))
    for path in ("/items/1", "/items/2", "/items/x", "/files/a/b.txt", "/files/c"):
        client.get(path)
    # paths no route serves are one series, whatever they are
    assert [client.get(path).status_code for path in ("/nope", "/wp-admin/x.php", "/a/b/c")] == [
        404,
        404,
        404,
    ]
    assert client.post("/items/3").status_code == 405
    assert client.request("PURGE", "/scanner-1").status_code == 404
    assert client.request("PURGE", "/scanner-2").status_code == 404
    assert request_counts(scrape(client)) == {
        ("GET", "/items/{item_id}", "200"): 2,
        ("GET", "/items/{item_id}", "422"): 1,
        ("GET", "/files/{name}", "200"): 2,
        ("GET", "unmatched", "404"): 3,
        ("POST", "unmatched", "405"): 1,
        ("OTHER", "unmatched", "404"): 2,  # a method HTTP does not define, to no route
    }


def test_an_unhandled_error_counts_as_500_and_the_gauge_goes_back(make_client):
    registry = CollectorRegistry()
    client = make_client(make_app(registry), raise_server_exceptions=False)
    response = client.get("/boom")
    assert response.status_code == 500
    samples = scrape(client)
    assert request_counts(samples) == {("GET", "/boom", "500"): 1}
    assert value(samples, IN_PROGRESS, method="GET") == 0


def test_the_histogram_times_each_request(make_client):
    registry = CollectorRegistry()
    client = make_client(make_app(registry, buckets=[0.1, 1.0]))
    client.get("/health")  # (the app's first request, which builds its stack, not timed below)
    for _ in range(3):
        client.get("/items/1")
    client.get("/slow")
    samples = scrape(client)
    items = {"method": "GET", "route": "/items/{item_id}"}
    slow = {"method": "GET", "route": "/slow"}
    assert value(samples, DURATION + "_count", **items) == 3
    assert value(samples, DURATION + "_bucket", le="0.1", **items) == 3
    assert value(samples, DURATION + "_count", **slow) == 1
    assert value(samples, DURATION + "_sum", **slow) >= 0.1
    assert value(samples, DURATION + "_bucket", le="0.1", **slow) == 0
    assert value(samples, DURATION + "_bucket", le="1.0", **slow) == 1
    assert value(samples, DURATION + "_bucket", le="+Inf", **slow) == 1


def test_the_in_progress_gauge_counts_requests_being_answered(make_client):
    """Up while the app's call lasts: its handler, its response, its background tasks."""
    registry = CollectorRegistry()
    app = make_app(registry)
    seen = []

    @app.get("/background")
    async def background(tasks: BackgroundTasks):
        tasks.add_task(
            lambda: seen.append(registry.get_sample_value(IN_PROGRESS, {"method": "GET"}))
        )
        return {}

    client = make_client(app)
    assert client.get("/in-progress").json() == 1.0
    assert client.get("/in-progress").json() == 1.0
    assert client.get("/background").json() == {}
    assert seen == [1.0]
    assert value(scrape(client), IN_PROGRESS, method="GET") == 0


def test_metrics_are_prometheus_text_or_openmetrics_as_asked(make_client):
    registry = CollectorRegistry()
    client = make_client(make_app(registry))
    client.get("/items/1")
    text = client.get("/metrics")
    assert text.headers["content-type"] == "text/plain; version=0.0.4; charset=utf-8"
    assert f"# TYPE {REQUESTS} counter" in text.text
    assert f"# TYPE {DURATION} histogram" in text.text
    openmetrics = client.get("/metrics", headers={"accept": "application/openmetrics-text"})
    assert openmetrics.headers["content-type"].startswith("application/openmetrics-text;")
    assert openmetrics.text.endswith("# EOF\n")
    # not in the OpenAPI document
    assert "/metrics" not in client.get("/openapi.json").json()["paths"]


def test_excluded_paths_are_not_counted(make_client):
    registry = CollectorRegistry()
    client = make_client(make_app(registry, exclude=["/health", "/metrics"]))
    for _ in range(3):
        assert client.get("/health").json() == {"ok": True}
    client.get("/items/1")
    scrape(client)
    assert request_counts(scrape(client)) == {("GET", "/items/{item_id}", "200"): 1}


def test_metrics_route_is_excluded_by_default(make_client):
    registry = CollectorRegistry()
    client = make_client(make_app(registry))
    scrape(client)
    assert request_counts(scrape(client)) == {}


def test_the_metrics_route_takes_dependencies(make_client):
    registry = CollectorRegistry()
    app = FastAPI()
    app.add_middleware(PrometheusMiddleware, registry=registry)

    def scraper_token(authorization: str = Header("")):
        if authorization != "Bearer s3cret":
            raise HTTPException(401)

    metrics_route(app, registry=registry, dependencies=[Depends(scraper_token)])
    client = make_client(app)
    assert client.get("/metrics").status_code == 401
    allowed = client.get("/metrics", headers={"authorization": "Bearer s3cret"})
    assert allowed.status_code == 200 and "fasterapi_http_requests_total" in allowed.text


def test_an_app_mounted_under_a_prefix_is_one_series(make_client):
    registry = CollectorRegistry()
    app = make_app(registry)
    sub = FastAPI()

    @sub.get("/{anything}")
    async def anything(anything: str):
        return anything

    app.mount("/sub", sub)
    client = make_client(app)
    assert client.get("/sub/one").json() == "one"
    assert client.get("/sub/two").json() == "two"
    assert request_counts(scrape(client)) == {("GET", "/sub/{path}", "200"): 2}


def test_a_method_http_does_not_define_is_other_in_every_metric(make_client):
    """Wherever it goes (a mounted app, a route), a made-up method is `OTHER`: a client
    cannot add series by inventing methods."""
    registry = CollectorRegistry()
    app = make_app(registry)
    sub = FastAPI()

    @sub.get("/x")
    async def x():
        return {}

    async def raw(request):
        return PlainTextResponse(request.method)

    app.mount("/sub", sub)
    app.add_route("/raw", raw, methods=None)
    client = make_client(app)
    for n in range(5):
        client.request(f"M{n}", "/sub/x")
        client.request(f"M{n}", f"/sub/junk{n}")
        client.request(f"Z{n}", "/raw")
    samples = scrape(client)
    methods = {dict(labels)["method"] for (name, labels) in samples if "method" in dict(labels)}
    assert methods == {"OTHER"}
    counts = request_counts(samples)
    assert {key: n for key, n in counts.items() if key[0] == "OTHER"} == {
        ("OTHER", "/sub/{path}", "405"): 5,  # (the sub-app's /x is a GET)
        ("OTHER", "/sub/{path}", "404"): 5,
        ("OTHER", "unmatched", "405"): 5,  # (a route of methods=None takes GET)
    }
    assert value(samples, DURATION + "_count", method="OTHER", route="/sub/{path}") == 10
    assert value(samples, IN_PROGRESS, method="OTHER") == 0


def test_a_missing_multiprocess_directory_is_an_error_when_made(tmp_path, monkeypatch):
    missing = str(tmp_path / "missing")
    monkeypatch.delenv("prometheus_multiproc_dir", raising=False)
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", missing)
    with pytest.raises(ValueError, match="PROMETHEUS_MULTIPROC_DIR is '.*missing'"):
        PrometheusMiddleware(None, registry=CollectorRegistry())
    with pytest.raises(ValueError, match="metrics_route: PROMETHEUS_MULTIPROC_DIR"):
        metrics_route(FastAPI())
    # prometheus-client reads the old lower-case name too
    monkeypatch.delenv("PROMETHEUS_MULTIPROC_DIR")
    monkeypatch.setenv("prometheus_multiproc_dir", missing)
    with pytest.raises(ValueError, match="prometheus_multiproc_dir .*PROMETHEUS_MULTIPROC_DIR"):
        PrometheusMiddleware(None, registry=CollectorRegistry())
    with pytest.raises(ValueError, match="prometheus_multiproc_dir"):
        metrics_route(FastAPI())


class Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def test_metrics_that_cannot_be_recorded_never_fail_a_request(make_client, tmp_path, monkeypatch):
    """prometheus-client in multiprocess mode (which it chooses when it is imported) with its
    directory removed once the app is made: it cannot write a value. The requests are answered
    all the same, and the failure is logged once."""
    directory = tmp_path / "metrics"
    directory.mkdir()
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(directory))
    monkeypatch.setattr(
        prometheus_client.values, "ValueClass", prometheus_client.values.MultiProcessValue()
    )
    app = FastAPI()
    app.add_middleware(PrometheusMiddleware, registry=CollectorRegistry())

    @app.get("/items/{item_id}")
    async def read_item(item_id: int):
        return {"item_id": item_id}

    @app.get("/boom")
    async def boom():
        raise RuntimeError("boom")

    records = Records()
    logger = logging.getLogger("fasterapi.error")
    logger.addHandler(records)
    try:
        client = make_client(app, raise_server_exceptions=False)
        shutil.rmtree(directory)
        for n in range(3):
            response = client.get(f"/items/{n}")
            assert (response.status_code, response.json()) == (200, {"item_id": n})
        assert client.get("/nope").status_code == 404
        assert client.get("/boom").status_code == 500
    finally:
        logger.removeHandler(records)
    failures = [m for m in records.messages if m.startswith("Recording the request metrics")]
    assert failures == ["Recording the request metrics failed (logged once)"]


def test_a_dead_worker_s_gauge_is_dropped_with_the_lower_case_variable(tmp_path, monkeypatch):
    gauge = tmp_path / "gauge_livesum_4242.db"
    gauge.write_bytes(b"")
    monkeypatch.delenv("PROMETHEUS_MULTIPROC_DIR", raising=False)
    monkeypatch.setenv("prometheus_multiproc_dir", str(tmp_path))
    forget_metrics(4242)
    assert not gauge.exists()


def test_the_native_server_sends_the_app_through_the_asgi_stack():
    """PrometheusMiddleware is pure ASGI: on the native server every request goes through the
    middleware stack (cheaper than the native path through an http middleware; see
    docs/observability.md), and `fasterapi run --log-level debug` says so."""
    from FasterAPI.server.native import route_paths

    app = make_app(CollectorRegistry())
    paths = {path.path: path for path in route_paths(app)}
    route = paths["/items/{item_id}"]
    assert not route.native and route.http_middleware == ()
    assert str(route) == (
        "GET /items/{item_id}: ASGI path: the app has middleware (PrometheusMiddleware), "
        "which every request goes through"
    )


def test_websockets_and_the_lifespan_pass_through_uncounted(make_client):
    registry = CollectorRegistry()
    started = []

    @asynccontextmanager
    async def lifespan(app):
        started.append(True)
        yield {"greeting": "hello"}

    app = FastAPI(lifespan=lifespan)
    app.add_middleware(PrometheusMiddleware, registry=registry)
    metrics_route(app, registry=registry)

    @app.websocket("/ws")
    async def echo(websocket: WebSocket):
        await websocket.accept()
        await websocket.send_text(websocket.state.greeting + " " + await websocket.receive_text())
        await websocket.close()

    client = make_client(app)
    assert started == [True]
    with client.websocket_connect("/ws") as websocket:
        websocket.send_text("there")
        assert websocket.receive_text() == "hello there"
    samples = scrape(client)
    assert request_counts(samples) == {}
    assert [labels for (name, labels) in samples if name == IN_PROGRESS] == []


def test_the_status_is_the_one_sent_when_the_response_starts(make_client):
    """A streamed response that fails once it has started counts as the status it sent, once;
    its time is the time to its first byte."""
    registry = CollectorRegistry()
    app = make_app(registry, buckets=[0.1, 1.0])

    @app.get("/stream")
    async def stream():
        async def chunks():
            yield b"first"
            await asyncio.sleep(0.15)
            yield b"second"

        return StreamingResponse(chunks(), status_code=201)

    @app.get("/stream-fails")
    async def stream_fails():
        async def chunks():
            yield b"first"
            raise RuntimeError("mid-stream")

        return StreamingResponse(chunks())

    client = make_client(app, raise_server_exceptions=False)
    assert client.get("/stream").content == b"firstsecond"
    try:
        client.get("/stream-fails")
    except httpx.TransportError:
        pass  # (the native server cuts the connection: the body cannot be finished)
    samples = scrape(client)
    assert request_counts(samples) == {
        ("GET", "/stream", "201"): 1,
        ("GET", "/stream-fails", "200"): 1,
    }
    assert value(samples, DURATION + "_bucket", le="0.1", method="GET", route="/stream") == 1
    assert value(samples, IN_PROGRESS, method="GET") == 0


def test_two_apps_on_one_registry_share_the_metrics():
    registry = CollectorRegistry()
    first, second = make_app(registry), make_app(registry)
    from FasterAPI.testclient import TestClient

    with TestClient(first) as one, TestClient(second) as two:
        one.get("/items/1")
        two.get("/items/2")
        assert request_counts(scrape(one)) == {("GET", "/items/{item_id}", "200"): 2}


def test_bad_options_are_clear_errors():
    registry = CollectorRegistry()
    with pytest.raises(TypeError, match="list of paths"):
        PrometheusMiddleware(None, registry=registry, exclude="/health")
    with pytest.raises(ValueError, match="not a path"):
        PrometheusMiddleware(None, registry=registry, exclude=["health"])
    PrometheusMiddleware(None, registry=registry, buckets=[0.5, 1.0])
    with pytest.raises(ValueError, match="buckets"):
        PrometheusMiddleware(None, registry=registry, buckets=[0.1])
    with pytest.raises(ValueError, match="(?i)buckets"):  # prometheus-client's own check
        PrometheusMiddleware(None, registry=CollectorRegistry(), buckets=[1.0, 0.5])


def test_bad_options_name_the_option():
    with pytest.raises(TypeError, match="registry is a prometheus_client.CollectorRegistry"):
        PrometheusMiddleware(None, registry="x")
    with pytest.raises(TypeError, match="registry"):
        metrics_route(FastAPI(), registry=object())
    with pytest.raises(TypeError, match="buckets is a list of numbers"):
        PrometheusMiddleware(None, registry=CollectorRegistry(), buckets="abc")
    with pytest.raises(TypeError, match="buckets is a list of numbers"):
        PrometheusMiddleware(None, registry=CollectorRegistry(), buckets=5)
    with pytest.raises(TypeError, match="buckets: '1' is not a number"):
        PrometheusMiddleware(None, registry=CollectorRegistry(), buckets=[0.5, "1"])
    with pytest.raises(TypeError, match="exclude is a list of paths"):
        PrometheusMiddleware(None, registry=CollectorRegistry(), exclude=None)
    PrometheusMiddleware(None, registry=CollectorRegistry(), exclude=[], buckets=(1, 2.5))


def test_route_template_of_a_scope():
    app = make_app(CollectorRegistry())
    route = next(
        route for route in app.routes if getattr(route, "path", "") == "/files/{name:path}"
    )
    assert route_template({"route": route}) == "/files/{name}"
    assert route_template({"path": "/x", "app": app}) == "unmatched"
    assert route_template({}) == "unmatched"


# -- several workers: prometheus-client's multiprocess mode ---------------------------------------

WORKERS_APP = textwrap.dedent(
    """
    import os
    from FasterAPI import Depends, FastAPI, Header, HTTPException
    from FasterAPI.contrib.prometheus import PrometheusMiddleware, metrics_route

    app = FastAPI()
    app.add_middleware(PrometheusMiddleware)
    metrics_route(app)

    @app.get("/items/{item_id}")
    async def read_item(item_id: int):
        return {"item_id": item_id, "pid": os.getpid()}
    """
)


def wait_until_serving(port: int, proc: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while True:
        if proc.poll() is not None:
            pytest.fail(f"server exited with {proc.returncode}:\n{log.read_text()}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            if time.monotonic() > deadline:
                pytest.fail(f"server did not start:\n{log.read_text()}")
            time.sleep(0.05)


@contextmanager
def two_workers(tmp_path: Path):
    """`fasterapi run --workers 2` of WORKERS_APP with PROMETHEUS_MULTIPROC_DIR set: its port
    and the metrics directory; stopped (SIGTERM) when the block ends."""
    (tmp_path / "workers_app.py").write_text(WORKERS_APP)
    metrics_dir = tmp_path / "metrics"
    metrics_dir.mkdir()
    port = free_port()
    log = tmp_path / "server.log"
    env = dict(os.environ, PROMETHEUS_MULTIPROC_DIR=str(metrics_dir), PYTHONPATH=str(ROOT))
    fasterapi = [sys.executable, "-m", "FasterAPI", "run", str(tmp_path / "workers_app.py")]
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [*fasterapi, "--host", "127.0.0.1", "--port", str(port), "--workers", "2"],
            cwd=tmp_path,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_until_serving(port, proc, log)
        yield port, metrics_dir, log
    finally:
        proc.terminate()
        proc.wait(timeout=40)


def test_metrics_add_up_every_worker_in_multiprocess_mode(tmp_path):
    with two_workers(tmp_path) as (port, metrics_dir, _log):
        pids: dict[int, int] = {}
        deadline = time.monotonic() + 30
        sent = 0
        # a new connection each time: the kernel spreads them over the workers
        while (len(pids) < 2 or sent < 20) and time.monotonic() < deadline:
            answer = httpx.get(f"http://127.0.0.1:{port}/items/{sent}", timeout=10).json()
            pids[answer["pid"]] = pids.get(answer["pid"], 0) + 1
            sent += 1
        assert len(pids) == 2, f"one worker answered all {sent} requests"
        text = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=10).text

    samples = parse(text)
    assert request_counts(samples) == {("GET", "/items/{item_id}", "200"): sent}
    assert value(samples, DURATION + "_count", method="GET", route="/items/{item_id}") == sent
    assert value(samples, IN_PROGRESS, method="GET") == 0
    # each worker wrote its own counts, which /metrics added up; their live gauges went with them
    counters = sorted(path.name for path in metrics_dir.glob("counter_*.db"))
    assert counters == sorted(f"counter_{pid}.db" for pid in pids)
    assert not list(metrics_dir.glob("gauge_livesum_*.db"))


def test_render_metrics_reads_the_multiprocess_directory(tmp_path, monkeypatch):
    """render_metrics() with no registry, in multiprocess mode, reads the directory: what a
    worker that has served nothing yet answers."""
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    body, content_type = render_metrics()
    assert body == b"" and content_type.startswith("text/plain")


def test_a_killed_worker_s_live_gauge_is_dropped_when_it_is_restarted(tmp_path):
    """A worker killed outright cannot remove its in-progress gauge file: the supervisor does,
    as it restarts the worker."""
    with two_workers(tmp_path) as (port, metrics_dir, log):
        pid = httpx.get(f"http://127.0.0.1:{port}/items/1", timeout=10).json()["pid"]
        gauge = metrics_dir / f"gauge_livesum_{pid}.db"
        assert gauge.exists()
        os.kill(pid, signal.SIGKILL)
        deadline = time.monotonic() + 20
        while gauge.exists():
            assert time.monotonic() < deadline, f"{gauge.name} is still there:\n{log.read_text()}"
            time.sleep(0.05)


@pytest.mark.parametrize("with_request_id", [False, True])
def test_an_exception_is_counted_with_the_status_the_apps_handler_answered(
    make_client, with_request_id
):
    """An unhandled exception answered by the app's own handler (here a 503): counted with
    that status, not a 500, whether the metrics are the outer middleware or not."""
    from FasterAPI.middleware.requestid import RequestIDMiddleware
    from FasterAPI.responses import JSONResponse

    registry = CollectorRegistry()
    app = make_app(registry)
    if with_request_id:  # (added last: the outer one)
        app.add_middleware(RequestIDMiddleware)

    @app.exception_handler(Exception)
    async def unavailable(request, exc):
        return JSONResponse({"detail": "try later"}, status_code=503)

    client = make_client(app, raise_server_exceptions=False)
    response = client.get("/boom")
    assert response.status_code == 503
    assert ("x-request-id" in response.headers) is with_request_id
    assert request_counts(scrape(client)) == {("GET", "/boom", "503"): 1}


def test_the_metrics_route_is_not_counted_under_a_root_path():
    """The native server's scope path has the root path in front (as ASGI says): `exclude`
    names the app's own paths."""
    from tests.support.doors import native_app_server

    registry = CollectorRegistry()
    with native_app_server(make_app(registry), root_path="/api") as server:
        base = f"http://127.0.0.1:{server.port}"
        assert httpx.get(f"{base}/items/1", timeout=10).status_code == 200
        httpx.get(f"{base}/metrics", timeout=10)
        samples = parse(httpx.get(f"{base}/metrics", timeout=10).text)
    assert request_counts(samples) == {("GET", "/items/{item_id}", "200"): 1}
