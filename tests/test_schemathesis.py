"""schemathesis, a client no one here wrote, against the example app's OpenAPI document: every
check (server errors, undocumented status codes, response schemas and headers, negative and
positive data, the stateful phase that chains create, read, update and delete), on both doors:
the native server and the app under uvicorn. Deterministic and bounded (a fixed number of
examples per operation); the app's SQLite file lives in a temporary directory;
the native server runs it on a real PostgreSQL server too."""

import os
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.support.servers import free_port, stop, wait_until_up
from tests.support.services import new_database, postgres_server

pytestmark = pytest.mark.fasterapi_only  # the example's models are msgspec Structs

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


@contextmanager
def example_app(door: str, tmp_path: Path, database_url: str):
    port = free_port()
    env = dict(os.environ, DATABASE_URL=database_url)
    if door == "native":
        command = [str(BIN / "fasterapi"), "run", "items_app:app", "--no-access-log"]
    else:
        command = [sys.executable, "-m", "uvicorn", "items_app:app", "--log-level", "warning"]
    command += ["--host", "127.0.0.1", "--port", str(port)]
    log = tmp_path / "server.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            command, cwd=ROOT / "examples", env=env, stdout=out, stderr=subprocess.STDOUT
        )
    try:
        wait_until_up(proc, f"http://127.0.0.1:{port}", log, path="/openapi.json")
        yield f"http://127.0.0.1:{port}", log
    finally:
        stop(proc)


@pytest.fixture(scope="module")
def postgres():
    with postgres_server() as url:
        yield url


@pytest.mark.parametrize(
    ("door", "database"), [("native", "sqlite"), ("uvicorn", "sqlite"), ("native", "postgresql")]
)
def test_every_schemathesis_check_passes_on_the_example_app(tmp_path, door, database, request):
    if database == "sqlite":
        database_url = f"sqlite+aiosqlite:///{tmp_path / 'items.db'}"
    else:
        database_url = new_database(request.getfixturevalue("postgres"))
    with example_app(door, tmp_path, database_url) as (base, log):
        run = subprocess.run(
            [
                str(BIN / "schemathesis"),
                "run",
                f"{base}/openapi.json",
                "--checks",
                "all",
                "--max-examples",
                "40",
                "--generation-deterministic",
                "--workers",
                "1",
                "--request-timeout",
                "10",
                "--no-color",
            ],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=300,
        )
        server_log = log.read_text()
    summary = run.stdout[-4000:]
    assert run.returncode == 0, f"{summary}\n{run.stderr[-2000:]}\nserver:\n{server_log[-3000:]}"
    assert "Stateful" in run.stdout and " passed" in run.stdout
    assert "Traceback" not in server_log
