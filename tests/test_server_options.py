"""`fasterapi run`'s response-header options (--header, --server-header, --date-header), the
access log (duration and bytes, --access-log-format) and --limit-max-requests, over real
sockets on the native server: options of the server, with no TestClient counterpart."""

import json
import os
import re
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from contextlib import contextmanager

import httpx
import pytest
from FasterAPI.server import Config
from FasterAPI.server.cli import check_options, main

from tests.support.servers import ROOT, free_port, native_server

pytestmark = pytest.mark.fasterapi_only

#: Requests every way the native server answers: the short path (async, sync, a Response), a
#: handler that suspends (promoted to Python), the app's exception handler, the router's 404.
ANSWERS = ["/hello", "/tagged", "/text", "/slow?seconds=0.01", "/teapot", "/nope"]


def raw_request(port: int, request: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(request)
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    return data


def head_of(response: bytes) -> dict[str, list[str]]:
    lines = response.split(b"\r\n\r\n", 1)[0].decode("latin-1").split("\r\n")[1:]
    headers: dict[str, list[str]] = {}
    for line in lines:
        name, _, value = line.partition(":")
        headers.setdefault(name.strip().lower(), []).append(value.strip())
    return headers


@contextmanager
def cli_server(tmp_path, target: str, *options: str, cwd=ROOT):
    """`fasterapi run TARGET OPTIONS` on a free port, until it answers /health; yields its
    base URL and a function giving its output so far; stopped with SIGTERM (exit code 0)."""
    port = free_port()
    log = tmp_path / f"cli-{port}.log"
    command = [sys.executable, "-m", "FasterAPI", "run", target, "--port", str(port), *options]
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            command,
            cwd=cwd,
            env=dict(os.environ, PYTHONPATH=str(ROOT), PYTHONUNBUFFERED="1"),
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                httpx.get(base + "/health", trust_env=False)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline and proc.poll() is None, log.read_text()
                time.sleep(0.1)
        yield base, log.read_text
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    assert proc.returncode == 0, log.read_text()


# -- response headers ---------------------------------------------------------------------------


def test_default_headers_are_on_every_answer(tmp_path):
    with native_server(tmp_path) as server:
        base = f"http://127.0.0.1:{server.port}"
        for path in ANSWERS:
            response = httpx.get(base + path, trust_env=False)
            assert response.headers.get_list("server") == ["fasterapi"], path
            assert len(response.headers.get_list("date")) == 1, path
        error = raw_request(server.port, b"GET / HTTP/1.1\r\nHost: x\r\nContent-Length: no\r\n\r\n")
        assert error.startswith(b"HTTP/1.1 400 ")
        assert head_of(error)["server"] == ["fasterapi"] and "date" in head_of(error)


def test_operator_headers_and_no_server_or_date(tmp_path):
    headers = [("X-Served-By", "edge-1"), ("Server", "acme"), ("X-Kind", "operator")]
    with native_server(tmp_path, headers=headers, date_header=False, server_header=False) as server:
        base = f"http://127.0.0.1:{server.port}"
        for path in ANSWERS:
            response = httpx.get(base + path, trust_env=False)
            assert response.headers.get_list("x-served-by") == ["edge-1"], path
            # an operator's Server names the server, even with --no-server-header
            assert response.headers.get_list("server") == ["acme"], path
            assert "date" not in response.headers, path
            # the app's own header wins over the operator's
            expected = ["text"] if path == "/text" else ["operator"]
            assert response.headers.get_list("x-kind") == expected, path
        error = raw_request(server.port, b"GET / HTTP/1.1\r\nHost: x\r\nContent-Length: no\r\n\r\n")
        assert head_of(error)["x-served-by"] == ["edge-1"] and "date" not in head_of(error)


def test_asgi_path_gets_the_headers_too(tmp_path):
    with native_server(tmp_path, app="raw", headers=[("X-A", "1")], server_header=False) as server:
        response = httpx.get(f"http://127.0.0.1:{server.port}/stream?2", trust_env=False)
        assert response.text == "piece 0\npiece 1\n"
        assert response.headers["x-a"] == "1" and "server" not in response.headers
        assert "date" in response.headers


@pytest.mark.parametrize(
    ("option", "message"),
    [
        (["--header", "X-Nocolon"], "expected NAME:VALUE"),
        (["--header", "Content-Length: 5"], "written by the server"),
        (["--header", "Connection: close"], "written by the server"),
        (["--header", "Date: today"], "--date-header"),
        (["--header", "Bad Name: x"], "is not a header name"),
        (["--header", "X-A: caf\u20ac"], "Latin-1"),
        (["--limit-max-requests", "0"], "--limit-max-requests must be at least 1"),
        (["--limit-max-requests", "5", "--reload"], "cannot be used with --reload"),
        (["--access-log-format", "%(client)s %(nope)s"], "unknown field 'nope'"),
        (["--access-log-format", "%(status)d %s"], "not a %-format of named fields"),
        (["--ws-max-size", "0"], "--ws-max-size must be between 1 and"),
        (["--ws-max-size", str(2**63)], "--ws-max-size must be between 1 and"),
    ],
)
def test_bad_options_are_usage_errors(option, message, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "main.py").write_text("from FasterAPI import Faster\napp = Faster()\n")
    assert main(["run", "main.py", *option]) == 1
    err = capsys.readouterr().err
    assert err.startswith("Error: ") and message in err, err


def test_run_keywords_are_checked_too():
    from FasterAPI import Faster
    from FasterAPI.server.cli import run_app
    from FasterAPI.server.discovery import UsageError

    with pytest.raises(UsageError, match="headers: 'a b' is not a header name"):
        run_app(Faster(), headers=[("a b", "c")])
    with pytest.raises(UsageError, match="headers: expected"):
        run_app(Faster(), headers=["X-A: b"])
    check_options(Config(headers=None), 1, False, spell=str)  # (uvicorn's default)


# -- the access log ----------------------------------------------------------------------------


def access_records(output: str) -> list[dict]:
    return [json.loads(line) for line in output.splitlines() if '"fasterapi.access"' in line]


def test_access_records_carry_bytes_and_duration(tmp_path):
    with cli_server(tmp_path, "tests.apps.native_app:app", "--log-format", "json") as (base, out):
        with httpx.Client(base_url=base, trust_env=False) as client:
            assert len(client.get("/big?kib=3").content) == 3072  # short path
            assert client.get("/slow?seconds=0.2").status_code == 200  # promoted
            assert client.head("/big?kib=3").content == b""
            assert client.get("/teapot").status_code == 418
        time.sleep(0.3)
        records = {(r["method"], r["path"]): r for r in access_records(out())}
    big, slow, head = records["GET", "/big"], records["GET", "/slow"], records["HEAD", "/big"]
    assert (big["bytes"], big["status"], big["query"]) == (3072, 200, "kib=3")
    assert head["bytes"] == 0
    assert records["GET", "/teapot"]["bytes"] == len(b'{"detail":"I\'m a teapot"}')
    assert slow["bytes"] == len(b'{"slept":0.2}')
    assert 200 <= slow["duration_ms"] < 2000, slow
    assert 0 <= big["duration_ms"] < 200, big
    assert big["message"] == f'{big["client"]} - "GET /big?kib=3 HTTP/1.1" 200'


def test_asgi_access_record_counts_the_streamed_body(tmp_path):
    with cli_server(tmp_path, "tests.apps.native_app:raw", "--log-format", "json") as (base, out):
        response = httpx.get(base + "/stream?3", trust_env=False)
        assert response.text == "piece 0\npiece 1\npiece 2\n"
        time.sleep(0.3)
        (record,) = [r for r in access_records(out()) if r["path"] == "/stream"]
    assert (record["bytes"], record["status"]) == (len(response.content), 200)
    assert record["duration_ms"] >= 0


def test_access_log_format(tmp_path):
    fmt = '%(client_addr)s "%(request_line)s" %(status_code)s %(bytes)d %(duration_ms).1fms'
    with native_server(tmp_path, access_log_format=fmt) as server:
        base = f"http://127.0.0.1:{server.port}"
        httpx.get(base + "/big?kib=1", trust_env=False)
        httpx.get(base + "/teapot", trust_env=False)
        time.sleep(0.3)
        output = server.output()
    line = r'127\.0\.0\.1:\d+ "GET /big\?kib=1 HTTP/1\.1" 200 OK 1024 \d+\.\dms'
    assert re.search(line, output), output
    assert re.search(r'"GET /teapot HTTP/1\.1" 418 I\'m a Teapot \d+ ', output), output


# -- --limit-max-requests ------------------------------------------------------------------------

PID_APP = """
import os
from FasterAPI import Faster

app = Faster()


@app.get("/pid")
async def pid():
    return {"pid": os.getpid()}


@app.get("/health")
async def health():
    return {}
"""


def hammer(base: str, keep_alive: bool, until: float, pids: Counter, failures: list) -> None:
    """GETs of /pid until `until`, on one keep-alive connection or each on a new one."""
    limits = httpx.Limits(max_keepalive_connections=1 if keep_alive else 0)
    with httpx.Client(base_url=base, trust_env=False, limits=limits, timeout=10) as client:
        while time.monotonic() < until:
            try:
                response = client.get("/pid")
                response.raise_for_status()
                pids[response.json()["pid"]] += 1
            except httpx.HTTPError as exc:
                failures.append(repr(exc))


@pytest.mark.parametrize("workers", [1, 2])
def test_limit_max_requests_replaces_workers_without_losing_a_request(tmp_path, workers):
    (tmp_path / "pid_app.py").write_text(PID_APP)
    options = ["--workers", str(workers), "--limit-max-requests", "300", "--no-access-log"]
    with cli_server(tmp_path, "pid_app:app", *options, cwd=tmp_path) as (base, out):
        pids: Counter = Counter()
        failures: list = []
        until = time.monotonic() + 8
        clients = [
            threading.Thread(target=hammer, args=(base, keep_alive, until, pids, failures))
            for keep_alive in (True, True, True, False, False, False)
        ]
        for thread in clients:
            thread.start()
        for thread in clients:
            thread.join()
        assert failures == []
        # a worker past its limit serves on until its successor is ready (a second or so
        # here, thousands of requests): over 8 s, each place has been taken over a few times
        assert sum(pids.values()) > 2000 and len(pids) >= workers + 3, pids
    output = out()
    assert "reached --limit-max-requests" in output
    assert "died unexpectedly" not in output and "Retired worker" not in output, output


@pytest.mark.parametrize("target", ["tests.apps.native_app:app", "tests.apps.native_app:raw"])
def test_access_record_names_the_client_a_trusted_proxy_gives(tmp_path, target):
    # (127.0.0.1 is trusted by default; the records are the short path's, a suspended
    # handler's and the ASGI path's)
    paths = ["/hello", "/slow?seconds=0.01"] if target.endswith(":app") else ["/stream?1"]
    with cli_server(tmp_path, target, "--log-format", "json") as (base, out):
        for path in paths:
            forwarded = {"X-Forwarded-For": "203.0.113.9:4711"}
            httpx.get(base + path, headers=forwarded, trust_env=False)
            httpx.get(base + path, trust_env=False)
        time.sleep(0.3)
        records = [r for r in access_records(out()) if r["path"] in ("/hello", "/slow", "/stream")]
    clients = [r["client"] for r in records]
    assert clients[::2] == ["203.0.113.9:4711"] * len(paths), records
    assert all(c.startswith("127.0.0.1:") for c in clients[1::2]), records
