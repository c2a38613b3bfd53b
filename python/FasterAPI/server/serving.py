"""One process of FasterAPI's native HTTP/1.1 server: the asyncio server that `fasterapi run`
and `FasterAPI.run(app)` start (`serve`), its settings (`Config`) and the app's lifespan.

Bytes are parsed and framed in Rust (FasterAPI._core.HttpParser); the asyncio loop (uvloop when
installed) owns the sockets. One process serves on one thread; more cores come from `--workers`,
processes sharing the port with SO_REUSEPORT (see FasterAPI.server.supervisor).
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import logging
import signal
import socket
from typing import Any

from .chain import HttpChain
from .logs import use_log_format
from .native import native_dispatcher, route_paths
from .protocol import HttpProtocol

logger = logging.getLogger("fasterapi.error")
#: How often connection timeouts are checked, in seconds: they fire up to this much late.
TICK = 0.1


@dataclasses.dataclass
class Config:
    """Everything `fasterapi run` / `fasterapi dev` can set, with fastapi-cli's defaults."""

    host: str = "127.0.0.1"
    port: int = 8000
    root_path: str = ""
    log_level: str = "info"
    #: How the server's log lines look: "text" (uvicorn's) or "json" (one object per line).
    log_format: str = "text"
    access_log: bool = True
    proxy_headers: bool = True
    forwarded_allow_ips: str = "127.0.0.1"
    limit_concurrency: int | None = None
    timeout_keep_alive: float = 5.0
    timeout_graceful_shutdown: float | None = None
    #: Seconds a client may take to send a request head, and between two pieces of a body.
    timeout_request: float = 30.0
    max_body_size: int = 100 * 1024 * 1024
    #: The largest WebSocket message accepted, in bytes (uvicorn's --ws-max-size).
    ws_max_size: int = 16 * 1024 * 1024
    #: Seconds of silence after which an open WebSocket is pinged, and then to wait for any
    #: byte back before dropping it (uvicorn's --ws-ping-interval/--ws-ping-timeout).
    ws_ping_interval: float | None = 20.0
    ws_ping_timeout: float | None = 20.0


class ServerState:
    """What every connection of one server shares."""

    def __init__(self, app: Any, config: Config) -> None:
        self.app = app
        self.config = config
        #: A FasterAPI app's routes are matched by the parser itself (see FasterAPI.server.native);
        #: set once the lifespan startup has run, as it may add routes.
        self.dispatcher: Any = None
        self.connections: set[HttpProtocol] = set()
        self.active = 0
        self.shutting_down = False
        self.app_state: dict[str, Any] = {}
        #: Whether connections serve what they can by the short path (FasterAPI.server.native):
        #: the app's routes are matched by the parser, with neither --limit-concurrency
        #: (counted per request in Python), an HTTPSRedirectMiddleware the server runs nor
        #: `@app.middleware("http")` (`http_chain`).
        self.short_path = False
        allowed = [ip.strip() for ip in config.forwarded_allow_ips.split(",") if ip.strip()]
        self._trust_all = "*" in allowed
        self._trusted = set(allowed)

    @functools.cached_property
    def http_chain(self) -> HttpChain | None:
        """The app's `@app.middleware("http")` functions, which the native server runs around
        its native routes (FasterAPI.server.chain); None if it has none. Found on the first
        request to a native route, once the app's middleware stack is built."""
        return HttpChain.of(self.app)

    def tick(self) -> None:
        """Fires the connections' timeouts that are due; runs every TICK seconds."""
        now = asyncio.get_running_loop().time()
        for conn in list(self.connections):
            try:
                conn.check_deadline(now)
            except Exception:  # one connection's trouble must not stop every timeout
                logger.exception("error in a connection timeout")
                conn.close()

    def request_done(self, _task: Any = None) -> None:
        """A request's handler ended (however it ended)."""
        self.active -= 1

    def trusts(self, client: tuple[str, int] | None) -> bool:
        """Whether proxy headers from `client` are believed (--forwarded-allow-ips)."""
        return self._trust_all or (client is not None and client[0] in self._trusted)


def serve(app: Any, config: Config, sock: socket.socket | None = None) -> int:
    """Serve `app` until SIGTERM or SIGINT; returns the exit code (0 after a graceful stop).

    `sock` is a listening socket made by the caller (a worker of `--workers N`); without it the
    server binds `config.host:config.port` itself. The log lines of `fasterapi run` (and of
    its worker processes) take `config.log_format`.
    """
    use_log_format(config.log_format)
    try:
        import uvloop
    except ImportError:
        return asyncio.run(Server(app, config).run(sock))
    return uvloop.run(Server(app, config).run(sock))


class Server:
    """Lifespan, listening socket, signals and graceful shutdown around the connections."""

    def __init__(self, app: Any, config: Config) -> None:
        self.state = ServerState(app, config)
        self.config = config
        self.lifespan = Lifespan(app, self.state.app_state)
        self.should_exit = asyncio.Event()

    async def run(self, sock: socket.socket | None = None) -> int:
        loop = asyncio.get_running_loop()
        if not await self.lifespan.startup():
            return 3
        state = self.state
        state.dispatcher = native_dispatcher(state.app)
        state.short_path = (
            state.dispatcher is not None
            and self.config.limit_concurrency is None
            and not state.app._server_https_redirect
            and state.http_chain is None
        )
        if logger.isEnabledFor(logging.DEBUG):
            for route in route_paths(self.state.app):
                logger.debug("%s", route)
        config = self.config
        try:
            if sock is None:
                server = await loop.create_server(
                    lambda: HttpProtocol(self.state),
                    host=config.host,
                    port=config.port,
                    reuse_address=True,
                    backlog=2048,
                )
            else:
                server = await loop.create_server(
                    lambda: HttpProtocol(self.state), sock=sock, backlog=2048
                )
        except OSError as exc:
            logger.error("could not listen on %s:%s: %s", config.host, config.port, exc)
            await self.lifespan.shutdown()
            return 1
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, self.should_exit.set)
        ticker = loop.create_task(self._tick())
        await self.should_exit.wait()
        logger.info("shutting down")
        await self._drain(server)
        ticker.cancel()
        await self.lifespan.shutdown()
        return 0

    async def _tick(self) -> None:
        while True:
            await asyncio.sleep(TICK)
            self.state.tick()

    async def _drain(self, server: asyncio.AbstractServer) -> None:
        """Stop accepting, let requests in flight finish (up to the timeout), close the rest."""
        state = self.state
        state.shutting_down = True
        server.close()
        for conn in list(state.connections):
            conn.shutdown()
        timeout = self.config.timeout_graceful_shutdown
        deadline = None if timeout is None else asyncio.get_running_loop().time() + timeout
        while state.connections or state.active:  # active: work that outlives its response
            if deadline is not None and asyncio.get_running_loop().time() >= deadline:
                logger.warning(
                    "graceful shutdown timed out; closing %d connection(s)", len(state.connections)
                )
                for conn in list(state.connections):
                    if conn.cycle is not None and conn.cycle.task is not None:
                        conn.cycle.task.cancel()
                    conn.close()
                    if conn.host is not None:
                        conn.host.task.cancel()
                break
            await asyncio.sleep(0.05)
        await server.wait_closed()


class Lifespan:
    """Runs an ASGI app's lifespan protocol; an app that does not speak it is served anyway."""

    def __init__(self, app: Any, state: dict[str, Any]) -> None:
        self.app = app
        self.state = state
        self.inbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.outbox: asyncio.Queue[dict[str, Any] | None] = asyncio.Queue()
        self.task: asyncio.Task[None] | None = None
        self.started = False

    async def startup(self) -> bool:
        """False if the app's startup failed (the error is logged)."""
        scope = {
            "type": "lifespan",
            "asgi": {"version": "3.0", "spec_version": "2.0"},
            "state": self.state,
        }
        self.task = asyncio.get_running_loop().create_task(self._main(scope))
        await self.inbox.put({"type": "lifespan.startup"})
        reply = await self.outbox.get()
        if reply is None:  # the app ended without answering: it does not do lifespan
            return True
        if reply["type"] == "lifespan.startup.failed":
            logger.error("Application startup failed. Exiting.\n%s", reply.get("message", ""))
            return False
        self.started = True
        return True

    async def shutdown(self) -> None:
        if not self.started or self.task is None or self.task.done():
            return
        await self.inbox.put({"type": "lifespan.shutdown"})
        reply = await self.outbox.get()
        if reply is not None and reply["type"] == "lifespan.shutdown.failed":
            logger.error("Application shutdown failed.\n%s", reply.get("message", ""))

    async def _main(self, scope: dict[str, Any]) -> None:
        try:
            await self.app(scope, self.inbox.get, self.outbox.put)
        except asyncio.CancelledError:
            raise
        except BaseException as exc:
            if self.started:
                logger.error("Exception in the application's lifespan", exc_info=exc)
            else:
                logger.debug("The app does not support the ASGI lifespan protocol: %r", exc)
        finally:
            await self.outbox.put(None)  # wakes a startup() or shutdown() still waiting
