"""Prometheus metrics on prometheus-client (the `prometheus` extra): a middleware that counts and
times every HTTP request by its route template, and the `/metrics` route that exposes them.

    app.add_middleware(PrometheusMiddleware)
    metrics_route(app)                      # GET /metrics

Three metrics, named after `prefix` (default "fasterapi"):

- `<prefix>_http_requests_total{method, route, status}`: a counter;
- `<prefix>_http_request_duration_seconds{method, route}`: a histogram of the time until the
  response starts (for a whole response, JSON or a Response, its whole handling);
- `<prefix>_http_requests_in_progress{method}`: a gauge.

`route` is the matched route's template (`/items/{item_id}`), never the raw path; requests no
route serves (404, 405, a redirect to the other slash) count as one `route="unmatched"`, and an
app mounted under a prefix as `<prefix>/{path}`, and a method that HTTP does not define as
`method="OTHER"` (in all three metrics), so that a client cannot grow the number of series.

Recording never fails a request: an error of prometheus-client's (its multiprocess directory
removed, say) is logged once on `fasterapi.error` and the request answered as if unmeasured.

The middleware is a pure-ASGI one (it watches `send` for `http.response.start`): on `fasterapi
run` an app with it takes the ASGI path, which costs less than the native path through an http
middleware (docs/observability.md has the figures). WebSocket and lifespan calls pass through it
uncounted. Under `fasterapi run --workers N`, with `PROMETHEUS_MULTIPROC_DIR` set
(an empty directory, made before the server starts), prometheus-client keeps each worker's
values in that directory and `/metrics` adds up every worker's (its multiprocess mode).
"""

from __future__ import annotations

import atexit
import logging
import os
import weakref
from collections.abc import Callable, Iterable, Sequence
from numbers import Real
from time import perf_counter
from typing import Any

from ..middleware.errors import answer_unhandled
from ..requests import Request
from ..responses import Response

try:
    import prometheus_client as _prometheus
    from prometheus_client import exposition as _exposition
    from prometheus_client import multiprocess as _multiprocess
except ImportError:  # the `prometheus` extra is not installed: said when it is used
    _prometheus = None  # type: ignore[assignment]
    _exposition = None  # type: ignore[assignment]
    _multiprocess = None  # type: ignore[assignment]

#: The label of requests that no route serves.
UNMATCHED = "unmatched"
#: The label of a method that HTTP does not define, to a path no route serves that way.
OTHER_METHOD = "OTHER"
#: prometheus-client's default buckets, in seconds: 5 ms to 10 s.
DEFAULT_BUCKETS: tuple[float, ...] = (
    0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0,
)  # fmt: skip
_METHODS = frozenset(
    ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "CONNECT")
)
_MULTIPROC_VARS = ("PROMETHEUS_MULTIPROC_DIR", "prometheus_multiproc_dir")
#: At most this many label sets are looked up once and kept, per middleware (each is a
#: method, a route or mount, and a status: an app has far fewer).
_MAX_CACHED = 4096

_logger = logging.getLogger("fasterapi.error")


def _require_prometheus(what: str) -> Any:
    if _prometheus is None:
        raise RuntimeError(f"{what} needs prometheus-client: pip install 'prometheus-client>=0.20'")
    return _prometheus


def multiprocess_dir() -> str | None:
    """The directory of prometheus-client's multiprocess mode (`PROMETHEUS_MULTIPROC_DIR`), or
    None when it is off."""
    for name in _MULTIPROC_VARS:
        value = os.environ.get(name)
        if value:
            return value
    return None


def _check_multiprocess_dir(what: str) -> None:
    """A multiprocess directory that is not one would fail every request that records a
    metric (prometheus-client writes its values there): said when `what` is made."""
    directory = multiprocess_dir()
    if directory is not None and not os.path.isdir(directory):
        name = "PROMETHEUS_MULTIPROC_DIR"
        if not os.environ.get(name):
            name = "prometheus_multiproc_dir (PROMETHEUS_MULTIPROC_DIR's old name)"
        raise ValueError(
            f"{what}: {name} is {directory!r}, which is not a directory: make it (empty) "
            "before the server starts, or unset the variable"
        )


def method_label(method: str) -> str:
    """The `method` label of a request: its method if HTTP defines it, else OTHER_METHOD."""
    return method if method in _METHODS else OTHER_METHOD


class _Metrics:
    """The three metrics of one registry and prefix (made once: a second middleware on the
    same registry and prefix, another app's say, counts into the same ones)."""

    def __init__(self, registry: Any, prefix: str, buckets: tuple[float, ...]) -> None:
        prometheus = _require_prometheus("PrometheusMiddleware")
        self.buckets = buckets
        self.requests = prometheus.Counter(
            "http_requests_total",
            "HTTP requests answered, by method, route template and status code.",
            ("method", "route", "status"),
            namespace=prefix,
            registry=registry,
        )
        self.duration = prometheus.Histogram(
            "http_request_duration_seconds",
            "Seconds until the response started, by method and route template.",
            ("method", "route"),
            namespace=prefix,
            registry=registry,
            buckets=buckets,
        )
        self.in_progress = prometheus.Gauge(
            "http_requests_in_progress",
            "HTTP requests being answered, by method.",
            ("method",),
            namespace=prefix,
            registry=registry,
            multiprocess_mode="livesum",
        )


#: The metrics made per registry, by prefix.
_made: weakref.WeakKeyDictionary[Any, dict[str, _Metrics]] = weakref.WeakKeyDictionary()


def _metrics_of(registry: Any, prefix: str, buckets: tuple[float, ...]) -> _Metrics:
    of_registry = _made.setdefault(registry, {})
    metrics = of_registry.get(prefix)
    if metrics is None:
        metrics = of_registry[prefix] = _Metrics(registry, prefix, buckets)
    elif metrics.buckets != buckets:
        raise ValueError(
            f"the {prefix!r} metrics of this registry have buckets {metrics.buckets}, not {buckets}"
        )
    return metrics


def _paths(exclude: Iterable[str]) -> frozenset[str]:
    if isinstance(exclude, (str, bytes)):
        raise TypeError("exclude is a list of paths, not one string: exclude=['/health']")
    if not isinstance(exclude, Iterable):
        raise TypeError(
            f"exclude is a list of paths (or [] for none), not {type(exclude).__name__}"
        )
    paths = frozenset(exclude)
    for path in paths:
        if not isinstance(path, str) or not path.startswith("/"):
            raise ValueError(f"exclude: {path!r} is not a path (one starting with '/')")
    return paths


def _buckets(buckets: Sequence[float]) -> tuple[float, ...]:
    if isinstance(buckets, (str, bytes)) or not isinstance(buckets, Iterable):
        raise TypeError(
            f"buckets is a list of numbers (seconds), not {type(buckets).__name__}: "
            "buckets=[0.1, 0.5, 1.0]"
        )
    bounds = tuple(buckets)
    for bound in bounds:
        if isinstance(bound, bool) or not isinstance(bound, Real):
            raise TypeError(f"buckets: {bound!r} is not a number of seconds")
    return tuple(float(bound) for bound in bounds)


def _registry(registry: Any, prometheus: Any) -> Any:
    if registry is None:
        return prometheus.REGISTRY
    if not isinstance(registry, prometheus.CollectorRegistry):
        raise TypeError(
            f"registry is a prometheus_client.CollectorRegistry, not {type(registry).__name__}"
        )
    return registry


def route_template(scope: dict[str, Any]) -> str:
    """The `route` label of a request that has been answered: the template of the route that
    served it (as Starlette writes it, `{name:convertor}` as `{name}`), the mount's prefix and
    `/{path}` for an app mounted under one, else UNMATCHED."""
    route = scope.get("route")
    if route is not None:
        template = getattr(route, "path_format", None) or getattr(route, "path", None)
        if isinstance(template, str):
            return template
    find_mount = getattr(scope.get("app"), "_find_mount", None)
    mounted = find_mount(scope) if find_mount is not None else None
    if mounted is not None:
        return mounted[0] + "/{path}"
    return UNMATCHED


_forgotten_at_exit: set[int] = set()


def _forget_at_exit(directory: str) -> None:
    """In multiprocess mode: this process's in-progress gauge is removed from `directory` when
    it exits (what prometheus-client asks of a process that ends), so that it no longer adds
    to the sum."""
    pid = os.getpid()
    if pid not in _forgotten_at_exit:
        _forgotten_at_exit.add(pid)
        atexit.register(_multiprocess.mark_process_dead, pid, directory)


class PrometheusMiddleware:
    """Counts and times every HTTP request by method, route template and status (see the
    module's docstring). `registry`: prometheus-client's (its global REGISTRY by default);
    `prefix`: the metrics' namespace; `buckets`: the duration histogram's, in seconds;
    `exclude`: paths not counted (the metrics route's, by default)."""

    def __init__(
        self,
        app: Any,
        *,
        registry: Any = None,
        prefix: str = "fasterapi",
        buckets: Sequence[float] = DEFAULT_BUCKETS,
        exclude: Iterable[str] = ("/metrics",),
    ) -> None:
        self.app = app
        prometheus = _require_prometheus("PrometheusMiddleware")
        self.registry = _registry(registry, prometheus)
        self.exclude = _paths(exclude)
        _check_multiprocess_dir("PrometheusMiddleware")
        metrics = _metrics_of(self.registry, prefix, _buckets(buckets))
        self.requests = metrics.requests
        self.duration = metrics.duration
        self.in_progress = metrics.in_progress
        #: The counter and histogram of each (method label, matched route or template,
        #: status), and the gauge of each method label, looked up once (see _MAX_CACHED).
        self._series: dict[tuple[str, Any, int], tuple[Any, Any]] = {}
        self._gauges: dict[str, Any] = {}
        self._failed = False
        directory = multiprocess_dir()
        if directory is not None:
            _forget_at_exit(directory)

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http" or _app_path(scope) in self.exclude:
            await self.app(scope, receive, send)
            return
        method = method_label(scope["method"])
        in_progress = self._enter(method)
        start = perf_counter()
        started = False

        async def send_measured(message: dict[str, Any]) -> None:
            nonlocal started
            if not started and message["type"] == "http.response.start":
                # (the app has routed by now: scope["route"] is the route that answers)
                started = True
                self._record(scope, method, message.get("status"), perf_counter() - start)
            await send(message)

        try:
            await self.app(scope, receive, send_measured)
        except Exception as exc:
            if started:
                raise
            try:  # answered as the app's ServerErrorMiddleware would: its handler's status
                await answer_unhandled(scope, receive, send_measured, exc)
            finally:
                if not started:  # (outside a FasterAPI stack: a 500 outside the middleware)
                    self._record(scope, method, 500, perf_counter() - start)
        finally:
            if in_progress is not None:
                self._leave(in_progress)

    def _enter(self, method: str) -> Any:
        """The in-progress gauge of `method` (a label), counted up; None if that failed."""
        try:
            gauge = self._gauges.get(method)
            if gauge is None:
                gauge = self._gauges[method] = self.in_progress.labels(method)
            gauge.inc()
            return gauge
        except Exception:
            self._recording_failed()
            return None

    def _leave(self, gauge: Any) -> None:
        try:
            gauge.dec()
        except Exception:
            self._recording_failed()

    def _record(self, scope: dict[str, Any], method: str, status: Any, seconds: float) -> None:
        try:
            self.observe(scope, int(status), seconds, method)
        except Exception:
            self._recording_failed()

    def _recording_failed(self) -> None:
        """Metrics never fail a request: the first failure is logged, the others ignored."""
        if not self._failed:
            self._failed = True
            _logger.exception("Recording the request metrics failed (logged once)")

    def observe(
        self, scope: dict[str, Any], status: int, seconds: float, method: str | None = None
    ) -> None:
        """Counts a request of `scope`, answered `status` after `seconds` (`method`: its
        label, if worked out already)."""
        if method is None:
            method = method_label(scope["method"])
        route = scope.get("route")
        series = None if route is None else self._series.get((method, route, status))
        if series is None:
            series = self._series_of(scope, method, status)
        series[0].inc()
        series[1].observe(seconds)

    def _series_of(self, scope: dict[str, Any], method: str, status: int) -> tuple[Any, Any]:
        """The counter and histogram of a request's labels; kept by its matched route (an
        object of the app's), so that a route's template is worked out once, or else by its
        template (`unmatched`, a mount's)."""
        route = scope.get("route")
        template = route_template(scope)
        series = self._series.get((method, template, status))
        if series is None:
            series = (
                self.requests.labels(method, template, str(status)),
                self.duration.labels(method, template),
            )
            self._keep((method, template, status), series)
        if route is not None:
            self._keep((method, route, status), series)
        return series

    def _keep(self, key: tuple[str, Any, int], series: tuple[Any, Any]) -> None:
        if len(self._series) < _MAX_CACHED:
            self._series[key] = series


def render_metrics(registry: Any = None, accept: str = "") -> tuple[bytes, str]:
    """The exposition of `registry` (all workers' metrics in multiprocess mode when None, else
    prometheus-client's global REGISTRY) in the format `accept` asks for (OpenMetrics or
    Prometheus text): the body and its content type."""
    prometheus = _require_prometheus("render_metrics")
    if registry is None:
        if multiprocess_dir() is not None:
            registry = prometheus.CollectorRegistry()
            _multiprocess.MultiProcessCollector(registry)
        else:
            registry = prometheus.REGISTRY
    encode, content_type = _exposition.choose_encoder(accept)
    return encode(registry), content_type


def metrics_route(
    app: Any,
    path: str = "/metrics",
    *,
    registry: Any = None,
    include_in_schema: bool = False,
    dependencies: Sequence[Any] | None = None,
) -> Callable[[Request], Any]:
    """Adds `GET path` to `app` (an app or an APIRouter), serving the metrics of `registry`
    (see render_metrics); `dependencies` guard it (a token, say). Returns the endpoint."""
    prometheus = _require_prometheus("metrics_route")
    if registry is not None:
        _registry(registry, prometheus)
    _check_multiprocess_dir("metrics_route")

    async def metrics(request: Request) -> Response:
        body, content_type = render_metrics(registry, request.headers.get("accept", ""))
        return Response(body, media_type=content_type)

    app.add_api_route(
        path,
        metrics,
        methods=["GET"],
        name="metrics",
        include_in_schema=include_in_schema,
        dependencies=dependencies,
    )
    return metrics


def _app_path(scope: dict[str, Any]) -> str:
    """The request's path within the app (the native server's scope path has the root path
    in front, as ASGI says; `exclude` names paths as the app's routes do)."""
    path: str = scope["path"]
    root = scope.get("root_path", "")
    if root and path.startswith(root):
        return path[len(root) :] or "/"
    return path
