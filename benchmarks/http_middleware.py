"""In process: one `@app.middleware("http")` (it sets a header on call_next's response) in front
of a JSON route, FasterAPI beside FastAPI, each in its own interpreter (ours from /work/main/.venv,
FastAPI from the peers venv). Requests per CPU-second of the process, best of the rounds.

usage: python3 http_middleware.py [--requests N] [--rounds R] [--py PYTHON] [--peers-py PYTHON]
"""

import argparse
import os
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
PEERS_VENV = os.environ.get("PEERS_VENV", os.path.expanduser("~/.cache/fasterapi-peers"))

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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=20000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--py", default=str(HERE.parent / ".venv/bin/python"))
    parser.add_argument("--peers-py", default=f"{PEERS_VENV}/bin/python")
    args = parser.parse_args()
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
