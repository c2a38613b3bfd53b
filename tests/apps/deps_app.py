"""An app with dependencies, background tasks and lifespan state, served by the native
server in tests/test_lifecycle.py (and called through TestClient there too). What happens
after a response is printed to stdout, one flushed line each."""

from contextlib import asynccontextmanager

from FasterAPI import BackgroundTasks, Depends, Faster, Header, HTTPException, Request


def note(line: str) -> None:
    print(line, flush=True)


@asynccontextmanager
async def lifespan(app):
    note("lifespan enter")
    yield {"greeting": "hello"}
    note("lifespan exit")


def count_startup() -> None:
    app.state.startups += 1


app = Faster(lifespan=lifespan, on_startup=[count_startup])
app.state.startups = 0


async def session(request_id: str = Header()):
    note(f"open {request_id}")
    try:
        yield f"session-{request_id}"
    except ValueError as exc:
        raise HTTPException(409, f"conflict: {exc}") from exc
    finally:
        note(f"close {request_id}")


def greeting(request: Request) -> str:
    return request.state.greeting


@app.get("/work")
async def work(
    tasks: BackgroundTasks,
    fail: bool = False,
    current: str = Depends(session),
    hello: str = Depends(greeting),
):
    if fail:
        raise ValueError("told to fail")
    tasks.add_task(note, f"task for {current}")
    return {"session": current, "greeting": hello, "startups": app.state.startups}
