"""The realistic app over HTTP: FasterAPI beside FastAPI, Litestar, BlackSheep (stdlib only).

The same app in apps/realistic_*.py (CORS middleware, HTTP bearer security, a `yield` session
dependency, a pydantic response_model, a constrained query parameter; POST with a pydantic body
and a background task), served by FasterAPI native (`fasterapi run`), FasterAPI+uvicorn,
FasterAPI+granian (our venv's uvicorn and granian, pinned to the peers' versions by `make setup`),
FastAPI+uvicorn, FastAPI+granian, Litestar+uvicorn and BlackSheep+uvicorn, all in ONE run of
/work/shared/bench/peerbench.py: server on CPU 0, wrk on CPU 1, server CPU µs per request from
/proc, median of the rounds. Every request carries `Authorization: Bearer ...` and `Origin`
(realistic_get.lua, realistic_post.lua); the ratio is to FastAPI+uvicorn's CPU µs per request.

Before measuring, each server is started once and checked: GET and POST must answer the expected
status and the very same body bytes with the CORS header, and a wrong token must get 401.
The table is followed by the path each FasterAPI route takes on `fasterapi run` (native or ASGI,
and why), read from the app by our interpreter.

    python3 realistic.py --py ../.venv/bin/python --rounds 3 --dur 5 --json out.json --md out.md
"""

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

from httpbench import APPS, HERE, PEERS_VENV, SHARED, port_free

TOKEN, ORIGIN = "bench-token", "https://app.example.com"  # as in apps/realistic_common.py
HEADERS = {"Authorization": f"Bearer {TOKEN}", "Origin": ORIGIN}
POST_BODY = b'{"name":"widget","price":9.5,"tags":["a","b"]}'  # as in realistic_post.lua
BASELINE = "FastAPI+uvicorn"
ENDPOINTS = [
    {
        "name": "GET /items/{id}",
        "path": "/items/42?limit=5",
        "lua": str(HERE / "realistic_get.lua"),
    },
    {"name": "POST /items", "path": "/items", "lua": str(HERE / "realistic_post.lua")},
]
GET_BODY = b'{"id":42,"name":"widget","price":9.5,"tags":["a","b"]}'
POST_ANSWER = b'{"id":1,"name":"widget","price":9.5,"tags":["a","b"]}'
JSON_HEADERS = HEADERS | {"Content-Type": "application/json"}
WRONG = {"Authorization": "Bearer wrong", "Origin": ORIGIN}
# method, path, body, headers -> status, body bytes (None: not compared)
CHECKS = [
    ("GET", "/items/42?limit=5", None, HEADERS, 200, GET_BODY),
    ("POST", "/items", POST_BODY, JSON_HEADERS, 201, POST_ANSWER),
    ("GET", "/items/42?limit=5", None, WRONG, 401, None),
]


def contenders(py):
    """name -> (command, port, cwd): ours from our venv, the peers' from theirs."""
    bin_, peers = Path(py).parent, f"{PEERS_VENV}/bin"
    app, quiet = "realistic_fasterapi:app", "--log-level error --no-access-log"
    granian = "--interface asgi --workers 1 --log-level error"
    return {
        "FasterAPI native": (
            f"{bin_}/fasterapi run {app} --host 127.0.0.1 --port 8230 --no-access-log"
            " --log-level warning", 8230),
        "FasterAPI+uvicorn": (
            f"{py} -m uvicorn {app} --port 8231 --loop uvloop --http httptools {quiet}", 8231),
        "FasterAPI+granian": (f"{bin_}/granian {granian} --port 8232 {app}", 8232),
        "FastAPI+uvicorn": (f"{peers}/uvicorn realistic_fastapi:app --port 8233 {quiet}", 8233),
        "FastAPI+granian": (f"{peers}/granian {granian} --port 8234 realistic_fastapi:app", 8234),
        "Litestar+uvicorn": (f"{peers}/uvicorn realistic_litestar:app --port 8235 {quiet}", 8235),
        "BlackSheep+uvicorn": (
            f"{peers}/uvicorn realistic_blacksheep:app --port 8236 {quiet}", 8236),
    }  # fmt: skip


def request(port, method, path, body, headers):
    req = urllib.request.Request(
        f"http://127.0.0.1:{port}{path}", data=body, headers=headers, method=method
    )
    try:
        with urllib.request.urlopen(req, timeout=5) as r:
            return r.status, r.read(), r.headers
    except urllib.error.HTTPError as e:
        return e.code, e.read(), e.headers


def listening(port, timeout=60):
    t0 = time.time()
    while time.time() - t0 < timeout:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return True
        time.sleep(0.2)
    return False


def check_one(name, cmd, port):
    """Serve once (unpinned) and compare the answers with CHECKS; the problems found."""
    p = subprocess.Popen(
        ["bash", "-c", "exec " + cmd], cwd=APPS, env=dict(os.environ, PEERS_VENV=PEERS_VENV),
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )  # fmt: skip
    problems = []
    try:
        if not listening(port):
            return [f"{name}: did not listen on port {port}"]
        time.sleep(0.5)  # listening is not always serving yet (granian's worker)
        for method, path, body, headers, status, expected in CHECKS:
            got, data, resp_headers = request(port, method, path, body, headers)
            what = f"{name}: {method} {path} ({headers['Authorization']})"
            if got != status:
                problems.append(f"{what}: status {got}, expected {status}: {data[:200]!r}")
            elif expected is not None and data != expected:
                problems.append(f"{what}: body {data!r}, expected {expected!r}")
            elif expected is not None and resp_headers.get("access-control-allow-origin") != ORIGIN:
                problems.append(f"{what}: no access-control-allow-origin: {ORIGIN}")
    finally:
        os.killpg(p.pid, 15)
        p.wait()
        time.sleep(0.3)
    return problems


ROUTE_PATHS = r"""
import realistic_fasterapi
from FasterAPI.server.native import route_paths
for route in route_paths(realistic_fasterapi.app):
    if route.path.startswith("/items"):
        where = "native" if route.native else "ASGI"
        why = ": " + "; ".join(route.reasons) if route.reasons else ""
        print(f"- `{route.methods[0]} {route.path}`: **{where}**{why}")
"""


def route_paths(py):
    """Markdown lines: which path each realistic FasterAPI route takes on `fasterapi run`."""
    out = subprocess.run([py, "-c", ROUTE_PATHS], cwd=APPS, capture_output=True, text=True)
    if out.returncode or not out.stdout.strip():
        return f"(could not read the routes' paths: {out.stderr.strip().splitlines()[-1:]})"
    return out.stdout.strip()


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--py", default=str(HERE.parent / ".venv/bin/python"))
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--dur", type=int, default=5)
    ap.add_argument("--only", default="", help="NAME,NAME: a subset of the contenders")
    ap.add_argument("--no-check", action="store_true", help="skip the response check")
    ap.add_argument("--json", default="", help="peerbench's JSON (medians and raw rounds)")
    ap.add_argument("--md", default="")
    a = ap.parse_args()

    chosen = {n: c for n, c in contenders(a.py).items() if not a.only or n in a.only.split(",")}
    busy = [str(port) for _, port in chosen.values() if not port_free(port)]
    if busy:
        raise SystemExit(f"port(s) {', '.join(busy)} already in use: is another benchmark running?")
    if not a.no_check:
        problems = [p for n, (cmd, port) in chosen.items() for p in check_one(n, cmd, port)]
        if problems:
            raise SystemExit("responses differ:\n" + "\n".join(problems))
    runs = {n: {"cmd": cmd, "port": port, "cwd": str(APPS)} for n, (cmd, port) in chosen.items()}
    with tempfile.TemporaryDirectory(prefix="realistic-") as tmp:
        config, out = Path(tmp, "config.json"), Path(tmp, "out.json")
        config.write_text(json.dumps({"contenders": runs, "endpoints": ENDPOINTS}))
        argv = [sys.executable, str(SHARED / "peerbench.py"), str(config), "--json", str(out),
                "--rounds", str(a.rounds), "--dur", str(a.dur), "--baseline", BASELINE]  # fmt: skip
        subprocess.run(argv, stdout=subprocess.DEVNULL, check=True)
        result = json.loads(out.read_text())
    paths = route_paths(a.py)
    md = "\n".join([
        f"server on CPU 0, `wrk -t1 -c64 -d{a.dur}s` on CPU 1, median of {a.rounds} rounds;"
        f" cells: req/s, server CPU µs/req (x {BASELINE}'s CPU µs/req)",
        "",
        *table(result, [e["name"] for e in ENDPOINTS]),
        "",
        "Requests: `GET /items/42?limit=5` and `POST /items` with a JSON body, both with"
        " `Authorization: Bearer <token>` and `Origin`.",
        "",
        "The path each FasterAPI route takes on its own server (`fasterapi run`):",
        "",
        paths,
    ])  # fmt: skip
    print(md)
    if a.md:
        Path(a.md).write_text(md + "\n")
    if a.json:
        settings = {"rounds": a.rounds, "dur": a.dur, "baseline": BASELINE}
        Path(a.json).write_text(json.dumps(result | settings | {"route_paths": paths}, indent=1))


def table(result, endpoints):
    """The markdown rows of peerbench's medians, with two-digit ratios to BASELINE."""
    med, raw = result["median"], result["raw"]
    rows = ["| contender | " + " | ".join(endpoints) + " |", "|---|" + "---|" * len(endpoints)]
    for name, eps in med.items():
        cells = []
        for e in endpoints:
            rps, us = eps[e]
            base = med.get(BASELINE, {}).get(e, [None, None])[1]
            if rps is None:
                cells.append("- (did not answer)")
                continue
            ratio = f" (x{us / base:.2f})" if base else ""
            bad = raw[name][e]["bad"]
            cells.append(f"{rps:,.0f}, {us:.1f}{ratio}" + (f" [{bad} non-2xx]" if bad else ""))
        rows.append(f"| {name} | " + " | ".join(cells) + " |")
    return rows


if __name__ == "__main__":
    main()
