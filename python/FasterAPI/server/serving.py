"""One process of FasterAPI's native HTTP/1.1 server: the asyncio server that `fasterapi run`
and `FasterAPI.run(app)` start (`serve`), its settings (`Config`) and the app's lifespan.

Bytes are parsed and framed in Rust (FasterAPI._core.HttpParser); the asyncio loop (uvloop when
installed) owns the sockets, and TLS when `--ssl-certfile` is given (`ssl_context`). One process
serves on one thread; more cores come from `--workers`, processes sharing the port with
SO_REUSEPORT (see FasterAPI.server.supervisor). Besides host:port, a server listens on a Unix
socket (`--uds`) or on a socket it inherited (`--fd`): `listen_socket`.
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import ipaddress
import logging
import os
import signal
import socket
import ssl
import stat
import sys
from collections.abc import Callable
from typing import Any

from .. import _core
from .access import AccessLog
from .chain import HttpChain
from .logs import use_log_format
from .native import native_dispatcher, route_paths
from .protocol import HttpProtocol

logger = logging.getLogger("fasterapi.error")
#: How often connection timeouts are checked, in seconds: they fire up to this much late.
TICK = 0.1
#: What a Unix socket's file is made readable and writable by (uvicorn's): everyone; the
#: directory it is in is what restricts who may connect.
UDS_PERMISSIONS = 0o666
#: The longest listen queue --backlog takes: the kernel cuts a longer one down to its own
#: limit (Linux's net.core.somaxconn, 4096 by default), and listen() takes no more than 2**31-1.
MAX_BACKLOG = 65535
#: Seconds a client has to finish the TLS handshake (asyncio's default is 60): a connection
#: that stalls in it holds no request yet, so no request timeout covers it.
TLS_HANDSHAKE_TIMEOUT = 10.0


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
    #: Compress WebSocket messages when the client offers permessage-deflate (RFC 7692), as
    #: uvicorn's --ws-per-message-deflate does (on by default).
    ws_per_message_deflate: bool = True
    #: TLS, as uvicorn's --ssl-* options: a PEM certificate (chain), its key (if not in the
    #: certificate file) and the key's password; client certificates (`ssl.CERT_NONE`,
    #: `CERT_OPTIONAL`, `CERT_REQUIRED`) checked against `ssl_ca_certs`; OpenSSL's cipher list.
    ssl_keyfile: str | None = None
    ssl_certfile: str | None = None
    ssl_keyfile_password: str | None = None
    ssl_cert_reqs: int = int(ssl.CERT_NONE)
    ssl_ca_certs: str | None = None
    ssl_ciphers: str = "TLSv1"
    #: A Unix socket to listen on instead of host:port (uvicorn's --uds).
    uds: str | None = None
    #: A listening socket's file descriptor, inherited from the parent, to serve on (--fd).
    fd: int | None = None
    #: The listen queue's length (uvicorn's --backlog), 1 to MAX_BACKLOG.
    backlog: int = 2048
    #: Headers added to every response that does not set them (uvicorn's --header), as
    #: (name, value) pairs; a "server" one names the server.
    headers: list[tuple[str, str]] | None = None
    #: Whether responses get `server: fasterapi` and a `date` (uvicorn's --server-header,
    #: --date-header).
    server_header: bool = True
    date_header: bool = True
    #: A worker answers this many requests, then a new one takes its place (uvicorn's
    #: --limit-max-requests; with `fasterapi run`, the supervisor starts the new one first).
    limit_max_requests: int | None = None
    #: The access log's line as a %-format of named fields (access.FIELDS); None for uvicorn's.
    access_log_format: str | None = None

    @property
    def is_ssl(self) -> bool:
        return self.ssl_certfile is not None

    @property
    def scheme(self) -> str:
        """The scheme of a request that no proxy header speaks of: http, or https over TLS."""
        return "https" if self.is_ssl else "http"


class TLSSettingError(ValueError):
    """A TLS setting the server cannot use: `field` is the Config field, `reason` says why."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


def ssl_context(config: Config) -> ssl.SSLContext | None:
    """The server's TLS context (None without `ssl_certfile`), made as uvicorn makes it, with
    ALPN offering http/1.1. Raises TLSSettingError naming the setting that is wrong: a file
    that cannot be read, a bad certificate or key, a wrong or missing key password (without
    one, OpenSSL would ask for it on the terminal), a bad cipher list."""
    if config.ssl_certfile is None:
        return None
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    for field in ("ssl_certfile", "ssl_keyfile", "ssl_ca_certs"):
        path = getattr(config, field)
        if path is not None and not os.path.isfile(path):
            raise TLSSettingError(field, f"no such file: {path}")
    asked: list[bool] = []

    def password() -> str:
        asked.append(True)
        if config.ssl_keyfile_password is None:
            raise TLSSettingError("ssl_keyfile_password", "the key is encrypted: give its password")
        return config.ssl_keyfile_password

    try:
        context.load_cert_chain(config.ssl_certfile, config.ssl_keyfile, password)
    except ssl.SSLError as exc:
        if asked and config.ssl_keyfile_password is not None:
            raise TLSSettingError("ssl_keyfile_password", "wrong password for the key") from None
        field = "ssl_keyfile" if config.ssl_keyfile else "ssl_certfile"
        raise TLSSettingError(field, f"not a PEM certificate and its key ({exc})") from None
    except OSError as exc:
        raise TLSSettingError("ssl_certfile", f"cannot be read ({exc})") from None
    try:
        context.verify_mode = ssl.VerifyMode(config.ssl_cert_reqs)
    except ValueError:
        raise TLSSettingError(
            "ssl_cert_reqs",
            f"must be 0 (none), 1 (optional) or 2 (required), got {config.ssl_cert_reqs}",
        ) from None
    if config.ssl_ca_certs:
        try:
            context.load_verify_locations(config.ssl_ca_certs)
        except (ssl.SSLError, OSError) as exc:
            raise TLSSettingError("ssl_ca_certs", f"not PEM CA certificates ({exc})") from None
    if config.ssl_ciphers:
        try:
            context.set_ciphers(config.ssl_ciphers)
        except ssl.SSLError:
            raise TLSSettingError(
                "ssl_ciphers",
                f"no cipher matches {config.ssl_ciphers!r} (OpenSSL's cipher list format)",
            ) from None
    context.set_alpn_protocols(["http/1.1"])
    return context


def listen_socket(
    config: Config, *, reuse_port: bool = False, listen: bool = True
) -> socket.socket:
    """The socket `config` says to serve on, listening (unless `listen` is False): the
    inherited `fd`, the Unix socket `uds` (a stale socket file there is replaced, a live one
    is an error), or host:port (with SO_REUSEPORT if `reuse_port`). Raises OSError when it
    cannot be had."""
    if config.fd is not None:
        return inherited_socket(config.fd, config.backlog)
    if config.uds is not None:
        return _unix_socket(config.uds, config.backlog, listen)
    family, kind, proto, _, address = socket.getaddrinfo(
        config.host or None, config.port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
    )[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if reuse_port:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind(address)
        if listen:
            sock.listen(config.backlog)
    except BaseException:
        sock.close()
        raise
    return sock


def inherited_socket(fd: int, backlog: int) -> socket.socket:
    """The socket of the inherited file descriptor `fd` (duplicated), listening: one that is
    bound but not yet listening is made to listen with `backlog`. Raises OSError for what
    cannot be served on (inherited_socket_problem)."""
    sock = socket.socket(fileno=os.dup(fd))  # family and type read from the fd
    try:
        problem = inherited_socket_problem(sock)
        if problem is not None:
            raise OSError(f"file descriptor {fd} {problem}")
        if not sock.getsockopt(socket.SOL_SOCKET, socket.SO_ACCEPTCONN):
            sock.listen(backlog)
    except BaseException:
        sock.close()
        raise
    return sock


def inherited_socket_problem(sock: socket.socket) -> str | None:
    """Why a server cannot listen on `sock` (None if it can): not a stream socket, a connected
    socket (one end of a conversation), or not bound to an address (listening would bind it
    to a random port)."""
    if sock.type != socket.SOCK_STREAM:
        return "is not a stream socket"
    if sock.getsockopt(socket.SOL_SOCKET, socket.SO_ACCEPTCONN):
        return None
    try:
        sock.getpeername()
    except OSError:
        pass
    else:
        return "is a connected socket, not a listening one"
    name = sock.getsockname()
    if name in ("", b"") or (isinstance(name, tuple) and name[1] == 0):
        return "is not bound to an address"
    return None


class SocketInUseError(OSError):
    """Another server is listening on the Unix socket `path`."""

    def __init__(self, path: str) -> None:
        super().__init__(f"another server is listening on {path}")
        self.path = path


def unix_socket_in_use(path: str) -> bool:
    """Whether a server is listening on the Unix socket `path`: a connection it accepts (or
    queues) says so; only a refused one says the socket file is stale."""
    probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    probe.settimeout(1)
    try:
        probe.connect(path)
    except ConnectionRefusedError:
        return False
    except FileNotFoundError:
        return False
    except OSError:  # a full listen queue (EAGAIN), a timeout: someone is there
        return True
    finally:
        probe.close()
    return True


#: The (st_dev, st_ino) of the Unix socket files this process bound, by path: at exit, only
#: a file that is still the one bound here is removed (another server may have replaced it).
_bound_unix_sockets: dict[str, tuple[int, int]] = {}


def _unix_socket(path: str, backlog: int, listen: bool) -> socket.socket:
    """A Unix socket bound at `path`, as uvicorn binds one: a stale socket file left there by
    an earlier server is removed (a live one, or anything else there, is an error), and the
    new one keeps the old one's permissions, else gets UDS_PERMISSIONS."""
    permissions = UDS_PERMISSIONS
    try:
        old = os.stat(path)
    except FileNotFoundError:
        pass
    else:
        if not stat.S_ISSOCK(old.st_mode):
            raise OSError(f"{path} exists and is not a socket")
        if unix_socket_in_use(path):
            raise SocketInUseError(path)
        permissions = stat.S_IMODE(old.st_mode)
        os.unlink(path)
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        sock.bind(path)
        bound = os.stat(path)
        _bound_unix_sockets[path] = (bound.st_dev, bound.st_ino)
        os.chmod(path, permissions)
        if listen:
            sock.listen(backlog)
    except BaseException:
        sock.close()
        raise
    return sock


def remove_unix_socket(config: Config) -> None:
    """Removes the `uds` socket file once the server that made it has stopped: only if it is
    still the file this process bound (not one another server has put there since)."""
    if config.uds is None:
        return
    bound = _bound_unix_sockets.pop(config.uds, None)
    try:
        now = os.stat(config.uds)
        if bound == (now.st_dev, now.st_ino) and stat.S_ISSOCK(now.st_mode):
            os.unlink(config.uds)
    except OSError:
        pass


def listen_address(config: Config) -> str:
    """Where `config` listens, as the log says it: host:port, a Unix socket or an fd."""
    if config.fd is not None:
        return f"file descriptor {config.fd}"
    if config.uds is not None:
        return f"unix socket {config.uds}"
    return f"{config.host}:{config.port}"


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
        #: A request's scheme when no trusted proxy header says otherwise.
        self.scheme = config.scheme
        #: Whom X-Forwarded-For/-Proto are believed from (--forwarded-allow-ips).
        self.proxies = TrustedProxies(config.forwarded_allow_ips)
        self.access_log = AccessLog(config.access_log_format) if config.access_log else None
        #: Requests this server answers before it is replaced (--limit-max-requests), the
        #: count so far, and what is called once it is reached.
        self.request_limit = config.limit_max_requests
        self.requests = 0
        self.on_request_limit: Callable[[], None] | None = None
        #: Past --limit-max-requests: a successor serves, so the drain lets connections end
        #: gently (HttpProtocol.shutdown).
        self.retiring = False

    @property
    def reports_requests(self) -> bool:
        """Whether connections tell of each response (HttpProtocol.answered)."""
        return self.access_log is not None or self.request_limit is not None

    def count_request(self) -> None:
        self.requests += 1
        if self.requests == self.request_limit and self.on_request_limit is not None:
            self.on_request_limit()

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
        return self.proxies.trust_all or (client is not None and client[0] in self.proxies)


#: The IPv6 addresses that are IPv4 addresses in disguise (::ffff:a.b.c.d).
IPV4_MAPPED = ipaddress.IPv6Network("::ffff:0:0/96")
#: The longest IP address written out (an IPv4-mapped IPv6 address with a zone): a longer
#: host is no address, and is not remembered.
MAX_ADDRESS_LENGTH = 45


class TrustedProxies:
    """The proxies --forwarded-allow-ips names, as uvicorn's ProxyHeadersMiddleware reads them:
    a comma-separated list of addresses (`10.0.0.1`, `::1`), networks (`10.0.0.0/8`,
    `fd00::/8`) and other names matched as they are written (`unix:`), or `*` for anyone.
    An IPv4 address matches in either form, a.b.c.d or ::ffff:a.b.c.d (as a dual-stack
    socket shows it), in the list and in the host."""

    def __init__(self, allowed: str) -> None:
        entries = [entry.strip() for entry in allowed.split(",") if entry.strip()]
        self.trust_all = "*" in entries
        self.addresses: set[ipaddress.IPv4Address | ipaddress.IPv6Address] = set()
        self.networks: list[ipaddress.IPv4Network | ipaddress.IPv6Network] = []
        self.literals: set[str] = set()
        for entry in entries:
            try:
                address = ipaddress.ip_address(entry)
            except ValueError:
                pass
            else:
                self.addresses.add(address)
                if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
                    self.addresses.add(address.ipv4_mapped)
                continue
            try:
                network = ipaddress.ip_network(entry, strict=False)
            except ValueError:
                self.literals.add(entry)
                continue
            self.networks.append(network)
            if isinstance(network, ipaddress.IPv6Network) and network.subnet_of(IPV4_MAPPED):
                mapped = network.network_address.ipv4_mapped
                self.networks.append(ipaddress.IPv4Network((mapped, network.prefixlen - 96)))
        #: Hosts seen before, and whether they were trusted (addresses repeat: a proxy's).
        self._seen: dict[str, bool] = {}

    def __contains__(self, host: str) -> bool:
        if self.trust_all:
            return True
        if len(host) > MAX_ADDRESS_LENGTH:  # no address; not kept, as anyone may send one
            return host in self.literals
        known = self._seen.get(host)
        if known is None:
            known = self._seen[host] = self._match(host)
            if len(self._seen) > 1024:  # many different clients: keep the newest
                del self._seen[next(iter(self._seen))]
        return known

    def _match(self, host: str) -> bool:
        try:
            address = ipaddress.ip_address(host)
        except ValueError:
            return host in self.literals
        if self._listed(address):
            return True
        # ::ffff:10.0.0.1, as a dual-stack socket shows 10.0.0.1
        mapped = address.ipv4_mapped if isinstance(address, ipaddress.IPv6Address) else None
        return mapped is not None and self._listed(mapped)

    def _listed(self, address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
        return address in self.addresses or any(address in net for net in self.networks)

    def client(self, forwarded_for: str) -> tuple[str, int]:
        """The client (host, port) an X-Forwarded-For value names: reading from the right
        (each proxy adds the address it saw), the first host that is not a trusted proxy; the
        leftmost if all are (or with `*`, as uvicorn does). A hop may carry a port
        (`1.2.3.4:5678`, `[2001:db8::1]:443`): it is the client's port, else 0."""
        hops = [hop.strip() for hop in forwarded_for.split(",")]
        if self.trust_all:
            return host_and_port(hops[0])
        for hop in reversed(hops):
            host, port = host_and_port(hop)
            if host not in self:
                return host, port
        return host_and_port(hops[0])


def host_and_port(hop: str) -> tuple[str, int]:
    """A hop of X-Forwarded-For as (host, port), read as uvicorn reads it: `host`,
    `a.b.c.d:port`, `[v6]` or `[v6]:port`; anything else is a host as written, port 0."""
    if hop.startswith("["):
        end = hop.find("]")
        if end == -1:
            return hop, 0
        host, rest = hop[1:end], hop[end + 1 :]
        if not rest:
            return host, 0
        if not rest.startswith(":"):
            return hop, 0
        try:
            return host, int(rest[1:])
        except ValueError:
            return host, 0
    if hop.count(":") == 1:
        host, port = hop.split(":")
        try:
            return host, int(port)
        except ValueError:
            return hop, 0
    return hop, 0


def serve(
    app: Any,
    config: Config,
    sock: socket.socket | None = None,
    tell: Callable[[str], None] | None = None,
) -> int:
    """Serve `app` until SIGTERM or SIGINT; returns the exit code (0 after a graceful stop).

    `sock` is a listening socket made by the caller (a worker of `--workers N`); without it the
    server binds `config.host:config.port` itself. A worker `tell`s its supervisor "ready"
    once it listens, and "retire" once it has answered `config.limit_max_requests` requests
    (it then serves on until stopped); a server on its own stops then. The log lines of
    `fasterapi run` (and of its worker processes) take `config.log_format`.
    """
    use_log_format(config.log_format)
    try:
        import uvloop
    except ImportError:
        return asyncio.run(Server(app, config, tell).run(sock))
    return uvloop.run(Server(app, config, tell).run(sock))


class Server:
    """Lifespan, listening socket, signals and graceful shutdown around the connections."""

    def __init__(self, app: Any, config: Config, tell: Callable[[str], None] | None = None) -> None:
        self.state = ServerState(app, config)
        self.config = config
        self.lifespan = Lifespan(app, self.state.app_state)
        self.should_exit = asyncio.Event()
        self.tell = tell
        self.state.on_request_limit = self._request_limit_reached

    def _request_limit_reached(self) -> None:
        self.state.retiring = True
        if self.tell is not None:
            self.tell("retire")  # the supervisor starts a successor, then stops this one
            return
        logger.info("Answered %d requests (limit_max_requests): shutting down", self.state.requests)
        self.should_exit.set()

    async def run(self, sock: socket.socket | None = None) -> int:
        loop = asyncio.get_running_loop()
        config = self.config
        _core.set_server_headers(
            date=config.date_header,
            server=config.server_header,
            headers=[
                (name.encode("latin-1"), value.encode("latin-1"))
                for name, value in config.headers or ()
            ],
        )
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
        made_socket = sock is None and (config.uds is not None or config.fd is not None)
        try:
            server = await self._listen(sock)
        except OSError as exc:
            logger.error("could not listen on %s: %s", listen_address(config), exc)
            await self.lifespan.shutdown()
            return 1
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, self.should_exit.set)
        if self.tell is not None:
            self.tell("ready")
        ticker = loop.create_task(self._tick())
        await self.should_exit.wait()
        logger.info("shutting down")
        await self._drain(server)
        ticker.cancel()
        if made_socket:
            remove_unix_socket(config)
        await self.lifespan.shutdown()
        return 0

    async def _listen(self, sock: socket.socket | None) -> asyncio.AbstractServer:
        """Starts accepting connections, over TLS if the config says so: on `sock`, else on
        the socket the config names (listen_socket), else on host:port bound by asyncio."""
        loop = asyncio.get_running_loop()
        config = self.config
        state = self.state
        tls = ssl_context(config)

        def protocol() -> HttpProtocol:
            return HttpProtocol(state)

        if sock is None and (config.uds is not None or config.fd is not None):
            sock = listen_socket(config)
        handshake_timeout = TLS_HANDSHAKE_TIMEOUT if tls is not None else None
        if sock is None:
            return await loop.create_server(
                protocol,
                host=config.host,
                port=config.port,
                reuse_address=True,
                backlog=config.backlog,
                ssl=tls,
                ssl_handshake_timeout=handshake_timeout,
            )
        if sock.family == socket.AF_UNIX:
            # The socket file stays until whoever bound it is done (workers share it): Python
            # 3.13's loops would remove it when this server closes.
            keep: dict[str, Any] = {"cleanup_socket": False} if sys.version_info >= (3, 13) else {}
            return await loop.create_unix_server(
                protocol,
                sock=sock,
                backlog=config.backlog,
                ssl=tls,
                ssl_handshake_timeout=handshake_timeout,
                **keep,
            )
        return await loop.create_server(
            protocol,
            sock=sock,
            backlog=config.backlog,
            ssl=tls,
            ssl_handshake_timeout=handshake_timeout,
        )

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
                busy = [conn for conn in state.connections if conn.cycle is not None]
                if busy or state.active or not state.retiring:  # (a retiring worker's idle
                    logger.warning(  # keep-alive connections are no news)
                        "graceful shutdown timed out; closing %d connection(s)",
                        len(state.connections),
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
