"""The drop-in mode (FasterAPI.compat): an unchanged FastAPI app, which imports `fastapi` and
Starlette, runs on FasterAPI: through `FasterAPI.compat.install()` in-process (both doors),
and through `fasterapi run --fastapi` on the native server, in one process and in workers."""

import json
import os
import socket
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from tests.support.servers import free_port

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.fasterapi_only

#: A FastAPI app as its users write it: nothing in it names FasterAPI.
FASTAPI_APP = textwrap.dedent(
    """
    from typing import Annotated

    from fastapi import Depends, FastAPI, HTTPException, status
    from fastapi.responses import PlainTextResponse
    from pydantic import BaseModel
    from starlette.background import BackgroundTasks as StarletteBackgroundTasks
    from starlette.exceptions import HTTPException as StarletteHTTPException
    from starlette.middleware.base import BaseHTTPMiddleware
    from starlette.middleware.cors import CORSMiddleware
    from starlette.requests import Request as StarletteRequest
    from starlette.responses import JSONResponse as StarletteJSON
    from starlette.responses import RedirectResponse as StarletteRedirect

    app = FastAPI(title="unchanged")
    app.add_middleware(CORSMiddleware, allow_origins=["https://a.example"])
    done = []


    class Stamp(BaseHTTPMiddleware):
        async def dispatch(self, request, call_next):
            response = await call_next(request)
            response.headers["x-stamp"] = request.url.path
            return response


    app.add_middleware(Stamp)


    class Item(BaseModel):
        name: str
        price: float


    def token(request: StarletteRequest) -> str:
        return request.headers.get("x-token", "none")


    @app.get("/items/{item_id}")
    def read_item(item_id: int, q: str | None = None, tok: Annotated[str, Depends(token)] = ""):
        return {"item_id": item_id, "q": q, "token": tok}


    @app.post("/items", status_code=status.HTTP_201_CREATED)
    async def create_item(item: Item) -> Item:
        return item


    @app.get("/teapot")
    def teapot():
        raise StarletteHTTPException(418, "I'm a teapot")


    @app.get("/gone")
    def gone():
        raise HTTPException(status.HTTP_410_GONE)


    @app.get("/starlette-json")
    def starlette_json(tasks: StarletteBackgroundTasks):
        tasks.add_task(done.append, "task")
        return StarletteJSON({"from": "starlette"}, status_code=202, headers={"x-a": "b"})


    @app.get("/old")
    async def old():
        return StarletteRedirect("/items/1")


    @app.get("/done")
    def tasks_done():
        return done


    @app.exception_handler(StarletteHTTPException)
    async def plain_errors(request, exc):
        return PlainTextResponse(f"{exc.status_code}: {exc.detail}", status_code=exc.status_code)
    """
)


#: The same app without middleware: each request takes the native server's short path.
PLAIN_APP = FASTAPI_APP.replace("app.add_middleware(", "# app.add_middleware(")


def run_python(code: str, cwd: Path, *args: str) -> str:
    path = os.pathsep.join([str(cwd), str(ROOT / "python"), str(ROOT)])
    env = dict(os.environ, PYTHONPATH=path)
    done = subprocess.run(
        [sys.executable, "-c", code, *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_install_makes_fastapi_modules_fasterapis(tmp_path):
    out = run_python(
        textwrap.dedent(
            """
            import FasterAPI, FasterAPI.compat, FasterAPI.routing
            FasterAPI.compat.install()
            import fastapi, fastapi.routing, fastapi.security
            from fastapi import FastAPI
            from fastapi._compat import PYDANTIC_VERSION_MINOR_TUPLE
            print(fastapi is FasterAPI, fastapi.routing is FasterAPI.routing,
                  FastAPI is FasterAPI.FastAPI)
            print(fastapi.__name__, fastapi.__spec__.name,
                  type(PYDANTIC_VERSION_MINOR_TUPLE).__name__)
            try:
                import fastapi.no_such_module
            except ModuleNotFoundError as exc:
                print("missing:", exc.name)
            FasterAPI.compat.uninstall()
            print("fastapi" in __import__("sys").modules, FasterAPI.compat.installed())
            """
        ),
        tmp_path,
    )
    assert out.splitlines() == [
        "True True True",
        "FasterAPI FasterAPI tuple",
        "missing: fastapi.no_such_module",
        "False False",
    ]


def test_an_unchanged_fastapi_app(tmp_path, door):
    """Through `door`, in a process of its own (the drop-in mode patches modules for the
    whole process): FastAPI's TestClient, or the native server in that process
    (tests/support/doors.py)."""
    (tmp_path / "main.py").write_text(FASTAPI_APP)
    out = run_python(
        textwrap.dedent(
            """
            import sys
            import FasterAPI.compat
            FasterAPI.compat.install()
            from main import app
            if sys.argv[1] == "asgi":
                from fastapi.testclient import TestClient
                opened = TestClient(app)
            else:
                from tests.support.doors import open_client
                opened = open_client(app, "native")
            with opened as client:
                for response in (
                    client.get("/items/3?q=x", headers={"x-token": "t"}),
                    client.post("/items", json={"name": "a", "price": 2}),
                    client.post("/items", json={"name": "a"}),
                    client.get("/teapot"),
                    client.get("/gone"),
                    client.get("/starlette-json"),
                    client.get("/old", follow_redirects=False),
                    client.get("/done"),
                ):
                    print(response.status_code, response.text)
                response = client.get("/starlette-json", headers={"origin": "https://a.example"})
                print(response.headers["x-a"], response.headers["x-stamp"],
                      response.headers["access-control-allow-origin"])
                print(client.get("/old", follow_redirects=False).headers["location"])
            """
        ),
        tmp_path,
        door,
    )
    lines = out.splitlines()
    assert json.loads(lines[0].split(" ", 1)[1]) == {"item_id": 3, "q": "x", "token": "t"}
    assert lines[0].startswith("200 ")
    assert lines[1] == '201 {"name":"a","price":2.0}'
    assert lines[2].startswith("422 ") and '"loc":["body","price"]' in lines[2]
    assert lines[3:] == [
        "418 418: I'm a teapot",
        "410 410: Gone",
        '202 {"from":"starlette"}',
        "307 ",
        '200 ["task"]',
        "b /starlette-json https://a.example",
        "/items/1",
    ]


def get(port: int, path: str) -> tuple[int, bytes]:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(f"GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    return int(head.split()[1]), body


@pytest.mark.parametrize(
    ("workers", "source"), [(1, FASTAPI_APP), (2, FASTAPI_APP), (1, PLAIN_APP)]
)
def test_fasterapi_run_fastapi_serves_an_unchanged_app(tmp_path, workers, source):
    (tmp_path / "main.py").write_text(source)
    port = free_port()
    env = dict(os.environ, PYTHONPATH=str(ROOT / "python"), PYTHONUNBUFFERED="1")
    command = [sys.executable, "-m", "FasterAPI", "run", "--fastapi", "main:app"]
    command += ["--host", "127.0.0.1", "--port", str(port), "--workers", str(workers)]
    log = tmp_path / "server.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(command, cwd=tmp_path, env=env, stdout=out, stderr=out)
    try:
        deadline = time.monotonic() + 30
        while True:
            assert proc.poll() is None, log.read_text()
            try:
                status, body = get(port, "/items/7")
                break
            except OSError:
                assert time.monotonic() < deadline, log.read_text()
                time.sleep(0.1)
        assert (status, json.loads(body)) == (200, {"item_id": 7, "q": None, "token": "none"})
        assert get(port, "/teapot") == (418, b"418: I'm a teapot")
        assert get(port, "/starlette-json") == (202, b'{"from":"starlette"}')
        if workers == 1:  # the task ran in the process that answered
            assert get(port, "/done") == (200, b'["task"]')
        assert get(port, "/openapi.json")[0] == 200
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_without_the_flag_a_missing_fastapi_says_to_use_it(tmp_path):
    # FastAPI absent, as on a machine with FasterAPI only (it may be installed here, pulled in
    # by an integration's package): a `fastapi` package first on the path that is not there
    hidden = tmp_path / "hide" / "fastapi"
    hidden.mkdir(parents=True)
    (hidden / "__init__.py").write_text(
        "raise ModuleNotFoundError(\"No module named 'fastapi'\", name='fastapi')\n"
    )
    (tmp_path / "main.py").write_text(FASTAPI_APP)
    env = dict(os.environ, PYTHONPATH=f"{tmp_path / 'hide'}{os.pathsep}{ROOT / 'python'}")
    done = subprocess.run(
        [sys.executable, "-m", "FasterAPI", "run", "main:app", "--port", str(free_port())],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1
    assert "No module named 'fastapi'" in done.stderr and "--fastapi" in done.stderr
