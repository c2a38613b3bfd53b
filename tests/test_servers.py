"""The app as a plain ASGI app under real servers (uvicorn, hypercorn), over real HTTP."""

import os
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parent.parent
APP = "tests.apps.server_app:app"
STARTUP_TIMEOUT = 20.0
SERVERS = ["uvicorn", "hypercorn"]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def server_command(server: str, port: int, app: str = APP) -> list[str]:
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
def running_server(name: str, tmp: Path, app: str = APP):
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


@pytest.fixture(scope="module", params=SERVERS)
def server(request, tmp_path_factory):
    with running_server(request.param, tmp_path_factory.mktemp(request.param)) as info:
        yield info


def test_health(server):
    response = server["client"].get("/health")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {"ok": True}


def test_lifespan_startup_ran(server):
    assert server["client"].get("/lifespan").json() == {"started": True}
    assert server["events"].read_text().splitlines() == ["startup"]


def test_path_and_query_params(server):
    response = server["client"].get("/items/5", params={"q": "hello"})
    assert response.status_code == 200
    assert response.json() == {"item_id": 5, "q": "hello"}


def test_path_param_validation(server):
    response = server["client"].get("/items/abc")
    assert response.status_code == 422
    assert response.json() == {
        "detail": [
            {
                "type": "int_parsing",
                "loc": ["path", "item_id"],
                "msg": "Input should be a valid integer, unable to parse string as an integer",
                "input": "abc",
            }
        ]
    }


def test_post_model(server):
    response = server["client"].post("/items", json={"name": "Widget", "price": 9.5})
    assert response.status_code == 201
    assert response.json() == {"name": "Widget", "price": 9.5}


def test_post_model_missing_field(server):
    response = server["client"].post("/items", json={"name": "Widget"})
    assert response.status_code == 422
    assert response.json() == {
        "detail": [
            {
                "type": "missing",
                "loc": ["body", "price"],
                "msg": "Field required",
                "input": {"name": "Widget"},
            }
        ]
    }


def test_http_exception(server):
    response = server["client"].get("/items/404")
    assert response.status_code == 404
    assert response.json() == {"detail": "Item not found"}
    assert response.headers["x-error"] == "1"


def test_not_found_and_method_not_allowed(server):
    client = server["client"]
    response = client.get("/nope")
    assert response.status_code == 404
    assert response.json() == {"detail": "Not Found"}
    response = client.delete("/items")
    assert response.status_code == 405
    assert response.json() == {"detail": "Method Not Allowed"}
    assert "POST" in {m.strip() for m in response.headers["allow"].split(",")}


def test_sync_route(server):
    assert server["client"].get("/sync", params={"n": "21"}).json() == {"n": 42}


def test_keep_alive_many_requests(server):
    client = server["client"]
    for i in range(50):
        assert client.get(f"/items/{i}").json() == {"item_id": i, "q": None}


@pytest.mark.parametrize("name", SERVERS)
def test_lifespan_shutdown_runs_on_terminate(name, tmp_path):
    with running_server(name, tmp_path) as info:
        assert info["client"].get("/lifespan").json() == {"started": True}
        stop(info["proc"])
        assert info["proc"].returncode is not None
    assert info["events"].read_text().splitlines() == ["startup", "shutdown"]
