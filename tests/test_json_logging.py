"""JSON logging (FasterAPI.logger.JSONFormatter): each record one JSON object per line, with the
request's ID (FasterAPI.middleware.requestid) and, for an access-log record, its parts. Checked
on real servers in subprocesses, every stderr line parsed: `fasterapi run --log-format json`,
and uvicorn with the `--log-config` of docs/logging.md."""

import contextvars
import io
import json
import logging
import logging.handlers
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from FasterAPI.logger import JSONFormatter
from FasterAPI.middleware.requestid import RequestIDFilter, _request_id
from FasterAPI.server import cli
from FasterAPI.server.discovery import UsageError

from tests.support.servers import ROOT, STARTUP_TIMEOUT, free_port

pytestmark = pytest.mark.fasterapi_only

#: The app, its own loggers' records as JSON too (the root logger's handler, as
#: docs/logging.md configures it).
APP = """\
import logging.config

from FasterAPI import FastAPI
from FasterAPI.middleware.requestid import RequestIDMiddleware

logging.config.dictConfig({
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": "FasterAPI.logger.JSONFormatter"}},
    "handlers": {
        "stderr": {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stderr"}
    },
    "root": {"handlers": ["stderr"], "level": "INFO"},
})
log = logging.getLogger("main")

app = FastAPI()
app.add_middleware(RequestIDMiddleware)


@app.get("/hello")
async def hello(name: str = "world"):
    log.info("saying hello to %s", name, extra={"who": name})
    return {"hello": name}


@app.get("/boom")
async def boom():
    raise RuntimeError("kaboom")
"""

#: docs/logging.md's config for uvicorn: its loggers' records as JSON on stderr.
UVICORN_LOG_CONFIG = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": "FasterAPI.logger.JSONFormatter"}},
    "handlers": {
        "stderr": {
            "class": "logging.StreamHandler",
            "formatter": "json",
            "stream": "ext://sys.stderr",
        }
    },
    "loggers": {
        "uvicorn": {"handlers": ["stderr"], "level": "INFO", "propagate": False},
        "uvicorn.error": {"level": "INFO"},
        "uvicorn.access": {"handlers": ["stderr"], "level": "INFO", "propagate": False},
    },
    "root": {"handlers": ["stderr"], "level": "INFO"},
}

ISO_UTC = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z")


# -- the formatter ------------------------------------------------------------------------------


def record(**attributes) -> logging.LogRecord:
    base = {"name": "app", "levelno": logging.INFO, "levelname": "INFO", "msg": "hi", "args": ()}
    return logging.makeLogRecord({**base, **attributes})


def test_a_record_is_one_line_of_json():
    line = JSONFormatter().format(record(msg="two\nlines %s", args=("and more",)))
    assert "\n" not in line
    entry = json.loads(line)
    assert entry.pop("timestamp")
    assert entry == {"level": "INFO", "logger": "app", "message": "two\nlines and more"}


def test_the_timestamp_is_iso_8601_utc():
    entry = json.loads(JSONFormatter().format(record(created=0.25)))
    assert entry["timestamp"] == "1970-01-01T00:00:00.250Z"
    assert ISO_UTC.fullmatch(json.loads(JSONFormatter().format(record()))["timestamp"])


def test_extra_fields_the_request_id_and_the_traceback():
    try:
        raise ValueError("bad")
    except ValueError:
        exc_info = sys.exc_info()
    line = JSONFormatter().format(
        record(levelname="ERROR", exc_info=exc_info, request_id="r-1", user={"id": 7}, when=object)
    )
    entry = json.loads(line)
    assert entry["request_id"] == "r-1"
    assert entry["user"] == {"id": 7}
    assert entry["when"] == str(object)  # what JSON cannot write, as str()
    assert entry["exception"].startswith("Traceback (most recent call last):")
    assert entry["exception"].endswith("ValueError: bad")


def test_the_line_is_ascii_and_any_value_is_written():
    line = JSONFormatter().format(record(msg="caf\xe9 \u2028", big=2**70, when=object))
    assert line.isascii()
    entry = json.loads(line)
    assert (entry["message"], entry["big"]) == ("caf\xe9 \u2028", 2**70)
    assert entry["when"] == str(object)


def test_no_request_id_outside_a_request():
    assert "request_id" not in json.loads(JSONFormatter().format(record()))
    assert "request_id" not in json.loads(JSONFormatter().format(record(request_id="-")))


def test_uvicorns_access_records_get_their_fields():
    access = record(
        name="uvicorn.access",
        msg='%s - "%s %s HTTP/%s" %d',
        args=("127.0.0.1:5000", "GET", "/items?q=1", "1.1", 200),
    )
    entry = json.loads(JSONFormatter().format(access))
    assert entry["message"] == '127.0.0.1:5000 - "GET /items?q=1 HTTP/1.1" 200'
    fields = {k: entry[k] for k in ("client", "method", "path", "query", "http_version", "status")}
    assert fields == {
        "client": "127.0.0.1:5000",
        "method": "GET",
        "path": "/items",
        "query": "q=1",
        "http_version": "1.1",
        "status": 200,
    }


# -- the option ---------------------------------------------------------------------------------


def test_an_unknown_log_format_is_a_usage_error(capsys):
    assert cli.main(["run", "--log-format", "xml"]) == 2
    assert "argument --log-format: invalid choice: 'xml'" in capsys.readouterr().err
    with pytest.raises(UsageError, match="log_format must be one of text, json"):
        cli.run_app(object(), log_format="xml")


def test_the_option_reaches_the_config():
    args = cli.build_parser().parse_args(["run", "--log-format", "JSON"])
    assert cli.config_from_args(args).log_format == "json"
    assert cli.config_from_args(cli.build_parser().parse_args(["dev"])).log_format == "text"


# -- real servers -------------------------------------------------------------------------------


class Running:
    """A server in a subprocess, its stderr in a file."""

    def __init__(self, argv: list[str], cwd: Path, log: Path) -> None:
        self.log = log
        self.port = free_port()
        self.stderr = open(log, "w")
        env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(cwd), str(ROOT)])}
        self.proc = subprocess.Popen(
            [sys.executable, "-m", *argv, "--host", "127.0.0.1", "--port", str(self.port)],
            cwd=cwd,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=self.stderr,
        )

    def wait_until_up(self) -> None:
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while True:
            if self.proc.poll() is not None:
                pytest.fail(f"exited with {self.proc.returncode}:\n{self.log.read_text()}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                if time.monotonic() > deadline:
                    pytest.fail(f"did not start:\n{self.log.read_text()}")
                time.sleep(0.05)

    def stop(self) -> list[dict]:
        """Stops the server; every line it wrote to stderr, parsed as JSON."""
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(15)
        self.stderr.close()
        text = self.log.read_text()
        assert text.endswith("\n"), text
        entries = []
        for line in text.splitlines():
            try:
                entries.append(json.loads(line))
            except ValueError:
                pytest.fail(f"not a line of JSON: {line!r} in\n{text}")
        return entries

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.stderr.close()


@pytest.fixture
def server(tmp_path):
    (tmp_path / "main.py").write_text(APP)
    started = []

    def start(*argv: str) -> Running:
        running = Running(list(argv), tmp_path, tmp_path / f"stderr-{len(started)}.log")
        started.append(running)
        running.wait_until_up()
        return running

    yield start
    for running in started:
        running.close()


def exercise(port: int) -> tuple[str, str]:
    """A request with the client's ID, and one whose handler raises: that one's ID."""
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10) as client:
        hello = client.get("/hello?name=json", headers={"X-Request-ID": "json-1"})
        assert (hello.status_code, hello.json()) == (200, {"hello": "json"})
        assert hello.headers["x-request-id"] == "json-1"
        boom = client.get("/boom")
        assert boom.status_code == 500
        return hello.headers["x-request-id"], boom.headers["x-request-id"]


def check_logs(entries: list[dict], access_logger: str, error_logger: str, ids: tuple[str, str]):
    hello_id, boom_id = ids
    for entry in entries:
        assert ISO_UTC.fullmatch(entry["timestamp"]), entry
        assert {"level", "logger", "message"} <= entry.keys(), entry
    access = {e["path"]: e for e in entries if e["logger"] == access_logger}
    hello = access["/hello"]
    assert hello["request_id"] == hello_id
    assert (hello["method"], hello["query"], hello["http_version"]) == ("GET", "name=json", "1.1")
    assert (hello["status"], hello["level"]) == (200, "INFO")
    assert hello["client"].startswith("127.0.0.1:")
    assert hello["message"] == f'{hello["client"]} - "GET /hello?name=json HTTP/1.1" 200'
    assert (access["/boom"]["status"], access["/boom"]["request_id"]) == (500, boom_id)
    said = [e for e in entries if e["logger"] == "main"]
    assert [(e["message"], e["who"], e["request_id"]) for e in said] == [
        ("saying hello to json", "json", hello_id)
    ]
    errors = [e for e in entries if e["level"] == "ERROR"]
    assert len(errors) == 1, errors
    error = errors[0]
    # (uvicorn ends its message with a newline)
    assert (error["logger"], error["message"].strip()) == (
        error_logger,
        "Exception in ASGI application",
    )
    assert error["request_id"] == boom_id
    assert error["exception"].startswith("Traceback (most recent call last):")
    assert error["exception"].endswith("RuntimeError: kaboom")


def test_fasterapi_run_logs_json(server):
    running = server("FasterAPI", "run", "main:app", "--log-format", "json")
    ids = exercise(running.port)
    entries = running.stop()
    check_logs(entries, "fasterapi.access", "fasterapi.error", ids)
    assert any(e["message"].startswith("FasterAPI serving main:app") for e in entries)
    assert entries[-1]["message"] == "shutting down"


def test_fasterapi_run_with_workers_logs_json(server):
    running = server("FasterAPI", "run", "main:app", "--log-format", "json", "--workers", "2")
    with httpx.Client(timeout=10) as client:
        for _ in range(4):
            client.get(f"http://127.0.0.1:{running.port}/hello", headers={"X-Request-ID": "w"})
    entries = running.stop()
    access = [e for e in entries if e["logger"] == "fasterapi.access"]
    assert [(e["status"], e["request_id"]) for e in access] == [(200, "w")] * 4


def test_uvicorn_with_the_documented_log_config_logs_json(server, tmp_path):
    config = tmp_path / "logging.json"
    config.write_text(json.dumps(UVICORN_LOG_CONFIG))
    running = server("uvicorn", "main:app", "--log-config", str(config))
    ids = exercise(running.port)
    check_logs(running.stop(), "uvicorn.access", "uvicorn.error", ids)


# -- the request ID a record carries ------------------------------------------------------------


def test_a_records_own_request_id_wins_over_the_current_requests():
    """A record formatted after its request (a MemoryHandler flushing during another request)
    keeps the ID it was logged with; one given with `extra=` is kept, by RequestIDFilter and
    the formatter; one logged outside any request gets none."""
    out = io.StringIO()
    target = logging.StreamHandler(out)
    target.setFormatter(JSONFormatter())
    buffer = logging.handlers.MemoryHandler(capacity=3, target=target, flushLevel=logging.CRITICAL)
    buffer.addFilter(RequestIDFilter())
    buffered = logging.getLogger("tests.json_logging.buffered")
    buffered.addHandler(buffer)
    buffered.setLevel(logging.INFO)
    buffered.propagate = False

    def in_request(rid: str | None, message: str, **options) -> None:
        _request_id.set(rid)
        buffered.info(message, **options)

    try:
        contextvars.copy_context().run(in_request, "req-a", "in request A")
        contextvars.copy_context().run(in_request, None, "outside any request")
        assert out.getvalue() == ""  # (buffered: the third record flushes, in request B)
        contextvars.copy_context().run(
            in_request, "req-b", "explicit", extra={"request_id": "job-42"}
        )
    finally:
        buffered.removeHandler(buffer)
        buffer.close()
    entries = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [(e["message"], e.get("request_id")) for e in entries] == [
        ("in request A", "req-a"),
        ("outside any request", None),
        ("explicit", "job-42"),
    ]


def test_the_formatter_reads_the_current_request_for_a_record_without_one():
    def in_request() -> dict:
        _request_id.set("now-1")
        return json.loads(JSONFormatter().format(record()))

    assert contextvars.copy_context().run(in_request)["request_id"] == "now-1"


def test_request_id_filter_keeps_an_id_given_with_extra():
    def in_request() -> list[str]:
        _request_id.set("req-1")
        given, bare = record(request_id="job-7"), record()
        assert RequestIDFilter().filter(given) and RequestIDFilter().filter(bare)
        return [given.request_id, bare.request_id]

    assert contextvars.copy_context().run(in_request) == ["job-7", "req-1"]
    outside = record()
    RequestIDFilter(default="none").filter(outside)
    assert outside.request_id == "none"


# -- the access log cannot be forged through the request ----------------------------------------

#: Apps answering any path: `plain` by the short path (no middleware) and, under /mounted, by
#: the ASGI path; `with_id` through the middleware stack (RequestIDMiddleware is pure ASGI).
ANY_PATH_APP = """\
from FasterAPI import FastAPI
from FasterAPI.middleware.requestid import RequestIDMiddleware


def any_path(app):
    @app.get("/{p:path}")
    async def anything(p: str):
        return {"p": p}

    return app


plain = FastAPI()
plain.mount("/mounted", any_path(FastAPI()))
any_path(plain)

with_id = any_path(FastAPI())
with_id.add_middleware(RequestIDMiddleware)
"""

#: Request targets (as sent) and what the access log writes for them (uvicorn logs what was
#: sent): a forged line and terminal escapes encoded, a '"' in the query too.
FORGERIES = [
    (
        b"/x%0D%0AINFO:%20%20%20%20%201.2.3.4:5%20-%20%22GET%20/admin%20HTTP/1.1%22%20200",
        "/x%0D%0AINFO:%20%20%20%20%201.2.3.4:5%20-%20%22GET%20/admin%20HTTP/1.1%22%20200",
    ),
    (b'/x%1B[31mred%1B[0m?q=%0d%0a&s="x"', "/x%1B[31mred%1B[0m?q=%0d%0a&s=%22x%22"),
    (b"/caf%C3%A9/a@b:c;d=e,f!$&'()*+[]|~", "/caf%C3%A9/a@b:c;d=e,f!$&'()*+[]|~"),
    (b"/x%22y%25z%3Fw%20v?a=%C3%A9", "/x%22y%25z%3Fw%20v?a=%C3%A9"),
]


def send_raw(port: int, target: bytes) -> int:
    """`GET target` as bytes on a new connection; the response's status."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(b"GET " + target + b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        response = b""
        while chunk := sock.recv(65536):
            response += chunk
    return int(response.split(b" ", 2)[1])


@pytest.fixture
def any_path_server(server, tmp_path):
    (tmp_path / "anypath.py").write_text(ANY_PATH_APP)
    return server


@pytest.mark.parametrize("app", ["plain", "with_id"])
def test_the_text_access_log_writes_the_path_percent_encoded(any_path_server, app):
    running = any_path_server("FasterAPI", "run", f"anypath:{app}")
    prefixes = ["", "/mounted"] if app == "plain" else [""]
    for prefix in prefixes:
        for target, _ in FORGERIES:
            assert send_raw(running.port, prefix.encode() + target) == 200
    assert send_raw(running.port, b"/raw\x1b[31m") == 400  # (refused by the parser)
    running.proc.send_signal(signal.SIGTERM)
    running.proc.wait(15)
    text = running.log.read_text()
    assert "\x1b" not in text and "\r" not in text
    lines = text.splitlines()
    assert not any("1.2.3.4" in line and not line.endswith(" 200") for line in lines), text
    access = [line.split(" - ", 1)[1] for line in lines if line.startswith("INFO:     127.0.0.1:")]
    expected = [
        f'"GET {prefix}{logged} HTTP/1.1" 200' for prefix in prefixes for _, logged in FORGERIES
    ]
    assert access == [*expected, '"- - -" 400']


def test_the_json_access_records_path_and_query_are_uvicorns(any_path_server, tmp_path):
    """The same requests, as `fasterapi run --log-format json` and uvicorn (with the
    documented log config) write their access records: the same `path` and `query`."""
    config = tmp_path / "logging.json"
    config.write_text(json.dumps(UVICORN_LOG_CONFIG))
    logged = {}
    for name, argv in [
        ("fasterapi.access", ["FasterAPI", "run", "anypath:with_id", "--log-format", "json"]),
        ("uvicorn.access", ["uvicorn", "anypath:with_id", "--log-config", str(config)]),
    ]:
        running = any_path_server(*argv)
        for target, _ in FORGERIES:
            assert send_raw(running.port, target) == 200
        logged[name] = [(e["path"], e["query"]) for e in running.stop() if e["logger"] == name]
    expected = [logged.partition("?")[::2] for _, logged in FORGERIES]
    assert logged["fasterapi.access"] == expected
    assert logged["uvicorn.access"] == expected
