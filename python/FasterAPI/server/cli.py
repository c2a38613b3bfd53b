"""The `fasterapi` command: `fasterapi run` and `fasterapi dev`, as in fastapi-cli.

`run` serves for production (0.0.0.0, `--workers N`); `dev` serves on 127.0.0.1 and restarts
when a .py file changes. Both find the app the way fastapi-cli does: from an import string
(`main:app`), a path to a .py file or package, or a default file (main.py, app.py, ...).
`run_app` is the same machinery behind `FasterAPI.run(app)`. Serving always goes through
`serving.serve`, looked up on the module, so it can be replaced.
"""

from __future__ import annotations

import argparse
import dataclasses
import errno
import logging
import os
import platform
import socket
import ssl
import stat
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from .. import _core
from . import access, serving, supervisor
from .discovery import (
    DEFAULT_FILES,
    AppImport,
    UsageError,
    find_app,
    module_level_source,
    module_root,
)
from .logs import LOG_FORMATS, LOG_LEVELS, configure_logging, use_uvloop

logger = logging.getLogger("fasterapi")


#: Bind errors reported as one line instead of a traceback.
BIND_ERRNOS = {errno.EADDRINUSE, errno.EACCES, errno.EADDRNOTAVAIL}
#: `Config` fields `run_app` takes as keyword options (host and port are named parameters).
RUN_OPTIONS = frozenset(field.name for field in dataclasses.fields(serving.Config)) - {
    "host",
    "port",
}


# -- finding the app ----------------------------------------------------------------------------


# -- options ------------------------------------------------------------------------------------


def version_line() -> str:
    """What `fasterapi --version` prints: `FasterAPI 0.1.0 (Python 3.11.7, Linux)`."""
    python = platform.python_version()
    return f"FasterAPI {_core.__version__} (Python {python}, {platform.system()})"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="fasterapi",
        description="Serve a FasterAPI app with FasterAPI's native HTTP server.",
    )
    parser.add_argument("--version", action="version", version=version_line())
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    run = commands.add_parser(
        "run",
        help="serve in production mode (0.0.0.0, no reload, --workers N)",
        description="Serve the app in production mode.",
    )
    add_serve_options(run, host="0.0.0.0", reload=False)
    run.add_argument(
        "--workers",
        type=int,
        default=1,
        metavar="N",
        help="number of worker processes sharing the port (default: 1)",
    )
    dev = commands.add_parser(
        "dev",
        help="serve in development mode (127.0.0.1, reload on change)",
        description="Serve the app in development mode, restarting it when a .py file changes.",
    )
    add_serve_options(dev, host="127.0.0.1", reload=True)
    return parser


def add_serve_options(parser: argparse.ArgumentParser, *, host: str, reload: bool) -> None:
    on_off = argparse.BooleanOptionalAction
    parser.add_argument(
        "path",
        nargs="?",
        metavar="PATH",
        help="module:attr import string, or a .py file or package directory "
        f"(default: the first of {', '.join(DEFAULT_FILES)})",
    )
    parser.add_argument("--app", metavar="NAME", help="name of the app variable in the module")
    parser.add_argument(
        "--fastapi",
        action="store_true",
        help="drop-in mode: serve a FastAPI app unchanged (its `import fastapi` gives FasterAPI)",
    )
    parser.add_argument("--host", default=host, help=f"address to bind (default: {host})")
    parser.add_argument("--port", type=int, default=8000, help="port to bind (default: 8000)")
    parser.add_argument(
        "--uds", metavar="PATH", help="listen on this Unix socket instead of host:port"
    )
    parser.add_argument(
        "--fd",
        type=int,
        metavar="N",
        help="serve on this inherited file descriptor, a listening socket, instead of host:port",
    )
    parser.add_argument(
        "--backlog",
        type=int,
        default=2048,
        metavar="N",
        help=(
            "connections the listen queue may hold, 1 to 65535 (default: 2048; the kernel caps"
            " it at net.core.somaxconn)"
        ),
    )
    parser.add_argument(
        "--reload",
        action=on_off,
        default=reload,
        help=f"restart when a .py file changes (default: {'on' if reload else 'off'})",
    )
    parser.add_argument(
        "--log-level",
        type=str.lower,
        default="info",
        choices=list(LOG_LEVELS),
        help="log level (default: info)",
    )
    parser.add_argument(
        "--log-format",
        type=str.lower,
        default="text",
        choices=list(LOG_FORMATS),
        help="log lines as text (uvicorn's look) or as one JSON object each (default: text)",
    )
    parser.add_argument(
        "--access-log", action=on_off, default=True, help="log each request (default: on)"
    )
    parser.add_argument(
        "--access-log-format",
        metavar="FORMAT",
        help="the access log's line as a %%-format of named fields, e.g. "
        "'%%(client_addr)s \"%%(request_line)s\" %%(status)d %%(bytes)d %%(duration_ms).1fms'; "
        f"fields: {', '.join(access.FIELDS)} (default: uvicorn's line)",
    )
    parser.add_argument("--root-path", default="", help="path prefix the app is mounted under")
    parser.add_argument(
        "--proxy-headers",
        action=on_off,
        default=True,
        help="trust X-Forwarded-For/-Proto from --forwarded-allow-ips (default: on)",
    )
    parser.add_argument(
        "--forwarded-allow-ips",
        metavar="IPS",
        help="comma-separated proxy addresses to trust, or '*' "
        "(default: $FORWARDED_ALLOW_IPS or 127.0.0.1)",
    )
    parser.add_argument(
        "--limit-max-requests",
        type=int,
        metavar="N",
        help="replace a worker once it has answered N requests: its successor is started first, "
        "and it finishes what it has",
    )
    parser.add_argument(
        "--header",
        action="append",
        default=[],
        dest="headers",
        metavar="NAME:VALUE",
        help="add this header to every response that does not set it (repeatable)",
    )
    parser.add_argument(
        "--server-header",
        action=on_off,
        default=True,
        help="send 'server: fasterapi' (default: on)",
    )
    parser.add_argument(
        "--date-header", action=on_off, default=True, help="send a date header (default: on)"
    )
    parser.add_argument(
        "--limit-concurrency",
        type=int,
        metavar="N",
        help="answer 503 beyond N concurrent connections",
    )
    parser.add_argument(
        "--timeout-keep-alive",
        type=float,
        default=5.0,
        metavar="SECONDS",
        help="close idle keep-alive connections after this long (default: 5)",
    )
    parser.add_argument(
        "--timeout-graceful-shutdown",
        type=float,
        metavar="SECONDS",
        help="on shutdown, wait at most this long for requests to finish (default: no limit; "
        "workers are killed after 30)",
    )
    parser.add_argument(
        "--ws-max-size",
        type=int,
        default=16 * 1024 * 1024,
        metavar="BYTES",
        help="close WebSockets that send a larger message, with 1009 (default: 16 MiB)",
    )
    parser.add_argument(
        "--ws-ping-interval",
        type=float,
        default=20.0,
        metavar="SECONDS",
        help="ping a WebSocket after this long without a byte from it (default: 20)",
    )
    parser.add_argument(
        "--ws-ping-timeout",
        type=float,
        default=20.0,
        metavar="SECONDS",
        help="drop a pinged WebSocket that sends nothing back for this long (default: 20)",
    )
    parser.add_argument(
        "--ws-per-message-deflate",
        action=on_off,
        default=True,
        help="compress WebSocket messages when the client offers permessage-deflate (default: on)",
    )
    add_ssl_options(parser)


def add_ssl_options(parser: argparse.ArgumentParser) -> None:
    """uvicorn's --ssl-* options: TLS is on when --ssl-certfile is given."""
    parser.add_argument("--ssl-keyfile", metavar="PATH", help="the TLS key (PEM)")
    parser.add_argument(
        "--ssl-certfile",
        metavar="PATH",
        help="the TLS certificate, or chain, in PEM (with the key, unless --ssl-keyfile); "
        "serves HTTPS",
    )
    parser.add_argument(
        "--ssl-keyfile-password", metavar="PASSWORD", help="the password of an encrypted key"
    )
    parser.add_argument(
        "--ssl-cert-reqs",
        type=int,
        default=int(ssl.CERT_NONE),
        metavar="N",
        help="client certificates: 0 not asked for, 1 optional, 2 required (default: 0)",
    )
    parser.add_argument(
        "--ssl-ca-certs",
        metavar="PATH",
        help="CA certificates (PEM) client certificates must chain to",
    )
    parser.add_argument(
        "--ssl-ciphers", default="TLSv1", help="OpenSSL cipher list (default: TLSv1)"
    )


def config_from_args(args: argparse.Namespace) -> serving.Config:
    return serving.Config(
        host=args.host,
        port=args.port,
        root_path=args.root_path,
        log_level=args.log_level,
        log_format=args.log_format,
        access_log=args.access_log,
        proxy_headers=args.proxy_headers,
        forwarded_allow_ips=(
            args.forwarded_allow_ips or os.environ.get("FORWARDED_ALLOW_IPS") or "127.0.0.1"
        ),
        limit_concurrency=args.limit_concurrency,
        timeout_keep_alive=args.timeout_keep_alive,
        timeout_graceful_shutdown=args.timeout_graceful_shutdown,
        ws_max_size=args.ws_max_size,
        ws_ping_interval=args.ws_ping_interval,
        ws_ping_timeout=args.ws_ping_timeout,
        ws_per_message_deflate=args.ws_per_message_deflate,
        ssl_keyfile=args.ssl_keyfile,
        ssl_certfile=args.ssl_certfile,
        ssl_keyfile_password=args.ssl_keyfile_password,
        ssl_cert_reqs=args.ssl_cert_reqs,
        ssl_ca_certs=args.ssl_ca_certs,
        ssl_ciphers=args.ssl_ciphers,
        uds=args.uds,
        fd=args.fd,
        backlog=args.backlog,
        headers=[parse_header(text) for text in args.headers] or None,
        server_header=args.server_header,
        date_header=args.date_header,
        limit_max_requests=args.limit_max_requests,
        access_log_format=args.access_log_format,
    )


def parse_header(text: str) -> tuple[str, str]:
    """An --header NAME:VALUE, as (name, value) with the value's outer spaces trimmed."""
    name, colon, value = text.partition(":")
    if not colon:
        raise UsageError(f"--header {text!r}: expected NAME:VALUE, e.g. 'X-Served-By: edge-1'")
    return name.strip(), value.strip()


#: The largest --ws-max-size: a message's size is a 63-bit number (RFC 6455 5.2).
MAX_WS_SIZE = 2**63 - 1
#: RFC 9110's token: what a header name is made of.
_TOKEN = frozenset("!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
#: Headers --header cannot add: the server writes them itself, per response.
SERVER_WRITTEN = frozenset(
    {"content-length", "transfer-encoding", "connection", "keep-alive", "upgrade", "te", "trailer"}
)


def check_headers(headers: Sequence[tuple[str, str]], spell: Callable[[str], str]) -> None:
    """Headers `--header` cannot add: a name that is no token, a value with a control
    character or one Latin-1 cannot write, a framing header, `date`."""
    for pair in headers:
        if not (isinstance(pair, tuple | list) and len(pair) == 2):
            raise UsageError(f"{spell('headers')}: expected (name, value) pairs, got {pair!r}")
        name, value = pair
        if not isinstance(name, str) or not isinstance(value, str):
            raise UsageError(f"{spell('headers')}: names and values are str, got {pair!r}")
        if not name or not set(name) <= _TOKEN:
            raise UsageError(f"{spell('headers')}: {name!r} is not a header name")
        lower = name.lower()
        if lower in SERVER_WRITTEN:
            raise UsageError(
                f"{spell('headers')}: {name} is written by the server for each response"
            )
        if lower == "date":
            raise UsageError(
                f"{spell('headers')}: the server writes date itself; {spell('date_header')} "
                "turns it on or off"
            )
        if any((c < " " and c != "\t") or c == "\x7f" or c > "\xff" for c in value):
            raise UsageError(
                f"{spell('headers')}: the value of {name} has a control character or a "
                "character Latin-1 cannot write"
            )


def check_options(
    config: serving.Config, workers: int, reload: bool, spell: Callable[[str], str]
) -> None:
    """Raise UsageError for values no server can run with; `spell` names an option."""
    if config.log_level not in LOG_LEVELS:
        raise UsageError(f"{spell('log_level')} must be one of {', '.join(LOG_LEVELS)}")
    if config.log_format not in LOG_FORMATS:
        raise UsageError(f"{spell('log_format')} must be one of {', '.join(LOG_FORMATS)}")
    if not 1 <= config.port <= 65535:
        raise UsageError(f"{spell('port')} must be between 1 and 65535, got {config.port}")
    if workers < 1:
        raise UsageError(f"{spell('workers')} must be at least 1, got {workers}")
    if workers > 1 and reload:
        raise UsageError(
            f"{spell('workers')} cannot be used with {spell('reload')}: reloading runs a single "
            f"server process; drop one of them"
        )
    if config.limit_concurrency is not None and config.limit_concurrency < 1:
        raise UsageError(f"{spell('limit_concurrency')} must be at least 1")
    for name in ("timeout_keep_alive", "timeout_graceful_shutdown"):
        value = getattr(config, name)
        if value is not None and value < 0:
            raise UsageError(f"{spell(name)} must not be negative, got {value}")
    if config.limit_max_requests is not None:
        if config.limit_max_requests < 1:
            raise UsageError(
                f"{spell('limit_max_requests')} must be at least 1, got {config.limit_max_requests}"
            )
        if reload:
            raise UsageError(f"{spell('limit_max_requests')} cannot be used with {spell('reload')}")
    check_headers(config.headers or (), spell)
    if config.access_log_format is not None:
        problem = access.format_problem(config.access_log_format)
        if problem is not None:
            raise UsageError(f"{spell('access_log_format')}: {problem}")
    if not 1 <= config.ws_max_size <= MAX_WS_SIZE:
        raise UsageError(
            f"{spell('ws_max_size')} must be between 1 and {MAX_WS_SIZE} bytes, got "
            f"{config.ws_max_size}"
        )
    for name in ("ws_ping_interval", "ws_ping_timeout"):
        value = getattr(config, name)
        if value is not None and value <= 0:
            raise UsageError(f"{spell(name)} must be positive, got {value}")
    check_socket_options(config, spell)
    check_ssl_options(config, spell)


def check_socket_options(config: serving.Config, spell: Callable[[str], str]) -> None:
    """Socket options that cannot work: a backlog out of range, --uds with --fd, a Unix socket
    another server is listening on, an --fd that is not a socket a server can listen on."""
    if not 1 <= config.backlog <= serving.MAX_BACKLOG:
        raise UsageError(
            f"{spell('backlog')} must be between 1 and {serving.MAX_BACKLOG}, got "
            f"{config.backlog} (the kernel caps a listen queue anyway: on Linux at "
            "net.core.somaxconn)"
        )
    if config.uds is not None and config.fd is not None:
        raise UsageError(f"{spell('uds')} and {spell('fd')} cannot be used together")
    if config.uds is not None:
        if not hasattr(socket, "AF_UNIX"):
            raise UsageError(f"{spell('uds')}: this platform has no Unix sockets")
        try:
            live = stat.S_ISSOCK(os.stat(config.uds).st_mode)
        except OSError:
            live = False
        if live and serving.unix_socket_in_use(config.uds):
            raise UsageError(f"{spell('uds')}: another server is listening on {config.uds}")
    if config.fd is not None:
        if config.fd < 0:
            raise UsageError(f"{spell('fd')} must not be negative, got {config.fd}")
        try:
            kind = os.fstat(config.fd).st_mode
        except OSError:
            raise UsageError(f"{spell('fd')}: file descriptor {config.fd} is not open") from None
        if not stat.S_ISSOCK(kind):
            raise UsageError(f"{spell('fd')}: file descriptor {config.fd} is not a socket")
        with socket.socket(fileno=os.dup(config.fd)) as sock:
            problem = serving.inherited_socket_problem(sock)
        if problem is not None:
            raise UsageError(f"{spell('fd')}: file descriptor {config.fd} {problem}")


def check_ssl_options(config: serving.Config, spell: Callable[[str], str]) -> None:
    """TLS options that cannot work: one without --ssl-certfile, a file that cannot be read,
    a wrong key password... (by making the context once, as each server process will)."""
    if config.ssl_certfile is None:
        given = [name for name, default in SSL_DEFAULTS.items() if getattr(config, name) != default]
        if given:
            raise UsageError(
                f"{', '.join(spell(name) for name in given)} needs {spell('ssl_certfile')} "
                "(TLS is served when a certificate is given)"
            )
        return
    try:
        serving.ssl_context(config)
    except serving.TLSSettingError as error:
        raise UsageError(f"{spell(error.field)}: {error.reason}") from None


#: The TLS settings besides ssl_certfile, with their defaults (unset without a certificate).
SSL_DEFAULTS = {
    field.name: field.default
    for field in dataclasses.fields(serving.Config)
    if field.name.startswith("ssl_") and field.name != "ssl_certfile"
}


def cli_spelling(name: str) -> str:
    """A Config field's option: `limit_max_requests` is --limit-max-requests."""
    option = "header" if name == "headers" else name  # (--header, once per header)
    return "--" + option.replace("_", "-")


# -- serving ------------------------------------------------------------------------------------


def base_url(config: serving.Config) -> str:
    """The URL the start-up line shows: http(s)://host:port, or where the socket is."""
    if config.uds is not None or config.fd is not None:
        return f"{config.scheme} on {serving.listen_address(config)}"
    host = f"[{config.host}]" if ":" in config.host else config.host
    return f"{config.scheme}://{host}:{config.port}"


def serve_app(
    app: Any,
    label: str,
    config: serving.Config,
    *,
    workers: int = 1,
    reload: bool = False,
    source: AppImport | None = None,
    reload_dirs: Sequence[str | Path] = (),
) -> int:
    """Serve in-process, from `workers` processes, or from a reloading child process.

    `source` (how child processes import the app) is needed for workers and reload.
    """
    url = base_url(config)
    if "://" in url:
        logger.info("FasterAPI serving %s on %s (docs at %s/docs)", label, url, url)
    else:
        logger.info("FasterAPI serving %s, %s", label, url)
    # a worker past --limit-max-requests is replaced by a supervisor, even the only one
    supervised = workers > 1 or (config.limit_max_requests is not None and source is not None)
    if reload or supervised:
        if source is None:
            raise UsageError("workers and reload need the app as an import string")
        if reload:
            return supervisor.run_with_reload(source, config, reload_dirs)
        return supervisor.run_workers(source, config, workers)
    use_uvloop()
    try:
        return serving.serve(app, config)
    except OSError as exc:
        if exc.errno not in BIND_ERRNOS:
            raise
        logger.error("Could not bind to %s: %s", serving.listen_address(config), exc.strerror)
        return 1


def main(argv: Sequence[str] | None = None) -> int:
    """`fasterapi ...`: the exit code (1 for a user mistake, 2 for a usage error)."""
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as stop:  # --help, --version and argparse's usage errors
        return stop.code if isinstance(stop.code, int) else int(stop.code is not None)
    configure_logging(args.log_level, args.log_format)
    workers = getattr(args, "workers", 1)
    try:
        config = config_from_args(args)
        check_options(config, workers, args.reload, cli_spelling)
        source, app = find_app(args.path, args.app, Path.cwd(), fastapi=args.fastapi)
    except UsageError as error:
        print(f"Error: {error}", file=sys.stderr)
        return 1
    try:
        return serve_app(
            app,
            str(source),
            config,
            workers=workers,
            reload=args.reload,
            source=source,
            reload_dirs=[source.directory or os.getcwd()],
        )
    except KeyboardInterrupt:
        return 0


# -- FasterAPI.run(app) ----------------------------------------------------------------------------


def run_app(
    app: Any,
    host: str = "127.0.0.1",
    port: int = 8000,
    workers: int = 1,
    *,
    reload: bool = False,
    **options: Any,
) -> int:
    """`FasterAPI.run(app)`: serve `app` as `fasterapi run` would; `options` are
    `serving.Config` fields.

    With `workers > 1` or `reload=True` new processes import the app again, so it must be a
    module-level variable (and `FasterAPI.run(app)` called under `if __name__ == "__main__":`).
    """
    unknown = sorted(set(options) - RUN_OPTIONS)
    if unknown:
        raise TypeError(f"run() got unexpected keyword arguments: {', '.join(unknown)}")
    config = serving.Config(host=host, port=port, **options)
    check_options(config, workers, reload, spell=lambda name: name)
    source = module_level_source(app)
    if source is None and (workers > 1 or reload):
        raise UsageError(
            "run(workers=N) and run(reload=True) start processes that import the app again, so "
            "the app must be a module-level variable (e.g. app = Faster() in main.py) and "
            "FasterAPI.run(app) called under `if __name__ == '__main__':`"
        )
    configure_logging(config.log_level, config.log_format)
    return serve_app(
        app,
        str(source) if source else type(app).__name__,
        config,
        workers=workers,
        reload=reload,
        source=source,
        reload_dirs=[module_root(sys.modules[source.module])] if source else (),
    )
