"""TLS on the native server (`fasterapi run --ssl-certfile ...`): a certificate made at test
time with openssl, a real `fasterapi run` process, httpx verifying against that certificate,
the short path and the ASGI path, WebSockets over wss, `--workers 2`, a bad handshake beside a
good connection, and the options' one-line errors."""

import json
import os
import socket
import ssl
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from FasterAPI.server import cli
from websockets.sync.client import connect

from tests.support.servers import ROOT, free_port

pytestmark = [
    pytest.mark.fasterapi_only,
    pytest.mark.skipif(
        subprocess.run(["which", "openssl"], capture_output=True).returncode != 0,
        reason="needs the openssl command to make a certificate",
    ),
]

PASSWORD = "s3cret"

APP = '''"""App for tests/test_tls.py: a short-path route, a Request route, a raw ASGI mount and a
WebSocket, each saying what scheme and URL it saw."""

import os

from FasterAPI import Faster, Request, WebSocket
from pydantic import BaseModel

app = Faster()


class Item(BaseModel):
    name: str


@app.get("/hello")
def hello():
    return {"hello": "tls"}


@app.post("/items")
def create(item: Item):
    return {"created": item.name}


@app.get("/url")
def url(request: Request):
    return {"url": str(request.url), "scheme": request.url.scheme, "pid": os.getpid()}


async def raw(scope, receive, send):
    body = scope["scheme"].encode()
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": body})


app.mount("/raw", raw)


@app.websocket("/ws")
async def ws(websocket: WebSocket):
    await websocket.accept()
    text = await websocket.receive_text()
    await websocket.send_json(
        {"echo": text, "scheme": websocket.scope["scheme"], "url": str(websocket.url)}
    )
    await websocket.close()
'''


# -- certificates ---------------------------------------------------------------------------------


def make_certificate(directory: Path, password: str | None = None) -> tuple[Path, Path]:
    """A self-signed certificate for localhost and 127.0.0.1, and its key (encrypted with
    `password` if given)."""
    name = "enc" if password else "plain"
    cert, key = directory / f"{name}-cert.pem", directory / f"{name}-key.pem"
    command = [
        "openssl", "req", "-x509", "-newkey", "rsa:2048", "-days", "2",
        "-subj", "/CN=localhost",
        "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
        "-keyout", str(key), "-out", str(cert),
    ]  # fmt: skip
    command += ["-passout", f"pass:{password}"] if password else ["-noenc"]
    subprocess.run(command, check=True, capture_output=True)
    return cert, key


@pytest.fixture(scope="module")
def certs(tmp_path_factory):
    directory = tmp_path_factory.mktemp("certs")
    return make_certificate(directory), make_certificate(directory, PASSWORD)


@pytest.fixture(scope="module")
def app_dir(tmp_path_factory):
    directory = tmp_path_factory.mktemp("tlsapp")
    (directory / "tls_app.py").write_text(APP)
    return directory


# -- a real `fasterapi run` -----------------------------------------------------------------------


class Running:
    def __init__(self, proc: subprocess.Popen, port: int, log: Path) -> None:
        self.proc, self.port, self.log = proc, port, log
        self.url = f"https://127.0.0.1:{port}"

    def output(self) -> str:
        return self.log.read_text()


def fasterapi(app_dir: Path, *options: str, log: Path) -> subprocess.Popen:
    env = dict(os.environ, PYTHONPATH=str(ROOT), PYTHONUNBUFFERED="1")
    with open(log, "wb") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "FasterAPI", "run", "tls_app:app", "--host", "127.0.0.1"]
            + list(options),
            cwd=app_dir,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


@contextmanager
def tls_server(app_dir: Path, cert: Path, key: Path, *options: str, probe: Any = None):
    """`fasterapi run` over TLS with `options`, once it answers: `probe(running)` raises
    OSError or httpx.TransportError until it does (by default an HTTPS GET of /hello)."""
    port = free_port()
    log = app_dir / f"server-{port}.log"
    proc = fasterapi(
        app_dir,
        "--port", str(port), "--ssl-certfile", str(cert), "--ssl-keyfile", str(key), *options,
        log=log,
    )  # fmt: skip
    running = Running(proc, port, log)
    if probe is None:

        def probe(running: Running) -> None:
            httpx.get(
                running.url + "/hello", verify=client_context(cert), timeout=1, trust_env=False
            )

    try:
        deadline = time.monotonic() + 20
        while True:
            if proc.poll() is not None:
                pytest.fail(f"server exited with {proc.returncode}:\n{running.output()}")
            try:
                probe(running)
                break
            except (OSError, httpx.TransportError):
                if time.monotonic() > deadline:
                    pytest.fail(f"server did not start:\n{running.output()}")
                time.sleep(0.1)
        yield running
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def port_open(running: Running) -> None:
    """A probe for a server that asks for client certificates: its port takes connections."""
    socket.create_connection(("127.0.0.1", running.port), timeout=1).close()


def client(cert: Path) -> httpx.Client:
    return httpx.Client(verify=client_context(cert), timeout=5, trust_env=False)


def client_context(cert: Path) -> ssl.SSLContext:
    context = ssl.create_default_context(cafile=str(cert))
    context.set_alpn_protocols(["http/1.1"])
    return context


# -- the tests ------------------------------------------------------------------------------------


def test_https_get_post_scheme_and_url_on_both_paths(app_dir, certs):
    (cert, key), _ = certs
    with tls_server(app_dir, cert, key) as server, client(cert) as http:
        response = http.get(server.url + "/hello")  # the short path
        assert (response.status_code, response.json()) == (200, {"hello": "tls"})
        response = http.post(server.url + "/items", json={"name": "x"})
        assert (response.status_code, response.json()) == (200, {"created": "x"})
        response = http.post(server.url + "/items", json={})
        assert response.status_code == 422
        response = http.get(server.url + "/url?q=1")  # a Request: its scope
        answer = response.json()
        assert (answer["url"], answer["scheme"]) == (f"{server.url}/url?q=1", "https")
        response = http.get(server.url + "/raw/")  # ASGI
        assert (response.status_code, response.text) == (200, "https")
        # keep-alive: one TLS connection for several requests
        assert all(http.get(server.url + "/hello").status_code == 200 for _ in range(20))
    assert "Traceback" not in server.output()
    assert f"https://127.0.0.1:{server.port}" in server.output()  # the start-up line


def test_alpn_offers_http11(app_dir, certs):
    (cert, key), _ = certs
    with tls_server(app_dir, cert, key) as server:
        context = client_context(cert)
        context.set_alpn_protocols(["h2", "http/1.1"])
        with socket.create_connection(("127.0.0.1", server.port), timeout=5) as raw:
            with context.wrap_socket(raw, server_hostname="localhost") as tls:
                assert tls.selected_alpn_protocol() == "http/1.1"
                tls.sendall(b"GET /hello HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
                answer = b""
                while chunk := tls.recv(65536):
                    answer += chunk
        assert answer.startswith(b"HTTP/1.1 200 ") and answer.endswith(b'{"hello":"tls"}')


def test_websocket_over_wss(app_dir, certs):
    (cert, key), _ = certs
    with tls_server(app_dir, cert, key) as server:
        url = f"wss://127.0.0.1:{server.port}/ws"
        with connect(url, ssl=client_context(cert), open_timeout=5) as ws:
            ws.send("hi")
            answer = json.loads(ws.recv(timeout=5))
        assert answer == {"echo": "hi", "scheme": "wss", "url": url}


def test_encrypted_key_with_password_and_two_workers(app_dir, certs):
    _, (cert, key) = certs
    options = ("--ssl-keyfile-password", PASSWORD, "--workers", "2")
    with tls_server(app_dir, cert, key, *options) as server, client(cert) as http:
        pids = set()
        deadline = time.monotonic() + 20  # (the second worker may still be starting)
        while len(pids) < 2 and time.monotonic() < deadline:
            with client(cert) as fresh:  # a new connection each time: either worker may take it
                answer = fresh.get(server.url + "/url").json()
                assert answer["scheme"] == "https"
                pids.add(answer["pid"])
        assert len(pids) == 2 and server.proc.pid not in pids  # both workers served TLS
        response = http.post(server.url + "/items", json={"name": "w"})
        assert response.json() == {"created": "w"}
    assert "Traceback" not in server.output()


@pytest.mark.parametrize(
    "bad",
    [
        b"GET /hello HTTP/1.1\r\nHost: x\r\n\r\n",  # plain HTTP to the TLS port
        bytes(range(256)) * 4,  # garbage
        b"\x16\x03\x01\x00\x05hello",  # a TLS record that is no ClientHello
    ],
    ids=["plain-http", "garbage", "bad-record"],
)
def test_bad_handshake_leaves_other_connections_alone(app_dir, certs, bad):
    (cert, key), _ = certs
    with tls_server(app_dir, cert, key) as server, client(cert) as http:
        assert http.get(server.url + "/hello").status_code == 200  # a good connection, kept open
        errors = []

        def bad_client() -> None:
            try:
                with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
                    sock.sendall(bad)
                    while sock.recv(4096):  # until the server drops us
                        pass
            except OSError as exc:  # a reset is as good as a close
                errors.append(exc)

        threads = [threading.Thread(target=bad_client) for _ in range(5)]
        for thread in threads:
            thread.start()
        for _ in range(10):  # the good connection goes on while the bad ones are dropped
            assert http.get(server.url + "/hello").json() == {"hello": "tls"}
        for thread in threads:
            thread.join(10)
            assert not thread.is_alive()  # the server dropped the bad client
        assert http.post(server.url + "/items", json={"name": "y"}).json() == {"created": "y"}
        time.sleep(0.3)  # anything the bad connections logged has been written
    output = server.output()
    assert "Traceback" not in output and "Error" not in output, output


def test_stalled_handshake_is_dropped(app_dir, certs):
    """A client that connects and never says hello is dropped after TLS_HANDSHAKE_TIMEOUT
    (10 s; asyncio's own default is 60 s), not held."""
    (cert, key), _ = certs
    with tls_server(app_dir, cert, key) as server:
        with socket.create_connection(("127.0.0.1", server.port), timeout=30) as sock:
            started = time.monotonic()
            try:
                while sock.recv(4096):
                    pass
            except ConnectionResetError:
                pass
            waited = time.monotonic() - started
        assert 8 < waited < 15, waited


# -- option errors: one line, exit code 1, no traceback -------------------------------------------


def run_cli(app_dir: Path, *options: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.run(
        [sys.executable, "-m", "FasterAPI", "run", "tls_app:app", "--port", str(free_port())]
        + list(options),
        cwd=app_dir,
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
        stdin=subprocess.DEVNULL,
    )


def test_bad_options_are_one_line_errors(app_dir, certs, tmp_path):
    (cert, key), (enc_cert, enc_key) = certs
    not_pem = tmp_path / "not.pem"
    not_pem.write_text("hello")
    cases = [
        (["--ssl-keyfile", str(key)], "--ssl-keyfile needs --ssl-certfile"),
        (["--ssl-ca-certs", str(cert)], "--ssl-ca-certs needs --ssl-certfile"),
        (["--ssl-certfile", str(tmp_path / "missing.pem")], "--ssl-certfile: no such file"),
        (
            ["--ssl-certfile", str(cert), "--ssl-keyfile", str(tmp_path / "nope.pem")],
            "--ssl-keyfile: no such file",
        ),
        (["--ssl-certfile", str(cert)], "--ssl-certfile: not a PEM certificate and its key"),
        (["--ssl-certfile", str(not_pem), "--ssl-keyfile", str(key)], "not a PEM certificate"),
        (
            ["--ssl-certfile", str(enc_cert), "--ssl-keyfile", str(enc_key)],
            "--ssl-keyfile-password: the key is encrypted: give its password",
        ),
        (
            ["--ssl-certfile", str(enc_cert), "--ssl-keyfile", str(enc_key)]
            + ["--ssl-keyfile-password", "wrong"],
            "--ssl-keyfile-password: wrong password for the key",
        ),
        (
            ["--ssl-certfile", str(cert), "--ssl-keyfile", str(key), "--ssl-cert-reqs", "7"],
            "--ssl-cert-reqs: must be 0 (none), 1 (optional) or 2 (required), got 7",
        ),
        (
            ["--ssl-certfile", str(cert), "--ssl-keyfile", str(key), "--ssl-ciphers", "NOPE"],
            "--ssl-ciphers: no cipher matches 'NOPE'",
        ),
        (
            ["--ssl-certfile", str(cert), "--ssl-keyfile", str(key)]
            + ["--ssl-ca-certs", str(not_pem)],
            "--ssl-ca-certs: not PEM CA certificates",
        ),
    ]
    for options, message in cases:
        result = run_cli(app_dir, *options)
        assert result.returncode == 1, (options, result.stderr)
        assert message in result.stderr, (options, result.stderr)
        assert "Traceback" not in result.stderr + result.stdout


def test_run_app_checks_tls_settings(certs, tmp_path):
    (cert, key), _ = certs
    with pytest.raises(cli.UsageError, match="ssl_keyfile needs ssl_certfile"):
        cli.run_app(object(), ssl_keyfile=str(key))
    with pytest.raises(cli.UsageError, match="ssl_certfile: no such file"):
        cli.run_app(object(), ssl_certfile=str(tmp_path / "nope.pem"))


def test_client_certificates_required(app_dir, certs):
    """--ssl-cert-reqs 2 with --ssl-ca-certs: a client without a certificate is refused, one
    with a certificate the CA file holds is served."""
    (cert, key), _ = certs
    options = ("--ssl-cert-reqs", "2", "--ssl-ca-certs", str(cert))
    with tls_server(app_dir, cert, key, *options, probe=port_open) as server:
        with pytest.raises(httpx.TransportError):
            with client(cert) as anonymous:
                anonymous.get(server.url + "/hello")
        context = client_context(cert)
        context.load_cert_chain(str(cert), str(key))  # the self-signed cert is its own CA
        with httpx.Client(verify=context, timeout=5, trust_env=False) as http:
            assert http.get(server.url + "/hello").json() == {"hello": "tls"}
    assert "Traceback" not in server.output()
