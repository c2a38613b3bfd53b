"""Streaming and file responses (tests/test_streaming.py), through TestClient and on the
native server (as `streams` in tests/apps/native_app.py). Events are printed to stdout,
one line each, for the native-server tests to wait for."""

import asyncio
import os
import time
from pathlib import Path

from FasterAPI import BackgroundTasks, FastAPI
from FasterAPI.responses import FileResponse, StreamingResponse

FILES = Path(os.environ.get("STREAM_APP_FILES", Path(__file__).parent))
EVENTS: list[str] = []


def event(text: str) -> None:
    EVENTS.append(text)
    print(text, flush=True)


app = FastAPI()


@app.get("/count")
async def count(n: int = 3, background: BackgroundTasks = None):
    async def numbers():
        for i in range(n):
            await asyncio.sleep(0)
            yield f"{i}\n"

    background.add_task(event, "streamed")
    return StreamingResponse(numbers(), media_type="text/plain")


@app.get("/blocking")
def blocking():
    def chunks():
        for part in (b"slow ", b"sync ", b"iterator"):
            time.sleep(0.01)  # a blocking iterator is stepped in a thread
            yield part

    return StreamingResponse(chunks(), headers={"x-kind": "sync"}, media_type="text/csv")


@app.get("/endless")
async def endless():
    async def ticks():
        try:
            i = 0
            while True:
                yield f"data: {i}\n\n"
                i += 1
                await asyncio.sleep(0.01)
        finally:
            event("endless stream closed")

    return StreamingResponse(ticks(), media_type="text/event-stream")


@app.get("/failing")
async def failing():
    async def broken():
        yield b"partial"
        raise RuntimeError("broken stream")

    return StreamingResponse(broken())


@app.get("/files/{name}")
async def file(name: str, download: str | None = None):
    return FileResponse(FILES / name, filename=download)
