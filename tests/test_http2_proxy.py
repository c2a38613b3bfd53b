"""HTTP/2 to clients through nginx in front of `fasterapi run` (which speaks HTTP/1.1):
the configuration docs/server.md gives (examples/deploy/nginx-http2.conf), run for real,
with a certificate made at test time and curl speaking HTTP/2 over TLS."""

import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.support.servers import free_port, stop, wait_until_up
from tests.support.services import nginx_server

pytestmark = pytest.mark.fasterapi_only  # (FasterAPI's server)

ROOT = Path(__file__).resolve().parent.parent
CONF = ROOT / "examples" / "deploy" / "nginx-http2.conf"

APP = textwrap.dedent(
    """
    from FasterAPI import FastAPI, Request

    app = FastAPI()

    @app.get("/who")
    async def who(request: Request):
        return {"scheme": request.url.scheme, "client": request.client.host}

    @app.post("/echo")
    async def echo(body: dict):
        return body
    """
)


@pytest.fixture
def certificate(tmp_path):
    if shutil.which("openssl") is None or shutil.which("curl") is None:
        pytest.skip("openssl and curl are needed")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"]
        + ["-subj", "/CN=127.0.0.1", "-keyout", str(key), "-out", str(cert)],
        check=True,
        capture_output=True,
    )
    return cert, key


def test_clients_speak_http2_to_nginx_in_front(tmp_path, certificate):
    cert, key = certificate
    (tmp_path / "h2_app.py").write_text(APP)
    port = free_port()
    log = tmp_path / "server.log"
    command = [sys.executable, "-m", "FasterAPI", "run", "h2_app:app", "--port", str(port)]
    command += ["--host", "127.0.0.1", "--no-access-log"]
    with open(log, "wb") as out:
        proc = subprocess.Popen(command, cwd=tmp_path, stdout=out, stderr=subprocess.STDOUT)
    try:
        wait_until_up(proc, f"http://127.0.0.1:{port}", log, path="/who")
        with nginx_server(tmp_path, [port], conf=CONF, certificate=str(cert), key=str(key)) as base:
            url = "https://" + base.split("://", 1)[1]
            curl = ["curl", "-s", "--http2", "--cacert", str(cert), "-w", "\n%{http_version}"]
            got = subprocess.run([*curl, f"{url}/who"], capture_output=True, text=True, timeout=30)
            body, version = got.stdout.rsplit("\n", 1)
            assert version == "2", got
            assert body == '{"scheme":"https","client":"127.0.0.1"}'
            posted = subprocess.run(
                [*curl, "-H", "content-type: application/json", "-d", '{"a": [1, 2]}']
                + [f"{url}/echo"],
                capture_output=True,
                text=True,
                timeout=30,
            )
            assert posted.stdout == '{"a":[1,2]}\n2'
    finally:
        stop(proc)
