"""Servers started in a subprocess and spoken to over real sockets: FasterAPI's native server
(`native_server`, serving an app of tests/apps) and the ASGI servers uvicorn and hypercorn
(`running_server`, serving an app by its import string)."""

import os
import signal
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]
STARTUP_TIMEOUT = 20.0
#: The ASGI servers `running_server` knows, and the app it serves unless told otherwise.
ASGI_SERVERS = ["uvicorn", "hypercorn"]
SERVER_APP = "tests.apps.server_app:app"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# -- the native server --------------------------------------------------------------------------


class Server:
    """A native server in a subprocess; its stdout (the app's event lines and logs) is kept."""

    def __init__(self, app: str, port: int, proc: subprocess.Popen, log: Path) -> None:
        self.app, self.port, self.proc, self.log = app, port, proc, log

    def output(self) -> str:
        return self.log.read_text()

    def connect(self, timeout: float = 5.0) -> socket.socket:
        sock = socket.create_connection(("127.0.0.1", self.port), timeout=timeout)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return sock

    def wait_for_output(self, text: str, timeout: float = 10.0) -> None:
        deadline = time.monotonic() + timeout
        while text not in self.output():
            if time.monotonic() > deadline:
                pytest.fail(f"{text!r} not in the server output:\n{self.output()}")
            time.sleep(0.05)


@contextmanager
def native_server(tmp_path: Path, app: str = "app", module: str = "native_app", **config):
    """`tests.apps.<module>:<app>` served by FasterAPI's native server with `Config(**config)`."""
    port = free_port()
    log = tmp_path / f"server-{port}.log"
    options = ", ".join(f"{k}={v!r}" for k, v in config.items())
    code = (
        "import logging, sys\n"
        "logging.basicConfig(level=logging.INFO, stream=sys.stdout)\n"
        "from FasterAPI.server import Config, serve\n"
        f"from tests.apps.{module} import {app} as app\n"
        f"sys.exit(serve(app, Config(host='127.0.0.1', port={port}, {options})))\n"
    )
    env = dict(os.environ, PYTHONPATH=str(ROOT), PYTHONUNBUFFERED="1")
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-c", code], cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT
        )
    server = Server(app, port, proc, log)
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while True:
            if proc.poll() is not None:
                pytest.fail(f"server exited with {proc.returncode}:\n{server.output()}")
            try:
                server.connect(timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    pytest.fail(f"server did not start:\n{server.output()}")
                time.sleep(0.05)
        yield server
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


# -- uvicorn and hypercorn ----------------------------------------------------------------------


def server_command(server: str, port: int, app: str = SERVER_APP) -> list[str]:
    if server == "uvicorn":
        return [
            sys.executable,
            "-m",
            "uvicorn",
            app,
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--lifespan",
            "on",
            "--log-level",
            "warning",
        ]
    return [sys.executable, "-m", "hypercorn", app, "--bind", f"127.0.0.1:{port}"]


def wait_until_up(
    proc: subprocess.Popen, base_url: str, log_path: Path, path: str = "/health"
) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"server exited with {proc.returncode}:\n{log_path.read_text()}")
        try:
            if httpx.get(f"{base_url}{path}", timeout=1.0, trust_env=False).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    pytest.fail(f"server did not answer within {STARTUP_TIMEOUT}s:\n{log_path.read_text()}")


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


@contextmanager
def running_server(name: str, tmp: Path, app: str = SERVER_APP):
    """`app` (an import string) served by uvicorn or hypercorn (`name`); yields a dict with an
    httpx `client`, the `proc`, the `events` file the app may write, the `log` and the `port`."""
    log_path = tmp / "server.log"
    events_path = tmp / "events.txt"
    port = free_port()
    env = dict(os.environ)
    env["SERVER_APP_EVENTS_FILE"] = str(events_path)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            server_command(name, port, app),
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            base_url = f"http://127.0.0.1:{port}"
            wait_until_up(proc, base_url, log_path)
            with httpx.Client(base_url=base_url, timeout=10.0, trust_env=False) as client:
                yield {
                    "client": client,
                    "proc": proc,
                    "events": events_path,
                    "log": log_path,
                    "port": port,
                }
        finally:
            stop(proc)
