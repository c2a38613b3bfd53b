"""Fuzzes FasterAPI's native server over real sockets with mutated HTTP requests (stdlib only).

Each connection pipelines a batch of requests: valid ones for every kind of route of
tests/apps/fuzz_app.py (query and path parameters, JSON, chunked, urlencoded and multipart
bodies, a stream, Expect: 100-continue, absolute-form targets...), some of them mutated
(bytes flipped, inserted, cut, duplicated; Content-Length and chunk sizes made huge or
wrong; control bytes in headers), then a last `Connection: close` request. Everything the
server sends back is parsed strictly: each response must be well-formed HTTP/1.1 framed by
its Content-Length or chunked encoding, no 5xx but 501/505 for anything a client sends,
nothing after the last response, and the connection must end before a timeout. The server's
RSS is sampled throughout; it must stay alive and bounded.

    python3 fuzz_server.py --py ../.venv/bin/python --requests 10000000 --md out.md

tests/test_server_fuzz.py runs the same engine, bounded, on every `make test`.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

_BOUNDARY = b"fuzzB0undary"
_MULTIPART = (
    b"--" + _BOUNDARY + b'\r\nContent-Disposition: form-data; name="name"\r\n\r\nhammer\r\n'
    b"--" + _BOUNDARY + b'\r\nContent-Disposition: form-data; name="upload"; filename="a.txt"'
    b"\r\nContent-Type: text/plain\r\n\r\nfile bytes\r\n--" + _BOUNDARY + b"--\r\n"
)


def _req(head: str, body: bytes = b"", length: bool = True) -> bytes:
    extra = f"Content-Length: {len(body)}\r\n" if length and body else ""
    return (head.replace("\n", "\r\n") + extra + "\r\n").encode() + body


#: Valid requests, one per kind of thing a request can do to the server.
SEEDS: list[bytes] = [
    _req("GET /health HTTP/1.1\nHost: fuzz\n"),
    _req("GET /items/42?q=caf%C3%A9&q=2 HTTP/1.1\nHost: fuzz\nAccept: */*\n"),
    _req("GET /items/abc HTTP/1.1\nHost: fuzz\n"),
    _req("GET /nowhere/at/all?x=%ff HTTP/1.1\nHost: fuzz\nCookie: a=1; b=2\n"),
    _req(
        "POST /items HTTP/1.1\nHost: fuzz\nContent-Type: application/json\n",
        b'{"name":"hammer","price":9.5,"tags":["tools"]}',
    ),
    _req(
        "POST /items HTTP/1.1\nHost: fuzz\nContent-Type: application/json\n"
        "Transfer-Encoding: chunked\n",
        b'7\r\n{"name"\r\n9;x=y\r\n:"saw"}  \r\n0\r\nX-Trailer: 1\r\n\r\n',
        length=False,
    ),
    _req(
        "POST /form HTTP/1.1\nHost: fuzz\nContent-Type: application/x-www-form-urlencoded\n",
        b"name=caf%C3%A9+au+lait&other=1",
    ),
    _req(
        "POST /form HTTP/1.1\nHost: fuzz\nContent-Type: multipart/form-data; boundary="
        + _BOUNDARY.decode()
        + "\n",
        _MULTIPART,
    ),
    _req("POST /echo HTTP/1.1\nHost: fuzz\nExpect: 100-continue\n", b"x" * 300),
    _req("GET /stream HTTP/1.1\nHost: fuzz\n"),
    _req("GET http://fuzz.example/items/7 HTTP/1.1\nHost: other\n"),
    _req("OPTIONS * HTTP/1.1\nHost: fuzz\n"),
    _req("DELETE /items/1 HTTP/1.1\nHost: fuzz\n"),
    _req("GET /health HTTP/1.0\nConnection: keep-alive\n"),
]
CLOSE = _req("GET /health HTTP/1.1\nHost: fuzz\nConnection: close\n")

_NASTY = [
    b"\x00",
    b"\r",
    b"\n",
    b"\r\n",
    b"\r\n\r\n",
    b" ",
    b"\t",
    b":",
    b"\x7f",
    b"\xff",
    b"%",
    b"%00",
    b"99999999999999999999999",
    b"-1",
    b"ffffffffffffffff",
    b"Transfer-Encoding: chunked\r\n",
    b"Content-Length: 5\r\n",
    b"Content-Length: 99999999999\r\n",
    b"Host: a\r\n",
    b"HTTP/1.1",
    b"HTTP/2.0",
    b"/../..",
    b"?",
    b"#",
    b"Upgrade: websocket\r\nConnection: upgrade\r\n",
]


def mutate(rng: random.Random, data: bytes) -> bytes:
    """`data` with one to four random edits."""
    out = bytearray(data)
    for _ in range(rng.randint(1, 4)):
        at = rng.randrange(len(out) + 1)
        kind = rng.randrange(7)
        if kind == 0 and out:  # flip a byte
            out[min(at, len(out) - 1)] = rng.randrange(256)
        elif kind == 1:  # insert something nasty
            out[at:at] = rng.choice(_NASTY)
        elif kind == 2 and out:  # delete a range
            out[at : at + rng.randint(1, 16)] = b""
        elif kind == 3 and out:  # duplicate a range
            out[at:at] = out[at : at + rng.randint(1, 64)]
        elif kind == 4:  # cut the request short
            del out[at:]
        elif kind == 5:  # random bytes
            out[at:at] = rng.randbytes(rng.randint(1, 8))
        else:  # a number somewhere becomes huge or negative
            numbers = [m.span() for m in re.finditer(rb"\d+", bytes(out))]
            if numbers:
                start, end = rng.choice(numbers)
                out[start:end] = rng.choice([b"99999999999999999999", b"-1", b"0", b"7fffffff"])
    return bytes(out)


class Malformed(Exception):
    """The server sent something that is not a well-formed HTTP/1.1 response stream."""


_STATUS = re.compile(rb"HTTP/1\.1 ([1-5]\d\d) [^\r\n]*\r\n")
_TOKEN = re.compile(rb"[!#$%&'*+.^_`|~0-9A-Za-z-]+")


def parse_responses(data: bytes) -> list[int]:
    """The statuses of the responses in `data`, the whole of what one connection received
    before it ended; Malformed if any byte of it is not a well-formed response."""
    statuses = []
    pos = 0
    while pos < len(data):
        match = _STATUS.match(data, pos)
        if match is None:
            raise Malformed(f"bad status line at {pos}: {data[pos : pos + 60]!r}")
        status = int(match.group(1))
        end = data.find(b"\r\n\r\n", match.start())
        if end < 0:
            raise Malformed(f"unterminated head at {pos}")
        headers: dict[bytes, bytes] = {}
        for line in data[match.end() : end].split(b"\r\n") if end > match.end() - 2 else []:
            if not line:
                continue
            name, sep, value = line.partition(b":")
            if not sep or not _TOKEN.fullmatch(name):
                raise Malformed(f"bad header line {line!r}")
            key = name.lower()
            if key in (b"content-length", b"transfer-encoding") and key in headers:
                raise Malformed(f"duplicate {key!r}")
            headers[key] = value.strip()
        pos = end + 4
        statuses.append(status)
        if status == 101:
            return statuses  # WebSocket frames follow
        if status < 200 or status in (204, 304):
            continue
        if headers.get(b"transfer-encoding") == b"chunked":
            if b"content-length" in headers:
                raise Malformed("both Content-Length and chunked")
            while True:
                line_end = data.find(b"\r\n", pos)
                if line_end < 0:
                    raise Malformed("chunk size line cut")
                size = int(data[pos:line_end].split(b";")[0], 16)
                pos = line_end + 2 + size
                if data[pos : pos + 2] != b"\r\n":
                    raise Malformed("chunk not followed by CRLF")
                pos += 2
                if size == 0:
                    break
        elif b"content-length" in headers:
            length = int(headers[b"content-length"])
            if pos + length > len(data):
                raise Malformed(f"body shorter than its Content-Length {length}")
            pos += length
        else:
            pos = len(data)  # ends with the connection (HTTP/1.0 answers)
    return statuses


def exchange(
    port: int, payload: bytes, pieces: list[int], timeout: float, pause: float = 0.0
) -> bytes:
    """Sends `payload` (in pieces cut at `pieces`, `pause` seconds apart), then reads until
    the server closes; a server that neither answers nor closes within `timeout` raises
    TimeoutError (a hang)."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        start = 0
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            for cut in [*pieces, len(payload)]:
                sock.sendall(payload[start:cut])
                start = cut
                if pause:
                    time.sleep(pause)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server closed after an error response: read what it sent
        received = b""
        deadline = time.monotonic() + timeout
        while True:
            try:
                chunk = sock.recv(65536)
            except ConnectionResetError:
                return received
            if not chunk:
                return received
            received += chunk
            if time.monotonic() > deadline:
                raise TimeoutError(f"still receiving after {timeout}s")


ALLOWED_5XX = {501, 505}  # a Transfer-Encoding or HTTP version the server does not do


def check(statuses: list[int]) -> None:
    bad = [s for s in statuses if s >= 500 and s not in ALLOWED_5XX]
    if bad:
        raise Malformed(f"server error {bad} for client bytes")


def batch(rng: random.Random, size: int, mutation_rate: float) -> tuple[bytes, int]:
    """A pipelined batch of `size` requests (some mutated), then the closing request."""
    parts = []
    for _ in range(size):
        seed = rng.choice(SEEDS)
        parts.append(mutate(rng, seed) if rng.random() < mutation_rate else seed)
    return b"".join(parts) + CLOSE, size + 1


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def start_server(py: str, app: str, port: int, timeout: float = 1.0) -> subprocess.Popen:
    code = (
        "import sys\n"
        "from FasterAPI.server import Config, serve\n"
        f"from tests.apps.fuzz_app import {app} as app\n"
        f"sys.exit(serve(app, Config(host='127.0.0.1', port={port}, access_log=False,"
        f" log_level='warning', timeout_request={timeout}, timeout_keep_alive={timeout})))\n"
    )
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.Popen([py, "-c", code], cwd=ROOT, env=env, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return proc
        except OSError:
            time.sleep(0.05)
    proc.kill()
    raise SystemExit("the server did not start")


class Run:
    """What a fuzzing run saw: requests sent, responses by status, failures, peak RSS."""

    def __init__(self) -> None:
        self.sent = 0
        self.statuses: Counter = Counter()
        self.failures: list[str] = []
        self.peak_kib = 0


def fuzz(
    port: int,
    requests: int,
    clients: int,
    batch_size: int,
    mutation_rate: float,
    seed: int,
    pid: int,
) -> Run:
    """Sends about `requests` requests in pipelined batches from `clients` connections at a
    time, checking every answer; stops early after 20 failures."""
    run = Run()
    run.peak_kib = rss_kib(pid)
    lock = threading.Lock()
    stop = threading.Event()

    def sample() -> None:
        while not stop.is_set():
            run.peak_kib = max(run.peak_kib, rss_kib(pid))
            time.sleep(0.2)

    def client(index: int) -> None:
        rng = random.Random(seed * 1000 + index)
        while not stop.is_set():
            with lock:
                if run.sent >= requests:
                    return
            payload, count = batch(rng, batch_size, mutation_rate)
            got: list[int] = []
            try:
                got = parse_responses(exchange(port, payload, [], timeout=15))
                check(got)
            except (Malformed, TimeoutError, OSError) as exc:
                with lock:
                    run.failures.append(f"{type(exc).__name__}: {exc} after {payload[:300]!r}")
                    if len(run.failures) >= 20:
                        stop.set()
            with lock:
                run.sent += count
                run.statuses.update(got)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    stop.set()
    return run


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--py", default=str(ROOT / ".venv/bin/python"))
    ap.add_argument("--requests", type=int, default=10_000_000)
    ap.add_argument("--clients", type=int, default=4, help="connections at a time")
    ap.add_argument("--batch", type=int, default=32, help="requests pipelined per connection")
    ap.add_argument("--mutation-rate", type=float, default=0.03)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--app", default="app", choices=["app", "wrapped"])
    ap.add_argument("--port", type=int, default=8215)
    ap.add_argument("--json", default="")
    ap.add_argument("--md", default="")
    a = ap.parse_args()

    server = start_server(a.py, a.app, a.port)
    start_rss = rss_kib(server.pid)
    t0 = time.monotonic()
    run = fuzz(a.port, a.requests, a.clients, a.batch, a.mutation_rate, a.seed, server.pid)
    sent, statuses, failures, peak = run.sent, run.statuses, run.failures, run.peak_kib
    elapsed = time.monotonic() - t0
    alive = server.poll() is None
    server.send_signal(signal.SIGTERM)
    try:
        _, stderr = server.communicate(timeout=15)
    except subprocess.TimeoutExpired:
        server.kill()
        _, stderr = server.communicate()
    tracebacks = stderr.decode(errors="replace").count("Traceback")

    result = {
        "requests_sent": sent,
        "responses": sum(statuses.values()),
        "by_status": dict(sorted(statuses.items())),
        "failures": failures,
        "server_alive": alive,
        "tracebacks_logged": tracebacks,
        "rss_start_mib": start_rss / 1024,
        "rss_peak_mib": peak / 1024,
        "seconds": elapsed,
    }
    ok = alive and not failures and not tracebacks and peak - start_rss < 64 * 1024
    codes = ", ".join(f"{k}: {v:,}" for k, v in sorted(statuses.items()))
    md = "\n".join(
        [
            f"`fasterapi run` serving tests/apps/fuzz_app.py:{a.app}, {a.clients} client"
            f" connections at a time, {a.batch} pipelined requests per connection, "
            f"{a.mutation_rate:.0%} of them mutated (seed {a.seed}).",
            "",
            "| measure | value |",
            "|---|---:|",
            f"| requests sent (pipelined; those after a rejected one go unanswered) | {sent:,} |",
            f"| responses parsed (all well-formed) | {sum(statuses.values()):,} |",
            f"| malformed responses, hangs, 5xx | {len(failures)} |",
            f"| tracebacks in the server's log | {tracebacks} |",
            f"| server alive at the end | {'yes' if alive else 'no'} |",
            f"| RSS at start / peak | {start_rss / 1024:.1f} / {peak / 1024:.1f} MiB |",
            f"| duration | {elapsed:.0f} s ({sent / elapsed:,.0f} requests/s) |",
            "",
            f"Responses by status: {codes}.",
            "",
            f"Verdict: **{'passed' if ok else 'FAILED'}**.",
            *(f"- {f}" for f in failures[:10]),
        ]
    )
    print(md)
    if a.json:
        Path(a.json).write_text(json.dumps(result, indent=2))
    if a.md:
        Path(a.md).write_text(md + "\n")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
