"""Yield dependencies of scope "function" and "request", and a dependency with
max_concurrency, served by the native server in tests/test_dependency_scopes.py (and called
through TestClient there too). Each dependency's exit is printed to stdout, one flushed
line each, and kept in `events`."""

import asyncio
import json
from typing import Annotated

from FasterAPI import BackgroundTasks, Depends, Faster, Header, HTTPException
from FasterAPI.responses import StreamingResponse

events: list[str] = []


def note(line: str) -> None:
    events.append(line)
    print(line, flush=True)


class Session:
    def __init__(self, name: str) -> None:
        self.name, self.open = name, True


def session(request_id: str = Header("-")):
    note(f"open {request_id}")
    value = Session(request_id)
    try:
        yield value
    finally:
        value.open = False
        note(f"close {request_id}")


FunctionSession = Annotated[Session, Depends(session, scope="function")]
RequestSession = Annotated[Session, Depends(session, scope="request")]


def fail_after_yield():
    yield
    raise HTTPException(503, "failed after yield")


app = Faster()


@app.get("/scopes")
def scopes(function: FunctionSession, request: RequestSession, tasks: BackgroundTasks):
    """Streams whether each session is still open while the body is sent."""
    tasks.add_task(note, f"task {request.name}")

    def body():
        note(f"stream {request.name}")
        yield json.dumps({"function": function.open, "request": request.open})

    return StreamingResponse(body(), media_type="application/json")


@app.get("/fail/function", dependencies=[Depends(fail_after_yield, scope="function")])
def fail_function():
    return "sent?"


state = {"active": 0, "peak": 0}


async def limited():
    state["active"] += 1
    state["peak"] = max(state["peak"], state["active"])
    try:
        await asyncio.sleep(0.05)
        yield "limited"
    finally:
        state["active"] -= 1


Limited = Annotated[str, Depends(limited, max_concurrency=2)]


@app.get("/limited")
async def limited_route(value: Limited):
    await asyncio.sleep(0.05)
    return value


@app.get("/peak")
def peak():
    return state["peak"]


# -- `def` dependencies follow their route's `threadpool` -----------------------------------------


def where() -> str:
    """ "loop" on the thread running the event loop, "pool" on a worker thread."""
    try:
        asyncio.get_running_loop()
        return "loop"
    except RuntimeError:
        return "pool"


def plain_dependency() -> str:
    return where()


def yield_dependency():
    yield where()


@app.get("/threads/pool", threadpool=True)
def in_the_pool(
    plain: Annotated[str, Depends(plain_dependency)],
    yielded: Annotated[str, Depends(yield_dependency)],
) -> dict:
    return {"plain": plain, "yield": yielded, "handler": where()}


@app.get("/threads/inline")
def inline(
    plain: Annotated[str, Depends(plain_dependency)],
    yielded: Annotated[str, Depends(yield_dependency)],
) -> dict:
    return {"plain": plain, "yield": yielded, "handler": where()}
