"""Apps the native-server tests serve in a subprocess (tests/test_native_server.py).

`app` is a FasterAPI app; `raw` is a bare ASGI app for what FasterAPI has no response class for
yet (streaming bodies, echoing a streamed upload). Events the tests look for (lifespan,
cancelled handlers) are printed to stdout, one line each, flushed.
"""

import asyncio
import contextvars
import datetime as dt
import os

import anyio
from FasterAPI import BackgroundTasks, Depends, Faster, HTTPException, Request, Response
from FasterAPI.responses import JSONResponse, PlainTextResponse

app = Faster()


@app.on_event("startup")
async def started() -> None:
    print("lifespan startup", flush=True)


@app.on_event("shutdown")
async def stopped() -> None:
    print("lifespan shutdown", flush=True)


@app.get("/hello")
async def hello(name: str = "world"):
    return {"hello": name}


@app.get("/items/{item_id}")
async def item(item_id: int):
    return {"item_id": item_id}


@app.post("/echo")
async def echo(payload: dict):
    return payload


@app.get("/slow")
async def slow(seconds: float = 1.0):
    try:
        await asyncio.sleep(seconds)
    except asyncio.CancelledError:
        print("slow cancelled", flush=True)
        raise
    return {"slept": seconds}


async def session():
    """A yield dependency of scope "request" (the default), printing what its exit sees."""
    try:
        yield "session"
    except BaseException as exc:
        print(f"session exit saw {type(exc).__name__}", flush=True)
        raise
    print("session exit ran", flush=True)


async def step(session: str = Depends(session)):
    """A yield dependency of scope "function", on top of `session`."""
    try:
        yield session + "+step"
    except BaseException as exc:
        print(f"step exit saw {type(exc).__name__}", flush=True)
        raise


@app.get("/slow-deps")
async def slow_deps(
    seconds: float = 1.0, step: str = Depends(step, scope="function"), tasks: BackgroundTasks = None
):
    tasks.add_task(print, "slow-deps task ran", flush=True)
    await asyncio.sleep(seconds)
    return {"deps": step}


def agent(request: Request):
    """A dependency that takes a Request: on the native path its scope is made for it."""
    return request.headers.get("user-agent", "")


@app.get("/slow-request-dep")
async def slow_request_dep(seconds: float = 1.0, who: str = Depends(agent)):
    try:
        await asyncio.sleep(seconds)
    except asyncio.CancelledError:
        print("slow-request-dep cancelled", flush=True)
        raise
    return {"who": who}


async def pipelined_session(n: int):
    yield n
    await asyncio.sleep(0.05)  # the exit suspends
    print(f"pipelined exit {n}", flush=True)


async def pipelined_task(n: int):
    await asyncio.sleep(0.05)  # the task suspends
    print(f"pipelined task {n}", flush=True)


@app.get("/pipelined")
async def pipelined(tasks: BackgroundTasks, n: int = Depends(pipelined_session)):
    tasks.add_task(pipelined_task, n)
    return {"n": n}


@app.get("/text")
async def text():
    return PlainTextResponse("plain", headers={"X-Kind": "text"})


@app.get("/tagged", status_code=201)
def tagged(response: Response):
    response.headers["X-Tag"] = "yes"
    return {"tagged": True}


@app.get("/whoami")
async def whoami(request: Request):
    return {"path": request.url.path, "client": request.client.host}


request_var: contextvars.ContextVar[str] = contextvars.ContextVar("request_var", default="unset")


@app.get("/ctx")
async def ctx(value: str, sleep: float = 0.0):
    """What a handler sees of asyncio: its task, its own contextvars, timeouts, anyio scopes."""
    before = request_var.get()
    request_var.set(value)
    task = asyncio.current_task()
    with anyio.CancelScope():  # must be left in the task it was entered in
        if sleep:
            await asyncio.sleep(sleep)
    try:
        async with asyncio.timeout(0.01):
            await asyncio.sleep(5)
        timed_out = False
    except TimeoutError:
        timed_out = True
    return {
        "before": before,
        "after": request_var.get(),
        "has_task": task is not None,
        "same_task": task is asyncio.current_task(),
        "timed_out": timed_out,
    }


@app.get("/pid")
async def pid():
    return {"pid": os.getpid()}


@app.get("/bg")
async def with_background(tag: str = "bg"):
    async def later():
        await asyncio.sleep(0.2)
        print(f"{tag} done", flush=True)

    return JSONResponse({"background": tag}, background=later)


@app.get("/budget")
async def budget(remaining: float = 0.0):
    """A timeout that expires before the handler first suspends."""
    try:
        async with asyncio.timeout(remaining):
            await asyncio.sleep(1)
    except TimeoutError:
        return {"timed_out": True}
    return {"timed_out": False}


@app.get("/cancelled")
async def cancelled():
    future = asyncio.get_running_loop().create_future()
    asyncio.get_running_loop().call_later(0.01, future.cancel)
    await future  # raises CancelledError: not a disconnect


@app.get("/duration")
async def duration(d: dt.timedelta):
    return {"seconds": d.total_seconds()}


@app.get("/big")
async def big(kib: int = 64):
    return PlainTextResponse("x" * (kib * 1024))


@app.get("/cancel-self")
async def cancel_self():
    """Cancels its own task before it first suspends, and catches it."""
    try:
        asyncio.current_task().cancel()
        await asyncio.sleep(0)
    except asyncio.CancelledError:
        return {"cancelled": True}
    return {"cancelled": False}


@app.get("/boom")
async def boom():
    raise RuntimeError("boom")


@app.get("/teapot")
async def teapot():
    raise HTTPException(418, "I'm a teapot")


async def raw(scope, receive, send):
    """/stream: a chunked response of `n` pieces; /count: reads the body in pieces and answers
    its size; /close: asks for the connection to close; anything else: 404."""
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            kind = message["type"].rsplit(".", 1)[-1]
            await send({"type": f"lifespan.{kind}.complete"})
            if kind == "shutdown":
                return
    path = scope["path"]
    if path == "/stream":
        n = int(scope["query_string"] or b"3")
        await send({"type": "http.response.start", "status": 200, "headers": []})
        for i in range(n):
            await send({"type": "http.response.body", "body": b"piece %d\n" % i, "more_body": True})
            await asyncio.sleep(0)
        await send({"type": "http.response.body", "body": b""})
    elif path == "/big":  # `n` pieces of 64 KiB, as fast as the client takes them
        n = int(scope["query_string"] or b"1")
        piece = b"z" * 65536
        await send({"type": "http.response.start", "status": 200, "headers": []})
        for _ in range(n):
            await send({"type": "http.response.body", "body": piece, "more_body": True})
        await send({"type": "http.response.body", "body": b""})
    elif path == "/count":
        size = pieces = 0
        more = True
        while more:
            message = await receive()
            size += len(message.get("body", b""))
            pieces += 1
            more = message.get("more_body", False)
        body = b'{"size":%d,"pieces":%d}' % (size, pieces)
        headers = [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(body))]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": body})
    elif path == "/liar":  # says 2 bytes, sends 13
        headers = [(b"content-length", b"2")]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": b"Hello, World!"})
    elif path == "/close":
        headers = [(b"Connection", b"close"), (b"content-length", b"3")]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": b"bye"})
    else:
        await send({"type": "http.response.start", "status": 404, "headers": []})
        await send({"type": "http.response.body", "body": b"not found"})


class StampMiddleware:
    """A pure-ASGI middleware: adds an x-stamp header to every response."""

    def __init__(self, app, stamp: str) -> None:
        self.app, self.stamp = app, stamp

    async def __call__(self, scope, receive, send):
        async def stamped(message):
            if message["type"] == "http.response.start":
                message["headers"] = [*message["headers"], (b"x-stamp", self.stamp.encode())]
            await send(message)

        await self.app(scope, receive, stamped if scope["type"] == "http" else send)


async def sub_app(scope, receive, send):
    """A bare ASGI app to mount: answers with the path it sees below its mount point."""
    below = scope["path"][len(scope["root_path"]) :]
    body = f"{scope['root_path']}|{below}".encode()
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": body})


wrapped = Faster()
wrapped.add_middleware(StampMiddleware, stamp="outer")
wrapped.mount("/sub", sub_app)


@wrapped.get("/items/{item_id}")
async def wrapped_item(item_id: int):
    return {"item_id": item_id}


app.mount("/sub", sub_app)

from tests.apps.ws_app import app as ws  # noqa: E402, F401 - served in tests/test_websockets.py


def __getattr__(name):
    """The apps a few raw-socket tests serve in a server subprocess, each imported only by the
    server that serves it (`models` imports pydantic, which the other servers do without)."""
    if name == "models":
        from tests.apps.models_app import app

        return app
    if name == "forms":  # tests/test_forms.py
        from tests.apps.forms_app import app

        return app
    if name == "item_streams":  # tests/test_item_streams.py
        return _item_streams()
    if name == "site":  # tests/test_static_and_templates.py
        from tests.apps.site_app import app

        return app
    if name == "streams":  # tests/test_streaming.py
        from tests.apps.stream_app import app

        return app
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _item_streams():
    """The endpoints of tests/apps/streams_ref.py, and an endless event stream."""
    import FasterAPI
    from FasterAPI.sse import EventSourceResponse

    from tests.apps.streams_ref import build

    streams = build(FasterAPI)

    @streams.get("/ticks", response_class=EventSourceResponse)
    async def ticks():
        try:
            i = 0
            while True:
                yield i
                i += 1
                await asyncio.sleep(0.01)
        finally:
            print("ticks closed", flush=True)

    return streams
