"""Real services the tests start themselves, on loopback ports in a temporary directory, and
stop after (`make test` installs them: see the Makefile's `services` target)."""

import asyncio
import itertools
import os
import shutil
import signal
import socket
import string
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.support.servers import free_port, stop

_databases = itertools.count()


@contextmanager
def redis_server(directory: Path) -> Iterator[str]:
    """A redis-server of its own (no persistence) on a free loopback port: its URL."""
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("redis-server is not installed (`make test` installs it)")
    port = free_port()
    log = directory / f"redis-{port}.log"
    command = [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly"]
    command += ["no", "--dir", str(directory), "--logfile", str(log)]
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    try:

        def pong() -> bool:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith(b"+PONG")

        wait_for("redis-server", proc, log, pong, 10, "answer")
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        stop(proc)


def wait_for(
    name: str,
    proc: subprocess.Popen,
    log: Path,
    ready: Callable[[], bool],
    seconds: float,
    verb: str,
) -> None:
    """Returns once `ready()` is true (an OSError counts as not yet); a test failure if `proc`
    exits first (with its `log`) or `seconds` pass ("`name` did not `verb` within ...")."""
    deadline = time.monotonic() + seconds
    while True:
        if proc.poll() is not None:
            pytest.fail(f"{name} exited with {proc.returncode}: {log.read_text()}")
        try:
            if ready():
                return
        except OSError:
            pass
        if time.monotonic() > deadline:
            pytest.fail(f"{name} did not {verb} within {seconds:g} s")
        time.sleep(0.02)


def _postgres_bin() -> Path | None:
    """The newest PostgreSQL server installed (Debian keeps it off PATH)."""
    found = list(Path("/usr/lib/postgresql").glob("*/bin/postgres"))
    found.sort(key=lambda p: int(p.parts[-3]) if p.parts[-3].isdigit() else 0)
    return found[-1].parent if found else None


@contextmanager
def postgres_server() -> Iterator[str]:
    """A PostgreSQL server of its own (fsync off, trust auth on loopback) in a temporary data
    directory, on a free loopback port: the URL of its `postgres` database, for asyncpg.

    PostgreSQL refuses to run as root: as root the server runs as the `postgres` user the
    Debian package creates, in a directory it owns (pytest's tmp_path is root's alone)."""
    bindir = _postgres_bin()
    if bindir is None:
        pytest.skip("PostgreSQL is not installed (`make test` installs it)")
    as_user: list[str] = []
    directory = Path(tempfile.mkdtemp(prefix="fasterapi-pg-"))
    if os.geteuid() == 0:
        as_user = ["runuser", "-u", "postgres", "--"]
        shutil.chown(directory, "postgres", "postgres")
    data = directory / "data"
    port = free_port()
    try:
        subprocess.run(
            [*as_user, bindir / "initdb", "-D", data, "-U", "postgres", "--auth=trust"]
            + ["--no-sync", "-E", "UTF8", "--locale=C"],
            check=True,
            capture_output=True,
        )
        log = directory / "postgres.log"
        command = [*as_user, bindir / "postgres", "-D", data, "-p", str(port), "-h", "127.0.0.1"]
        command += ["-k", directory, "-c", "fsync=off", "-c", "full_page_writes=off"]
        command += ["-c", "synchronous_commit=off", "-c", "max_connections=200"]
        with open(log, "wb") as out:
            proc = subprocess.Popen([str(part) for part in command], stdout=out, stderr=out)
        try:
            isready = [bindir / "pg_isready", "-q", "-h", "127.0.0.1", "-p", str(port)]
            accepts = lambda: subprocess.run(isready).returncode == 0  # noqa: E731
            wait_for("PostgreSQL", proc, log, accepts, 30, "accept connections")
            yield f"postgresql+asyncpg://postgres@127.0.0.1:{port}/postgres"
        finally:
            proc.terminate()  # a smart shutdown: waits for the clients that are left
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.send_signal(signal.SIGINT)  # a fast shutdown: ends their sessions
                proc.wait(timeout=20)
    finally:
        shutil.rmtree(directory, ignore_errors=True)


def new_database(server_url: str) -> str:
    """A new empty database on the PostgreSQL server of `server_url`: its URL."""
    import asyncpg

    name = f"test_{next(_databases)}"

    async def create() -> None:
        conn = await asyncpg.connect(server_url.replace("+asyncpg", ""))
        try:
            await conn.execute(f"CREATE DATABASE {name}")
        finally:
            await conn.close()

    asyncio.run(create())
    return server_url.rsplit("/", 1)[0] + "/" + name


NGINX_CONF = Path(__file__).resolve().parents[2] / "examples" / "deploy" / "nginx.conf"


@contextmanager
def nginx_server(
    directory: Path, upstream_ports: list[int], conf: Path = NGINX_CONF, **values: str
) -> Iterator[str]:
    """nginx with the example's deployment configuration (examples/deploy/nginx.conf, or
    `conf`, its other `$names` filled from `values`) on a free loopback port, in front of the
    servers on `upstream_ports`: its base URL (http://; the port is what counts)."""
    binary = shutil.which("nginx") or (
        "/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None
    )
    if binary is None:
        pytest.skip("nginx is not installed (`make test-cluster` installs it)")
    port = free_port()
    prefix = directory / f"nginx-{port}"
    prefix.mkdir()
    servers = "\n".join(
        f"        server 127.0.0.1:{p} max_fails=1 fail_timeout=2s;" for p in upstream_ports
    )
    text = string.Template(conf.read_text()).substitute(
        prefix=prefix, servers=servers, listen=f"127.0.0.1:{port}", **values
    )
    if os.geteuid() == 0:  # its workers would run as nobody, who cannot enter pytest's tmp_path
        text = "user root;\n" + text
    (prefix / "nginx.conf").write_text(text)
    log = prefix / "stderr.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [binary, "-p", str(prefix), "-c", str(prefix / "nginx.conf"), "-e", "stderr"],
            stdout=out,
            stderr=out,
        )
    try:
        wait_for("nginx", proc, log, lambda: listening(port), 10, "listen")
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.send_signal(signal.SIGQUIT)  # graceful: finishes the requests it has
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def listening(port: int) -> bool:
    """Whether something on 127.0.0.1 takes connections on `port` (an OSError if not)."""
    socket.create_connection(("127.0.0.1", port), timeout=1).close()
    return True
