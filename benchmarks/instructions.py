"""Machine instructions per in-process request, counted by valgrind: a change's before and after
without the noise of timing on a shared machine.

usage: python3 instructions.py TREE [TREE ...] [--endpoints json,path+query,"POST body"]
                               [--requests N]

For each FasterAPI tree (a checkout with its Rust core built: python/FasterAPI/_core*.so) and
each endpoint (asgi_worker.py's hello-world ones, on apps/fasterapi_app.py; "realistic GET" and
"realistic POST", realistic.py's requests on apps/realistic_fasterapi.py), the app is
called in-process N times after a warm-up, under `valgrind --tool=callgrind`, and once with no
timed requests; the difference divided by N is the instructions one request costs, from the
ASGI call to the response's last message: routing, parameters, the body, the endpoint and the
response, with the interpreter's own work (allocation, garbage collection) included. The count
is the same from run to run (to a few instructions), where a timing moves by several per cent;
instructions are not time (a cache miss costs more than an add), so a change is confirmed by a
timed run (inprocess.py, compare.sh) when the counts say it matters.

Each tree's code is imported with PYTHONPATH=TREE/python by the interpreter running this script
(the virtualenv with FasterAPI's dependencies). The coroutine of each call is stepped by hand,
with no event loop: the benchmark endpoints never suspend. Needs valgrind (Debian: valgrind).
"""

import argparse
import os
import re
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
DEFAULT_ENDPOINTS = ["json", "path+query", "POST body"]
#: realistic.py's two requests: (method, path, query, body), with its Authorization and Origin.
REALISTIC = {
    "realistic GET": ("GET", "/items/42", b"limit=5", b""),
    "realistic POST": ("POST", "/items", b"", b'{"name":"widget","price":9.5,"tags":["a","b"]}'),
}


def child(endpoint: str, requests: int) -> None:
    """Runs in the measured process: a warm-up, then `requests` calls of `endpoint`."""
    sys.path.insert(0, str(HERE / "apps"))
    sys.path.insert(0, str(HERE))
    from asgi_worker import ENDPOINTS, make_scope

    if endpoint in REALISTIC:
        from realistic import HEADERS
        from realistic_fasterapi import app

        method, path, query, body = REALISTIC[endpoint]
        scope = make_scope(method, path, query, body, {})
        scope["headers"] += [(k.lower().encode(), v.encode()) for k, v in HEADERS.items()]
    else:
        from fasterapi_app import app

        method, path, query, body, _, _ = ENDPOINTS[endpoint]
        scope = make_scope(method, path, query, body, {})
    message = {"type": "http.request", "body": body, "more_body": False}

    async def receive():
        return message

    async def send(message):
        pass

    def call(n: int) -> None:
        for _ in range(n):
            coroutine = app(dict(scope), receive, send)
            try:
                coroutine.send(None)
            except StopIteration:
                continue
            raise SystemExit(f"{endpoint}: the call suspended; it cannot be stepped by hand")

    call(500)
    call(requests)


def count(tree: Path, endpoint: str, requests: int) -> int:
    """The instructions valgrind counts for a child process serving `requests` requests."""
    env = dict(os.environ, PYTHONPATH=str(tree / "python"))
    command = [
        "valgrind",
        "--tool=callgrind",
        "--callgrind-out-file=/dev/null",
        sys.executable,
        __file__,
        "--child",
        endpoint,
        "--requests",
        str(requests),
    ]
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=True)
    match = re.search(r"Collected : (\d+)", done.stderr)
    if match is None:
        raise SystemExit(f"no instruction count from valgrind:\n{done.stderr[-2000:]}")
    return int(match.group(1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("trees", nargs="*", type=Path)
    parser.add_argument("--endpoints", default=",".join(DEFAULT_ENDPOINTS))
    parser.add_argument("--requests", type=int, default=10000)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.requests)
        return
    if not args.trees:
        parser.error("give at least one tree")
    endpoints = args.endpoints.split(",")
    print("| tree | " + " | ".join(endpoints) + " |")
    print("|---" * (len(endpoints) + 1) + "|")
    for tree in args.trees:
        tree = tree.resolve()
        cells = []
        for endpoint in endpoints:
            base = count(tree, endpoint, 0)
            cells.append(f"{(count(tree, endpoint, args.requests) - base) // args.requests:,}")
        print(f"| {tree} | " + " | ".join(cells) + " |", flush=True)


if __name__ == "__main__":
    main()
