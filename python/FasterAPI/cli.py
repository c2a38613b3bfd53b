"""The `fasterapi` command: `fasterapi run` and `fasterapi dev`, as in fastapi-cli.

`run` serves for production (0.0.0.0, `--workers N`); `dev` serves on 127.0.0.1 and restarts
when a .py file changes. Both find the app the way fastapi-cli does: from an import string
(`main:app`), a path to a .py file or package, or a default file (main.py, app.py, ...).
`run_app` is the same machinery behind `Faster.run()`. Serving always goes through
`server.serve`, looked up on the module, so it can be replaced.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import errno
import importlib
import inspect
import logging
import os
import sys
import traceback
import warnings
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from types import ModuleType
from typing import Any

from . import __version__, server
from .applications import Faster

logger = logging.getLogger("fasterapi")

#: Where `fasterapi run` looks for the app when no PATH is given, in this order.
DEFAULT_FILES = ("main.py", "app.py", "api.py", "app/main.py", "app/app.py", "app/api.py")
#: Variable names tried, in order, before the first `Faster` instance in the module.
PREFERRED_APP_NAMES = ("app", "api")
TRACE = 5
LOG_LEVELS = {
    "critical": logging.CRITICAL,
    "error": logging.ERROR,
    "warning": logging.WARNING,
    "info": logging.INFO,
    "debug": logging.DEBUG,
    "trace": TRACE,
}
#: Bind errors reported as one line instead of a traceback.
BIND_ERRNOS = {errno.EADDRINUSE, errno.EACCES, errno.EADDRNOTAVAIL}
#: `Config` fields `run_app` takes as keyword options (host and port are named parameters).
RUN_OPTIONS = frozenset(field.name for field in dataclasses.fields(server.Config)) - {
    "host",
    "port",
}


class UsageError(ValueError):
    """A user mistake (bad option, missing file, no app): one line on stderr and exit code 1."""


# -- finding the app ----------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class AppImport:
    """Where an app lives: `module:attr`, imported with `directory` first on sys.path.

    Calling it imports the module and returns the app. It pickles, so spawned worker and reload
    processes receive it and import the app again themselves.
    """

    module: str
    attr: str
    directory: str | None = None
    #: Import it in the drop-in mode (`--fastapi`): `import fastapi` gives FasterAPI.
    fastapi: bool = False

    def __str__(self) -> str:
        return f"{self.module}:{self.attr}"

    def __call__(self) -> Any:
        if self.fastapi:
            from . import compat

            compat.install()
        return app_attribute(import_app_module(self.module, self.directory), self.module, self.attr)


def load_import_string(import_string: str) -> Any:
    """The app named by `module:attr`, imported with the current directory on sys.path."""
    module, attr = split_import_string(import_string)
    if attr is None:
        raise UsageError(f"Import string {import_string!r} must be in the form 'module:attr'")
    return AppImport(module, attr, os.getcwd())()


def split_import_string(text: str) -> tuple[str, str | None]:
    """`module:attr` (or a bare `module`) as its two parts; the attr is None when absent."""
    module, colon, attr = text.partition(":")
    if not module or (colon and not attr):
        raise UsageError(f"Import string {text!r} must be in the form 'module:attr'")
    return module, attr or None


def find_app(
    path: str | None, app_name: str | None, cwd: Path, *, fastapi: bool = False
) -> tuple[AppImport, Any]:
    """What `fasterapi run [PATH] [--app NAME] [--fastapi]` serves: where the app lives, and
    the app. With `fastapi`, the app's `import fastapi` gives FasterAPI (FasterAPI.compat)."""
    if fastapi:
        from . import compat

        compat.install()
    module_name, attr, directory = locate_module(path, cwd)
    if attr and app_name and attr != app_name:
        raise UsageError(f"Both {path!r} and --app {app_name} name the app; give only one")
    module = import_app_module(module_name, directory)
    attr = attr or app_name or discover_app_name(module, module_name)
    target = AppImport(module_name, attr, str(directory), fastapi)
    return target, app_attribute(module, module_name, attr)


def locate_module(path: str | None, cwd: Path) -> tuple[str, str | None, Path]:
    """The module to import, the app attr if PATH names one, and the directory for sys.path."""
    if path is None:
        return module_for_file(default_file(cwd))
    candidate = cwd / path
    if candidate.exists():
        return module_for_file(candidate)
    file, colon, attr = path.rpartition(":")
    if colon and file and attr and (cwd / file).exists():  # path/to/main.py:app
        module, _, directory = module_for_file(cwd / file)
        return module, attr, directory
    if path.endswith(".py") or os.sep in path or "/" in path:
        raise UsageError(f"Path does not exist: {path}")
    module, attr = split_import_string(path)
    return module, attr, cwd


def default_file(cwd: Path) -> Path:
    """The first of DEFAULT_FILES that exists under `cwd`."""
    for name in DEFAULT_FILES:
        if (cwd / name).is_file():
            return cwd / name
    raise UsageError("Could not find a default file to run, please provide an explicit path")


def module_for_file(path: Path) -> tuple[str, None, Path]:
    """The dotted module name of a .py file or package directory, and the top-most directory
    above it that is not a package (what goes on sys.path), as fastapi-cli computes them."""
    path = path.resolve()
    if path.is_dir():
        if not (path / "__init__.py").is_file():
            raise UsageError(f"{path} is a directory without __init__.py, not a Python package")
        parts = [path.name]
    elif path.suffix != ".py":
        raise UsageError(f"{path} is not a Python file (.py)")
    elif path.name == "__init__.py":
        path = path.parent
        parts = [path.name]
    else:
        parts = [path.stem]
    directory = path.parent
    while (directory / "__init__.py").is_file():
        parts.insert(0, directory.name)
        directory = directory.parent
    return ".".join(parts), None, directory


def import_app_module(name: str, directory: str | Path | None) -> ModuleType:
    """Import module `name` with `directory` first on sys.path; errors become one line."""
    if directory is not None and (not sys.path or sys.path[0] != str(directory)):
        sys.path.insert(0, str(directory))
    importlib.invalidate_caches()
    try:
        return importlib.import_module(name)
    except Exception as exc:
        logger.debug("Importing %s failed", name, exc_info=True)
        raise UsageError(f"Could not import module {name!r}: {describe_import_error(exc)}") from exc


def describe_import_error(exc: Exception) -> str:
    """One line for an exception raised while importing: what and where."""
    if isinstance(exc, ModuleNotFoundError) and exc.name == "fastapi":
        return f"{type(exc).__name__}: {exc} (to serve a FastAPI app unchanged, add --fastapi)"
    if isinstance(exc, SyntaxError | ModuleNotFoundError):
        return f"{type(exc).__name__}: {exc}"  # both already say where
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if not f.filename.startswith("<")]
    where = f" ({frames[-1].filename}, line {frames[-1].lineno})" if frames else ""
    return f"{type(exc).__name__}: {exc}{where}"


def discover_app_name(module: ModuleType, module_name: str) -> str:
    """`app`, else `api`, else the first module-level `Faster` instance."""
    variables = vars(module)
    for name in PREFERRED_APP_NAMES:
        if name in variables and is_asgi_app(variables[name]):
            return name
    for name, value in variables.items():
        if isinstance(value, Faster):
            return name
    raise UsageError(
        f"Could not find a FasterAPI app in module {module_name!r}; "
        "name it 'app', pass --app NAME or use module:attr"
    )


def app_attribute(module: ModuleType, module_name: str, attr: str) -> Any:
    """`module.attr` (attr may be dotted), checked to be an ASGI app."""
    app: Any = module
    for part in attr.split("."):
        try:
            app = getattr(app, part)
        except AttributeError:
            raise UsageError(f"Could not find app {attr!r} in module {module_name!r}") from None
    if not is_asgi_app(app):
        got = f"the class {app.__name__}" if isinstance(app, type) else type(app).__name__
        raise UsageError(f"{module_name}:{attr} is not an ASGI app (got {got})")
    return app


def is_asgi_app(value: Any) -> bool:
    """Whether `value` can be called as an ASGI 3 app: `app(scope, receive, send)`."""
    if isinstance(value, Faster):
        return True
    if isinstance(value, type | ModuleType) or not callable(value):
        return False
    try:
        signature = inspect.signature(value)
    except (TypeError, ValueError):  # builtins and C callables may have none: give it a chance
        return True
    try:
        signature.bind(None, None, None)
    except TypeError:
        return False
    return True


# -- options ------------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="fasterapi",
        description="Serve a FasterAPI app with FasterAPI's native HTTP server.",
    )
    parser.add_argument("--version", action="version", version=f"FasterAPI {__version__}")
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
        "--access-log", action=on_off, default=True, help="log each request (default: on)"
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


def config_from_args(args: argparse.Namespace) -> server.Config:
    return server.Config(
        host=args.host,
        port=args.port,
        root_path=args.root_path,
        log_level=args.log_level,
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
    )


def check_options(
    config: server.Config, workers: int, reload: bool, spell: Callable[[str], str]
) -> None:
    """Raise UsageError for values no server can run with; `spell` names an option."""
    if config.log_level not in LOG_LEVELS:
        raise UsageError(f"{spell('log_level')} must be one of {', '.join(LOG_LEVELS)}")
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
    if config.ws_max_size < 1:
        raise UsageError(f"{spell('ws_max_size')} must be at least 1, got {config.ws_max_size}")
    for name in ("ws_ping_interval", "ws_ping_timeout"):
        value = getattr(config, name)
        if value is not None and value <= 0:
            raise UsageError(f"{spell(name)} must be positive, got {value}")


def cli_spelling(name: str) -> str:
    return "--" + name.replace("_", "-")


# -- serving ------------------------------------------------------------------------------------


class _LevelPrefixFormatter(logging.Formatter):
    """`INFO:     message`, uvicorn's look."""

    def format(self, record: logging.LogRecord) -> str:
        return f"{record.levelname + ':':<9} {super().format(record)}"


def configure_logging(log_level: str) -> None:
    """Send the "fasterapi" logger to stderr at `log_level` (one of LOG_LEVELS)."""
    logging.addLevelName(TRACE, "TRACE")
    handler = logging.StreamHandler(sys.stderr)
    handler.set_name("fasterapi-cli")
    handler.setFormatter(_LevelPrefixFormatter())
    for old in [h for h in logger.handlers if h.get_name() == "fasterapi-cli"]:
        logger.removeHandler(old)
    logger.addHandler(handler)
    logger.setLevel(LOG_LEVELS.get(log_level, logging.INFO))
    logger.propagate = False


def use_uvloop() -> bool:
    """Make new event loops uvloop's when uvloop is installed; whether it is."""
    try:
        import uvloop
    except ImportError:
        return False
    with warnings.catch_warnings():  # event loop policies are deprecated from Python 3.14
        warnings.simplefilter("ignore", DeprecationWarning)
        asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
    return True


def base_url(config: server.Config) -> str:
    host = f"[{config.host}]" if ":" in config.host else config.host
    return f"http://{host}:{config.port}"


def serve_app(
    app: Any,
    label: str,
    config: server.Config,
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
    logger.info("FasterAPI serving %s on %s (docs at %s/docs)", label, url, url)
    if reload or workers > 1:
        from . import supervisor  # it imports this module

        if source is None:
            raise UsageError("workers and reload need the app as an import string")
        if reload:
            return supervisor.run_with_reload(source, config, reload_dirs)
        return supervisor.run_workers(source, config, workers)
    use_uvloop()
    try:
        return server.serve(app, config)
    except OSError as exc:
        if exc.errno not in BIND_ERRNOS:
            raise
        logger.error("Could not bind to %s:%s: %s", config.host, config.port, exc.strerror)
        return 1


def main(argv: Sequence[str] | None = None) -> int:
    """`fasterapi ...`: the exit code (1 for a user mistake, 2 for a usage error)."""
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as stop:  # --help, --version and argparse's usage errors
        return stop.code if isinstance(stop.code, int) else int(stop.code is not None)
    configure_logging(args.log_level)
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


# -- app.run() ----------------------------------------------------------------------------------


def run_app(
    app: Any,
    host: str = "127.0.0.1",
    port: int = 8000,
    workers: int = 1,
    *,
    reload: bool = False,
    **options: Any,
) -> int:
    """`app.run()`: serve `app` as `fasterapi run` would; `options` are `server.Config` fields.

    With `workers > 1` or `reload=True` new processes import the app again, so it must be a
    module-level variable (and `app.run()` called under `if __name__ == "__main__":`).
    """
    unknown = sorted(set(options) - RUN_OPTIONS)
    if unknown:
        raise TypeError(f"run() got unexpected keyword arguments: {', '.join(unknown)}")
    config = server.Config(host=host, port=port, **options)
    check_options(config, workers, reload, spell=lambda name: name)
    source = module_level_source(app)
    if source is None and (workers > 1 or reload):
        raise UsageError(
            "run(workers=N) and run(reload=True) start processes that import the app again, so "
            "the app must be a module-level variable (e.g. app = Faster() in main.py) and "
            "app.run() called under `if __name__ == '__main__':`"
        )
    configure_logging(config.log_level)
    return serve_app(
        app,
        str(source) if source else type(app).__name__,
        config,
        workers=workers,
        reload=reload,
        source=source,
        reload_dirs=[module_root(sys.modules[source.module])] if source else (),
    )


def module_level_source(app: Any) -> AppImport | None:
    """`module:attr` under which another process can import `app` again, if there is one.

    Looks in the app's `__module__`, then the modules of the calling code, then `__main__`.
    """
    for module_name in _candidate_modules(app):
        module = sys.modules.get(module_name)
        if module is None or (module_name == "__main__" and not _main_is_reimportable(module)):
            continue
        for name, value in vars(module).items():
            if value is app and not name.startswith("__"):
                return AppImport(module_name, name)
    return None


def _candidate_modules(app: Any) -> Iterator[str]:
    own_module = getattr(app, "__module__", None)
    if isinstance(own_module, str):
        yield own_module
    frame = sys._getframe(1)
    while frame is not None:
        name = frame.f_globals.get("__name__")
        if isinstance(name, str) and name.partition(".")[0] != __package__:
            yield name
        frame = frame.f_back
    yield "__main__"


def _main_is_reimportable(module: ModuleType) -> bool:
    """Whether spawned processes can run `__main__` again: a script or `python -m` module."""
    spec = getattr(module, "__spec__", None)
    return getattr(spec, "name", None) is not None or getattr(module, "__file__", None) is not None


def module_root(module: ModuleType) -> Path:
    """The directory holding `module`'s top-level package (what reload watches)."""
    file = getattr(module, "__file__", None)
    directory = Path(file).resolve().parent if file else Path.cwd()
    while (directory / "__init__.py").is_file():
        directory = directory.parent
    return directory
