"""OpenTelemetry tracing on a FasterAPI app with opentelemetry-instrumentation-asgi's
OpenTelemetryMiddleware (`app.add_middleware(OpenTelemetryMiddleware)`), through both doors:
server spans with the request's method, target and status, a client's `traceparent` continued,
an unhandled exception recorded, spans named after the route template by the small http
middleware docs/observability.md shows, and OpenTelemetry's own HTTP metrics by route template
(read from `scope["route"]`, which FasterAPI sets as FastAPI does). The spans go to the SDK's
InMemorySpanExporter through a SimpleSpanProcessor."""

import pytest
from FasterAPI import FastAPI, HTTPException, Request
from opentelemetry import trace
from opentelemetry.instrumentation.asgi import OpenTelemetryMiddleware
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode

pytestmark = pytest.mark.fasterapi_only

TRACE_ID = "0af7651916cd43dd8448eb211c80319c"
PARENT_ID = "b7ad6b7169203331"


def make_app(exporter: InMemorySpanExporter, *, name_after_routes: bool = False, **options):
    """An app traced into `exporter` (OpenTelemetryMiddleware's `options` besides)."""
    app = FastAPI()

    @app.get("/items/{item_id}")
    async def read_item(item_id: int):
        return {"item_id": item_id}

    @app.get("/boom")
    def boom():
        raise RuntimeError("boom")

    @app.get("/missing")
    async def missing():
        raise HTTPException(404, "no such thing")

    if name_after_routes:

        @app.middleware("http")
        async def name_span_after_route(request: Request, call_next):
            # (docs/observability.md: inside OpenTelemetryMiddleware, the span is its server span)
            try:
                return await call_next(request)
            finally:
                route = request.scope.get("route")
                span = trace.get_current_span()
                if route is not None:
                    span.update_name(f"{request.method} {route.path_format}")
                    span.set_attribute("http.route", route.path_format)
                else:
                    span.update_name(request.method)

    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    app.add_middleware(OpenTelemetryMiddleware, tracer_provider=provider, **options)
    return app


def server_spans(exporter: InMemorySpanExporter) -> list:
    return [span for span in exporter.get_finished_spans() if span.kind is SpanKind.SERVER]


def test_server_spans_carry_the_method_target_and_status(make_client):
    exporter = InMemorySpanExporter()
    client = make_client(make_app(exporter))
    assert client.get("/items/7?q=1").json() == {"item_id": 7}
    [span] = server_spans(exporter)
    assert span.name == "GET /items/7"  # what OpenTelemetryMiddleware names it, before routing
    assert span.attributes["http.method"] == "GET"
    assert span.attributes["http.target"] == "/items/7"
    assert span.attributes["http.url"] == "http://testserver/items/7?q=1"
    assert span.attributes["http.status_code"] == 200
    assert span.status.status_code is StatusCode.UNSET
    assert span.parent is None
    # the send spans are its children, in its trace
    sends = [s for s in exporter.get_finished_spans() if s.name == "GET /items/7 http send"]
    assert len(sends) == 2
    assert {s.parent.span_id for s in sends} == {span.context.span_id}


def test_a_traceparent_from_the_client_is_continued(make_client):
    exporter = InMemorySpanExporter()
    client = make_client(make_app(exporter))
    traceparent = f"00-{TRACE_ID}-{PARENT_ID}-01"
    assert client.get("/items/1", headers={"traceparent": traceparent}).status_code == 200
    [span] = server_spans(exporter)
    assert format(span.context.trace_id, "032x") == TRACE_ID
    assert format(span.parent.span_id, "016x") == PARENT_ID
    assert span.parent.is_remote
    assert span.context.trace_flags.sampled


def test_an_unhandled_exception_is_recorded_on_the_server_span(make_client):
    exporter = InMemorySpanExporter()
    client = make_client(make_app(exporter), raise_server_exceptions=False)
    response = client.get("/boom")
    assert response.status_code == 500
    assert response.json() == {"detail": "Internal Server Error"}
    [span] = server_spans(exporter)
    assert span.status.status_code is StatusCode.ERROR
    [event] = span.events
    assert event.name == "exception"
    assert event.attributes["exception.type"] == "RuntimeError"
    assert event.attributes["exception.message"] == "boom"
    assert "raise RuntimeError" in event.attributes["exception.stacktrace"]


def test_an_http_exception_is_a_status_not_an_error(make_client):
    exporter = InMemorySpanExporter()
    client = make_client(make_app(exporter))
    assert client.get("/missing").status_code == 404
    assert client.get("/no-route").status_code == 404
    spans = server_spans(exporter)
    assert [span.attributes["http.status_code"] for span in spans] == [404, 404]
    assert all(span.status.status_code is StatusCode.UNSET for span in spans)
    assert all(not span.events for span in spans)


def test_spans_are_named_after_the_route_template(make_client):
    exporter = InMemorySpanExporter()
    client = make_client(make_app(exporter, name_after_routes=True), raise_server_exceptions=False)
    client.get("/items/7")
    client.get("/items/x")  # a 422: the route matched
    client.get("/boom")
    client.get("/wp-login.php")  # no route: the method alone, as the conventions say
    spans = server_spans(exporter)
    assert [(span.name, span.attributes.get("http.route")) for span in spans] == [
        ("GET /items/{item_id}", "/items/{item_id}"),
        ("GET /items/{item_id}", "/items/{item_id}"),
        ("GET /boom", "/boom"),
        ("GET", None),
    ]
    assert [span.attributes.get("http.status_code") for span in spans] == [200, 422, None, 404]
    assert spans[2].status.status_code is StatusCode.ERROR  # (its 500 is sent outside)
    assert spans[2].events[0].attributes["exception.type"] == "RuntimeError"


def test_opentelemetry_metrics_see_the_route_template(make_client):
    exporter = InMemorySpanExporter()
    reader = InMemoryMetricReader()
    app = make_app(exporter, meter_provider=MeterProvider(metric_readers=[reader]))
    client = make_client(app)
    client.get("/items/1")
    client.get("/items/2")
    client.get("/no-route")
    points = [
        (dict(point.attributes), point.count)
        for resource in reader.get_metrics_data().resource_metrics
        for scope in resource.scope_metrics
        for metric in scope.metrics
        if metric.name == "http.server.duration"
        for point in metric.data.data_points
    ]
    by_target = {attributes.get("http.target"): count for attributes, count in points}
    assert by_target == {"/items/{item_id}": 2, None: 1}


def test_excluded_urls_make_no_span(make_client):
    exporter = InMemorySpanExporter()
    client = make_client(make_app(exporter, excluded_urls="items/1$"))
    client.get("/items/1")
    client.get("/items/2")
    assert [span.name for span in server_spans(exporter)] == ["GET /items/2"]


def test_the_app_takes_the_asgi_path_on_the_native_server():
    """OpenTelemetryMiddleware is pure ASGI: the native server sends every request through the
    middleware stack (and says so), as it does for any such middleware."""
    from FasterAPI.server.native import route_paths

    paths = {path.path: path for path in route_paths(make_app(InMemorySpanExporter()))}
    route = paths["/items/{item_id}"]
    assert not route.native
    assert "OpenTelemetryMiddleware" in route.reasons[0]


def test_metrics_and_traces_together(make_client):
    """PrometheusMiddleware inside OpenTelemetryMiddleware (docs/observability.md): each does
    its part."""
    from FasterAPI.contrib.prometheus import PrometheusMiddleware, metrics_route
    from prometheus_client import CollectorRegistry

    registry = CollectorRegistry()
    exporter = InMemorySpanExporter()
    app = FastAPI()

    @app.get("/items/{item_id}")
    async def read_item(item_id: int):
        return {"item_id": item_id}

    app.add_middleware(PrometheusMiddleware, registry=registry)
    metrics_route(app, registry=registry)
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    app.add_middleware(OpenTelemetryMiddleware, tracer_provider=provider, excluded_urls="metrics")
    client = make_client(app)
    client.get("/items/1")
    client.get("/items/2")
    client.get("/metrics")
    assert [span.name for span in server_spans(exporter)] == ["GET /items/1", "GET /items/2"]
    labels = {"method": "GET", "route": "/items/{item_id}", "status": "200"}
    assert registry.get_sample_value("fasterapi_http_requests_total", labels) == 2
