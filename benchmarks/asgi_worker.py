"""Time one ASGI app in-process: `await app(scope, receive, send)`, no server, no sockets.

usage: python asgi_worker.py APP_DIR MODULE:ATTR [--requests N] [--repeats R] [--only EP,EP]
                            [--lenient]

Run by inprocess.py with the interpreter of the framework under test (stdlib only, so it works in
any virtualenv). It imports the app from APP_DIR, runs lifespan startup if the app supports it,
checks that the first response of each endpoint is a 200 with the expected body (exits non-zero
otherwise; with --lenient a wrong body or content type is only reported in the JSON), then times
each endpoint: a warm-up, then R timed loops of N requests, timed in CPU seconds of the
process. Each request gets a fresh shallow copy of a realistic http scope (frameworks may
write into it) and fresh receive/send callables, as a server would provide. Runs on the
stock asyncio loop.
Prints one JSON object:
{"python", "endpoints": {name: {"rps": [one per repeat], "best", "median", "mismatch"?}}}.
"""

import argparse
import asyncio
import importlib
import json
import statistics
import sys
import time

POST_BODY = b'{"name":"widget","price":9.5,"tags":["a","b"]}'

# name -> (method, path, query string, request body, content type, expected response body)
ENDPOINTS = {
    "json": ("GET", "/json", b"", b"", "application/json", {"message": "Hello, World!"}),
    "plaintext": ("GET", "/plaintext", b"", b"", "text/plain", b"Hello, World!"),
    "path+query": (
        "GET",
        "/items/42",
        b"q=hello",
        b"",
        "application/json",
        {"item_id": 42, "q": "hello"},
    ),
    "POST body": (
        "POST",
        "/items",
        b"",
        POST_BODY,
        "application/json",
        {"id": 1, "name": "widget", "price": 9.5, "tags": ["a", "b"]},
    ),
}


def make_scope(method, path, query, body, state):
    headers = [
        (b"host", b"127.0.0.1:8000"),
        (b"user-agent", b"asgi-bench/1.0"),
        (b"accept", b"*/*"),
    ]
    if method == "POST":
        headers += [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
        ]
    return {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.4"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query,
        "root_path": "",
        "headers": headers,
        "client": ("127.0.0.1", 54321),
        "server": ("127.0.0.1", 8000),
        "state": state,
    }


class Exchange:
    """The receive/send pair of one request; records the response."""

    __slots__ = ("body", "sent_body", "status", "headers", "chunks", "done", "finished")

    def __init__(self, body):
        self.body = body
        self.sent_body = False
        self.status = None
        self.headers = None
        self.chunks = []
        self.done = False
        self.finished = None

    async def receive(self):
        if not self.sent_body:
            self.sent_body = True
            return {"type": "http.request", "body": self.body, "more_body": False}
        # A real server only reports a disconnect once the response is over.
        if not self.done:
            self.finished = self.finished or asyncio.Event()
            await self.finished.wait()
        return {"type": "http.disconnect"}

    async def send(self, message):
        kind = message["type"]
        if kind == "http.response.start":
            self.status = message["status"]
            self.headers = message.get("headers", [])
        elif kind == "http.response.body":
            self.chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                self.done = True
                if self.finished:
                    self.finished.set()


async def lifespan_startup(app):
    """Start the app's lifespan; return (shutdown coroutine function, state), or (None, {})."""
    inbox, outbox, state = asyncio.Queue(), asyncio.Queue(), {}
    scope = {"type": "lifespan", "asgi": {"version": "3.0", "spec_version": "2.0"}, "state": state}
    inbox.put_nowait({"type": "lifespan.startup"})
    task = asyncio.ensure_future(app(scope, inbox.get, outbox.put))
    reply = asyncio.ensure_future(outbox.get())
    await asyncio.wait({task, reply}, timeout=30, return_when=asyncio.FIRST_COMPLETED)
    if not reply.done():  # the app returned or raised: it does not do lifespan
        reply.cancel()
        if task.done():
            task.exception()  # retrieved, so asyncio does not log it
        else:
            task.cancel()
        return None, {}
    if reply.result()["type"] != "lifespan.startup.complete":
        sys.exit(f"lifespan startup failed: {reply.result()}")

    async def shutdown():
        inbox.put_nowait({"type": "lifespan.shutdown"})
        await asyncio.wait({task}, timeout=10)

    return shutdown, state


def check(name, ex, lenient):
    """Exit unless the response is right; return a description of a tolerated difference."""
    _, _, _, _, ctype, expected = ENDPOINTS[name]
    body = b"".join(ex.chunks)
    got_ctype = dict(ex.headers or []).get(b"content-type", b"").decode()
    problems = []
    if ex.status != 200:
        problems.append(f"status {ex.status}")
    if not got_ctype.startswith(ctype):
        problems.append(f"content-type {got_ctype!r}")
    try:
        ok = (json.loads(body) if isinstance(expected, dict) else body) == expected
    except ValueError:
        ok = False
    if not ok:
        problems.append(f"body {body[:200]!r}")
    if ex.status != 200 or (problems and not lenient):
        sys.exit(f"{name}: unexpected response: {', '.join(problems)}")
    return ", ".join(problems)


async def timed(app, template, body, n):
    """Requests per second of this process's CPU time: unlike wall time, it does not count
    the moments the machine gives the CPU to something else."""
    t0 = time.process_time()
    for _ in range(n):
        ex = Exchange(body)
        await app(dict(template), ex.receive, ex.send)
    elapsed = time.process_time() - t0
    if ex.status != 200:
        sys.exit(f"status {ex.status} during the timed loop")
    return n / elapsed


async def run(app, names, n, repeats, lenient):
    shutdown, state = await lifespan_startup(app)
    results = {}
    for name in names:
        method, path, query, body, _, _ = ENDPOINTS[name]
        template = make_scope(method, path, query, body, state)
        ex = Exchange(body)
        await app(dict(template), ex.receive, ex.send)
        mismatch = check(name, ex, lenient)
        await timed(app, template, body, max(n // 5, 500))  # warm-up
        rps = [await timed(app, template, body, n) for _ in range(repeats)]
        results[name] = {"rps": rps, "best": max(rps), "median": statistics.median(rps)}
        if mismatch:
            results[name]["mismatch"] = mismatch
    if shutdown:
        await shutdown()
    return results


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("app_dir")
    ap.add_argument("app", help="module:attribute")
    ap.add_argument("--requests", type=int, default=20000)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--only", default="", help="comma-separated endpoint names")
    ap.add_argument("--lenient", action="store_true", help="measure even if the body is wrong")
    a = ap.parse_args()
    names = a.only.split(",") if a.only else list(ENDPOINTS)
    unknown = set(names) - set(ENDPOINTS)
    if unknown:
        sys.exit(f"unknown endpoints {sorted(unknown)}; known: {list(ENDPOINTS)}")
    sys.path.insert(0, a.app_dir)
    module, _, attr = a.app.partition(":")
    app = getattr(importlib.import_module(module), attr or "app")
    results = asyncio.run(run(app, names, a.requests, a.repeats, a.lenient))
    print(json.dumps({"python": sys.version.split()[0], "endpoints": results}))


if __name__ == "__main__":
    main()
