"""Server processes: a supervised pool for `--workers N`, and a reloader for `fasterapi dev`.

Children are started with multiprocessing's "spawn" context: each is a fresh interpreter that
imports the app again (safe with the Rust extension and event loops, unlike fork). With
SO_REUSEPORT every worker binds its own listening socket to host:port and the kernel spreads
connections across them; without it, and for a Unix socket (`--uds`) or an inherited one
(`--fd`), the workers share one socket made here. Each process makes its own TLS context. The
reloader binds once and hands the same socket to each server process it starts, so connections
made during a restart wait in the backlog. Children serve through `serving.serve`, looked up on
the module.
"""

from __future__ import annotations

import logging
import multiprocessing
import multiprocessing.connection
import os
import signal
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import Any

from . import serving
from .discovery import load_import_string
from .logs import configure_logging, use_uvloop

logger = logging.getLogger("fasterapi")

#: How a child process gets the app: an import string ("main:app") or a picklable loader.
AppSource = str | Callable[[], Any]

HAS_REUSE_PORT = hasattr(socket, "SO_REUSEPORT")
#: How long stopping workers may take when `timeout_graceful_shutdown` is not set.
DEFAULT_STOP_TIMEOUT = 30.0
#: How long a reloaded server process may take to stop before it is killed.
RELOAD_STOP_TIMEOUT = 5.0
RELOAD_POLL_INTERVAL = 0.5
SUPERVISE_INTERVAL = 0.2
#: A worker that dies within this many seconds of starting counts as crash-looping.
HEALTHY_UPTIME = 2.0
FIRST_RESTART_DELAY = 0.1
MAX_RESTART_DELAY = 5.0
#: Directories the polling watcher does not descend into (besides hidden ones and venvs).
IGNORED_DIRS = frozenset({"__pycache__", "node_modules", "site-packages"})

_spawn = multiprocessing.get_context("spawn")


# -- workers ------------------------------------------------------------------------------------


def run_workers(app_source: AppSource, config: serving.Config, workers: int) -> int:
    """Serve from `workers` processes until SIGTERM/SIGINT, restarting any that die.

    Returns 0 once all workers have stopped, 1 if host:port cannot be bound.
    """
    shared_socket = None
    try:
        if HAS_REUSE_PORT and not shares_socket(config):
            bind_socket(config, reuse_port=True, listen=False).close()  # fail here, not N times
        else:
            shared_socket = bind_socket(config, reuse_port=False)
    except OSError as exc:
        logger.error("Could not bind to %s: %s", serving.listen_address(config), exc)
        return 1
    slots = [
        _WorkerSlot(lambda events: start_server_process(app_source, config, shared_socket, events))
        for _ in range(workers)
    ]

    def every_process() -> list[BaseProcess | None]:
        return [process for slot in slots for process in slot.processes()]

    try:
        with _StopSignals() as stop:
            for slot in slots:
                slot.start()
            logger.info("Started %d workers (supervisor pid %d)", workers, os.getpid())
            while not stop.requested:
                readers = [reader for slot in slots for reader in slot.readers()]
                _wait_for_exit(every_process(), SUPERVISE_INTERVAL, readers)
                now = time.monotonic()
                for slot in slots:
                    slot.check(now)
            logger.info("Shutting down %d workers", workers)
            timeout = config.timeout_graceful_shutdown
            stop_processes(
                every_process(), DEFAULT_STOP_TIMEOUT if timeout is None else timeout, stop
            )
    finally:
        stop_processes(every_process(), 0)  # only does something after an error
        for slot in slots:
            slot.close()
        if shared_socket is not None:
            shared_socket.close()
            serving.remove_unix_socket(config)
    return 0


def shares_socket(config: serving.Config) -> bool:
    """Whether the workers serve on one socket made here: a Unix socket (`--uds`) or an
    inherited one (`--fd`) cannot be bound once per worker as host:port is; and workers that
    are replaced (`--limit-max-requests`) must not take a listen queue with them: the
    connections waiting in a SO_REUSEPORT socket's own queue are reset when it closes."""
    return config.uds is not None or config.fd is not None or config.limit_max_requests is not None


class _WorkerSlot:
    """One place in the pool: its current process, how often it died right after starting,
    and the processes it replaces. A worker tells the supervisor of itself on a pipe
    (`WorkerEvents`): "ready" once it listens, "retire" once it has answered
    --limit-max-requests requests; then a successor is started, and once that one is ready
    the old one is stopped (SIGTERM: it finishes what it has), so the pool never serves with
    one worker fewer and no request is turned away."""

    def __init__(self, start_process: Callable[[WorkerEvents], BaseProcess]) -> None:
        self._start_process = start_process
        self.process: BaseProcess | None = None
        self.reader: multiprocessing.connection.Connection | None = None
        self.started_at = 0.0
        self.quick_deaths = 0
        self.restart_at = 0.0
        #: Workers this slot's process replaces: serving until it is ready, then stopping.
        self.retiring: list[BaseProcess] = []

    def processes(self) -> list[BaseProcess | None]:
        return [self.process, *self.retiring]

    def readers(self) -> list[multiprocessing.connection.Connection]:
        return [] if self.reader is None else [self.reader]

    def start(self) -> None:
        reader, writer = _spawn.Pipe(duplex=False)
        self.process = self._start_process(WorkerEvents(writer))
        writer.close()  # (the child's copy is the only one: EOF once it is gone)
        self.reader = reader
        self.started_at = time.monotonic()

    def check(self, now: float) -> None:
        """Hear what the worker says; notice a dead worker and schedule its restart; restart
        it once its delay has passed; let go of the retired workers that have exited."""
        self._read_events()
        process = self.process
        if process is not None and process.exitcode is not None:
            uptime = now - self.started_at
            self.quick_deaths = self.quick_deaths + 1 if uptime < HEALTHY_UPTIME else 0
            delay = restart_delay(self.quick_deaths)
            logger.warning(
                "Worker (pid %d) died unexpectedly with %s; restarting it in %.1fs",
                process.pid,
                describe_exit(process.exitcode),
                delay,
            )
            forget_metrics(process.pid)
            process.close()
            self._close_reader()
            self.process = None
            self.restart_at = now + delay
        if self.process is None and now >= self.restart_at:
            self.start()
        for old in [p for p in self.retiring if p.exitcode is not None]:
            code = old.exitcode
            if code:
                logger.warning(
                    "Retired worker (pid %d) ended with %s", old.pid, describe_exit(code)
                )
            forget_metrics(old.pid)
            old.close()
            self.retiring.remove(old)

    def _read_events(self) -> None:
        reader = self.reader
        while reader is not None and reader.poll():
            try:
                event = reader.recv()
            except (EOFError, OSError):
                self._close_reader()  # the worker is gone: check() sees its exit
                return
            process = self.process
            if process is None:
                return
            if event == "retire":
                logger.info(
                    "Worker (pid %d) reached --limit-max-requests; starting its successor",
                    process.pid,
                )
                self.retiring.append(process)
                self._close_reader()
                self.start()
                self.quick_deaths = 0
                return
            if event == "ready":
                for old in self.retiring:
                    if old.exitcode is None:
                        old.terminate()  # graceful: it finishes what it has begun

    def _close_reader(self) -> None:
        if self.reader is not None:
            self.reader.close()
            self.reader = None

    def close(self) -> None:
        self._close_reader()


class WorkerEvents:
    """A worker's end of the pipe to its supervisor (`_WorkerSlot`)."""

    def __init__(self, writer: multiprocessing.connection.Connection) -> None:
        self._writer = writer

    def __call__(self, event: str) -> None:
        """Tell the supervisor `event`: "ready" or "retire"; a supervisor that is gone is
        not an error (the worker is stopped when it notices)."""
        try:
            self._writer.send(event)
        except OSError:
            pass


def forget_metrics(pid: int | None) -> None:
    """Drops a dead worker's live gauges from prometheus-client's multiprocess directory (a
    worker removes its own as it exits, which one killed outright cannot do), as the
    `child_exit` hook in prometheus-client's docs does for gunicorn. prometheus-client reads
    the directory from `PROMETHEUS_MULTIPROC_DIR` or its older lower-case name."""
    if pid is None:
        return
    if not (
        os.environ.get("PROMETHEUS_MULTIPROC_DIR") or os.environ.get("prometheus_multiproc_dir")
    ):
        return
    try:
        from prometheus_client import multiprocess
    except ImportError:
        return
    multiprocess.mark_process_dead(pid)  # type: ignore[no-untyped-call]  # (untyped upstream)


def restart_delay(quick_deaths: int) -> float:
    """Seconds before restarting a worker: 0.1 after one that ran a while, then 0.4, 1.6, ...
    up to 5 while it keeps dying right after starting (a crash loop must not spin the CPU)."""
    return float(min(MAX_RESTART_DELAY, FIRST_RESTART_DELAY * 4**quick_deaths))


def describe_exit(exitcode: int) -> str:
    if exitcode < 0:
        try:
            return f"exit code {exitcode} ({signal.Signals(-exitcode).name})"
        except ValueError:
            pass
    return f"exit code {exitcode}"


# -- reload -------------------------------------------------------------------------------------


def run_with_reload(
    app_source: AppSource, config: serving.Config, reload_dirs: Sequence[str | Path]
) -> int:
    """Serve from a child process, started afresh whenever a .py file under `reload_dirs` changes.

    Returns 0 after SIGINT/SIGTERM (1 if host:port cannot be bound).
    """
    try:
        sock = bind_socket(config, reuse_port=False)
    except OSError as exc:
        logger.error("Could not bind to %s: %s", serving.listen_address(config), exc)
        return 1
    dirs = [Path(directory).resolve() for directory in reload_dirs] or [Path.cwd()]
    watcher = make_watcher(dirs)
    logger.info(
        "Reloading on changes to .py files in %s (%s)",
        ", ".join(str(d) for d in dirs),
        type(watcher).__name__,
    )
    timeout = config.timeout_graceful_shutdown
    with sock, _StopSignals() as stop:
        child = start_server_process(app_source, config, sock)
        exit_reported = False
        try:
            for changed in watcher:
                if stop.requested:
                    break
                if changed:
                    logger.warning("Reloading: %s", ", ".join(_display_path(p) for p in changed))
                    stop_processes([child], RELOAD_STOP_TIMEOUT)
                    child = start_server_process(app_source, config, sock)
                    exit_reported = False
                elif child.exitcode is not None and not exit_reported:
                    logger.error(
                        "The server process stopped with %s; waiting for a file to change",
                        describe_exit(child.exitcode),
                    )
                    exit_reported = True
        finally:
            stop_processes([child], RELOAD_STOP_TIMEOUT if timeout is None else timeout, stop)
    serving.remove_unix_socket(config)
    return 0


def make_watcher(dirs: Sequence[Path]) -> Iterable[list[Path]]:
    """watchfiles (OS file events) when it is installed, else a polling watcher."""
    try:
        import watchfiles  # noqa: F401
    except ImportError:
        return PollingWatcher(dirs)
    return WatchfilesWatcher(dirs)


class PollingWatcher:
    """Every `interval` seconds, yields the .py files under `dirs` that were added, changed or
    removed since the last look ([] when none were). Snapshots from creation on."""

    def __init__(self, dirs: Sequence[Path], interval: float = RELOAD_POLL_INTERVAL) -> None:
        self.dirs = list(dirs)
        self.interval = interval
        self._stamps = python_file_stamps(self.dirs)

    def __iter__(self) -> Iterator[list[Path]]:
        while True:
            time.sleep(self.interval)
            stamps = python_file_stamps(self.dirs)
            changed = [
                path
                for path in sorted(self._stamps.keys() | stamps.keys())
                if self._stamps.get(path) != stamps.get(path)
            ]
            self._stamps = stamps
            yield changed


class WatchfilesWatcher:
    """Like PollingWatcher, driven by OS file events through watchfiles."""

    def __init__(self, dirs: Sequence[Path], interval: float = RELOAD_POLL_INTERVAL) -> None:
        self.dirs = list(dirs)
        self.interval = interval

    def __iter__(self) -> Iterator[list[Path]]:
        import watchfiles

        for changes in watchfiles.watch(
            *self.dirs,
            watch_filter=watchfiles.PythonFilter(),
            rust_timeout=int(self.interval * 1000),
            yield_on_timeout=True,  # an empty set every interval, so stop signals are seen
            raise_interrupt=False,
        ):
            yield sorted({Path(path) for _, path in changes})


def python_file_stamps(dirs: Iterable[Path]) -> dict[Path, tuple[int, int]]:
    """(mtime in ns, size) of every .py file under `dirs`, skipping hidden dirs and venvs."""
    stamps: dict[Path, tuple[int, int]] = {}
    for root in dirs:
        for directory, subdirs, files in os.walk(root):
            subdirs[:] = [name for name in subdirs if not _is_ignored_dir(Path(directory, name))]
            for name in files:
                if not name.endswith(".py"):
                    continue
                path = Path(directory, name)
                try:
                    stat = path.stat()
                except OSError:  # removed since the listing
                    continue
                stamps[path] = (stat.st_mtime_ns, stat.st_size)
    return stamps


def _is_ignored_dir(path: Path) -> bool:
    name = path.name
    return name.startswith(".") or name in IGNORED_DIRS or (path / "pyvenv.cfg").exists()


def _display_path(path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


# -- child processes ----------------------------------------------------------------------------


def start_server_process(
    app_source: AppSource,
    config: serving.Config,
    shared_socket: socket.socket | None,
    events: WorkerEvents | None = None,
) -> BaseProcess:
    """Spawn a process serving the app: on `shared_socket`, or on its own SO_REUSEPORT socket;
    it tells of itself through `events` (a pool's worker)."""
    process = _spawn.Process(
        target=_serve_in_child,
        args=(app_source, config, shared_socket, events),
        name="fasterapi-server",
    )
    process.start()
    return process


def _serve_in_child(
    app_source: AppSource,
    config: serving.Config,
    shared_socket: socket.socket | None,
    events: WorkerEvents | None = None,
) -> None:
    """A server process's main: import the app and serve it until SIGTERM."""
    if hasattr(os, "setpgrp"):
        os.setpgrp()  # Ctrl+C in a terminal reaches the parent only; it stops us with SIGTERM
    configure_logging(config.log_level, config.log_format)
    _stop_when_parent_exits()
    use_uvloop()
    app = app_source() if callable(app_source) else load_import_string(app_source)
    sock = shared_socket if shared_socket is not None else bind_socket(config, reuse_port=True)
    sys.exit(serving.serve(app, config, sock, tell=events))


def _stop_when_parent_exits() -> None:
    """SIGTERM this process when its parent dies (even by SIGKILL), so no server is orphaned."""
    parent = multiprocessing.parent_process()
    if parent is None:
        return

    def watch() -> None:
        parent.join()
        os.kill(os.getpid(), signal.SIGTERM)

    threading.Thread(target=watch, name="fasterapi-parent-watch", daemon=True).start()


def bind_socket(config: serving.Config, *, reuse_port: bool, listen: bool = True) -> socket.socket:
    """The socket config names (serving.listen_socket): host:port, `--uds` or `--fd`."""
    return serving.listen_socket(config, reuse_port=reuse_port, listen=listen)


def stop_processes(
    processes: Iterable[BaseProcess | None], timeout: float, stop: _StopSignals | None = None
) -> None:
    """SIGTERM the live `processes`, wait up to `timeout` seconds (cut short by a second
    stop signal), then SIGKILL whatever is left."""
    running = [p for p in processes if p is not None and p.exitcode is None]
    for process in running:
        process.terminate()
    deadline = time.monotonic() + timeout
    while running and (stop is None or stop.received < 2):
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            break
        _wait_for_exit(running, min(remaining, SUPERVISE_INTERVAL))
        running = [p for p in running if p.exitcode is None]
    for process in running:
        logger.warning("Server process (pid %d) did not stop in time; killing it", process.pid)
        process.kill()
        process.join()


def _wait_for_exit(
    processes: Iterable[BaseProcess | None],
    timeout: float,
    readers: Sequence[multiprocessing.connection.Connection] = (),
) -> None:
    """Sleep until one of `processes` exits, one of `readers` has something to read, or
    `timeout` seconds pass."""
    waitables: list[Any] = [p.sentinel for p in processes if p is not None and p.exitcode is None]
    waitables += readers
    if waitables:
        multiprocessing.connection.wait(waitables, timeout)
    else:
        time.sleep(timeout)


class _StopSignals:
    """While active, SIGINT and SIGTERM are counted instead of ending the process."""

    def __init__(self) -> None:
        self.received = 0
        self._previous: dict[int, Any] = {}

    @property
    def requested(self) -> bool:
        return self.received > 0

    def _count(self, signum: int, frame: Any) -> None:  # no logging here: it takes locks
        self.received += 1

    def __enter__(self) -> _StopSignals:
        if threading.current_thread() is threading.main_thread():
            for signum in (signal.SIGINT, signal.SIGTERM):
                self._previous[signum] = signal.signal(signum, self._count)
        return self

    def __exit__(self, *exc_info: Any) -> None:
        for signum, handler in self._previous.items():
            signal.signal(signum, signal.SIG_DFL if handler is None else handler)
