"""In process: one `@app.middleware("http")` (it sets a header on call_next's response) in front
of a JSON route, FasterAPI beside FastAPI, each in its own interpreter (ours from /work/main/.venv,
FastAPI from the peers venv). Requests per CPU-second of the process, best of the rounds.

With --http, over HTTP instead: the same app (apps/http_middleware_app.py) served by FasterAPI's
own server, by uvicorn, and FastAPI+uvicorn, in one run of /work/shared/bench/peerbench.py (server
on CPU 0, wrk on CPU 1, server CPU µs per request from /proc, median of the rounds).

usage: python3 http_middleware.py [--requests N] [--rounds R] [--py PYTHON] [--peers-py PYTHON]
       python3 http_middleware.py --http [--rounds R] [--dur S] [--py PYTHON] [--md OUT.md]
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
PEERS_VENV = os.environ.get("PEERS_VENV", os.path.expanduser("~/.cache/fasterapi-peers"))
SHARED = Path(os.environ.get("SHARED", "/work/shared/bench"))

CHILD = r"""
import asyncio, sys, time
from {module} import FastAPI

app = FastAPI()

@app.middleware("http")
async def stamp(request, call_next):
    response = await call_next(request)
    response.headers["x-stamp"] = "1"
    return response

@app.get("/json")
async def hello():
    return {{"hello": "world"}}

scope = {{"type": "http", "method": "GET", "path": "/json", "raw_path": b"/json",
         "query_string": b"", "headers": [(b"host", b"bench")], "root_path": "",
         "scheme": "http", "server": ("bench", 80), "client": ("client", 1),
         "http_version": "1.1", "asgi": {{"version": "3.0"}}}}
sent = []

async def receive():
    return {{"type": "http.request", "body": b"", "more_body": False}}

async def send(message):
    sent.append(message)

async def main(requests):
    for _ in range(500):
        await app(dict(scope), receive, send)
    assert sent[0]["status"] == 200 and (b"x-stamp", b"1") in sent[0]["headers"], sent[0]
    start = time.process_time()
    for _ in range(requests):
        sent.clear()
        await app(dict(scope), receive, send)
    print(requests / (time.process_time() - start))

asyncio.run(main(int(sys.argv[1])))
"""


BASELINE = "FastAPI+uvicorn"


def check(name: str, cmd: str, port: int, cwd: str) -> None:
    """Serves once (unpinned): GET /json must answer the JSON and the middleware's header."""
    from realistic import listening, request

    server = subprocess.Popen(
        ["bash", "-c", "exec " + cmd], cwd=cwd, stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL, start_new_session=True,
    )  # fmt: skip
    try:
        if not listening(port):
            raise SystemExit(f"{name}: did not listen on port {port}")
        time.sleep(0.3)
        status, body, headers = request(port, "GET", "/json", None, {})
        if (status, body) != (200, b'{"message":"Hello, World!"}') or not headers.get(
            "x-process-time"
        ):
            raise SystemExit(f"{name}: GET /json answered {status} {body[:200]!r} {headers}")
    finally:
        os.killpg(server.pid, 15)
        server.wait()


def over_http(py: str, rounds: int, dur: int, md: str) -> None:
    """The app over HTTP, FasterAPI native and under uvicorn beside FastAPI+uvicorn."""
    from realistic import table  # (the realistic benchmark's table)

    bin_, peers = Path(py).parent, f"{PEERS_VENV}/bin"
    app, quiet = "http_middleware_app:app", "--log-level error --no-access-log"
    contenders = {
        "FasterAPI native": (
            f"{bin_}/fasterapi run {app} --host 127.0.0.1 --port 8240 --no-access-log"
            " --log-level warning", 8240),
        "FasterAPI+uvicorn": (
            f"{py} -m uvicorn {app} --port 8241 --loop uvloop --http httptools {quiet}", 8241),
        BASELINE: (f"env FRAMEWORK=fastapi {peers}/uvicorn {app} --port 8242 {quiet}", 8242),
    }  # fmt: skip
    apps = str(HERE / "apps")
    for name, (cmd, port) in contenders.items():
        check(name, cmd, port, apps)
    runs = {n: {"cmd": cmd, "port": port, "cwd": apps} for n, (cmd, port) in contenders.items()}
    endpoint = "GET /json"
    with tempfile.TemporaryDirectory(prefix="middleware-") as tmp:
        config, out = Path(tmp, "config.json"), Path(tmp, "out.json")
        config.write_text(json.dumps({"contenders": runs, "endpoints": [
            {"name": endpoint, "path": "/json"}]}))  # fmt: skip
        argv = [sys.executable, str(SHARED / "peerbench.py"), str(config), "--json", str(out),
                "--rounds", str(rounds), "--dur", str(dur), "--baseline", BASELINE]  # fmt: skip
        subprocess.run(argv, stdout=subprocess.DEVNULL, check=True)
        result = json.loads(out.read_text())
    text = "\n".join([
        f"One `@app.middleware(\"http\")` (it times the request and sets a header on call_next's"
        f" response) in front of a JSON route (apps/http_middleware_app.py). Server on CPU 0,"
        f" `wrk -t1 -c64 -d{dur}s` on CPU 1, median of {rounds} rounds; cells: req/s, server CPU"
        f" µs/req (x {BASELINE}'s CPU µs/req).",
        "",
        *table(result, [endpoint]),
    ])  # fmt: skip
    print(text)
    if md:
        Path(md).write_text(text + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=20000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--py", default=str(HERE.parent / ".venv/bin/python"))
    parser.add_argument("--peers-py", default=f"{PEERS_VENV}/bin/python")
    parser.add_argument("--http", action="store_true", help="over HTTP (see above)")
    parser.add_argument("--dur", type=int, default=5, help="seconds of each wrk run (--http)")
    parser.add_argument("--md", default="", help="where --http writes its table")
    args = parser.parse_args()
    if args.http:
        over_http(args.py, args.rounds, args.dur, args.md)
        return
    contenders = {"FasterAPI": (args.py, "FasterAPI"), "FastAPI": (args.peers_py, "fastapi")}
    best = dict.fromkeys(contenders, 0.0)
    for _ in range(args.rounds):
        for name, (python, module) in contenders.items():
            code = CHILD.format(module=module)
            out = subprocess.run(
                [python, "-c", code, str(args.requests)], capture_output=True, text=True
            )
            if out.returncode:
                sys.exit(f"{name}: {out.stderr}")
            best[name] = max(best[name], float(out.stdout))
    print("| framework | requests per CPU-second |\n|---|---|")
    for name, rate in best.items():
        print(f"| {name} | {rate:,.0f} |")
    print(f"\nFasterAPI/FastAPI: {best['FasterAPI'] / best['FastAPI']:.1f}x")


if __name__ == "__main__":
    main()
