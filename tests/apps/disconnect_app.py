"""Endless streams whose client leaves (tests/test_disconnect.py), on the native server
(`native_server(module="disconnect_app")`) and under uvicorn (`tests.apps.disconnect_app:app`).

Each stream's generator never awaits anything: only the response's own checkpoints let the loop
see the client go. Every item it makes is stamped with time.monotonic() (one clock for all the
processes of the machine), and its `finally` marks it closed, so that `GET /report/{name}`,
asked on another connection, tells how many items were made after a given moment and whether
the generator was closed. The report waits (a bounded time) for the stream to close: the
test needs no polling."""

import asyncio
import threading
import time
from collections import deque
from typing import Any

from FasterAPI import FastAPI
from FasterAPI.responses import FileResponse, StreamingResponse
from FasterAPI.sse import EventSourceResponse

from tests.apps.passthrough import behind_a_middleware

#: One item of a raw stream: a line of 1 KiB.
LINE = b"x" * 1023 + b"\n"
#: How long a report waits for its stream to close.
REPORT_WAIT = 5.0


class Record:
    """What one stream did: when it made each of its last items, and whether it was closed."""

    def __init__(self) -> None:
        # bounded, so that a stream that is never stopped cannot exhaust the memory
        self.stamps: deque[float] = deque(maxlen=10_000)
        self.made = 0
        self.closed = threading.Event()  # set from the loop or from a worker thread

    def item(self) -> int:
        """Stamps one more item; its number."""
        self.stamps.append(time.monotonic())
        self.made += 1
        return self.made

    def close(self) -> None:
        self.closed.set()


RECORDS: dict[str, Record] = {}


def record(name: str) -> Record:
    RECORDS[name] = found = Record()
    return found


def build() -> FastAPI:
    """The app: its streams, its report."""
    app = FastAPI()

    @app.get("/health")
    async def health() -> dict[str, bool]:
        return {"ok": True}

    @app.get("/raw")
    async def raw() -> StreamingResponse:
        """A StreamingResponse over an endless async generator."""
        log = record("raw")

        async def lines() -> Any:
            try:
                while True:
                    log.item()
                    yield LINE
            finally:
                log.close()

        return StreamingResponse(lines(), media_type="text/plain")

    @app.get("/sync")
    def sync() -> StreamingResponse:
        """A StreamingResponse over an endless sync generator (stepped in a worker thread)."""
        log = record("sync")

        def lines() -> Any:
            try:
                while True:
                    log.item()
                    yield LINE
            finally:
                log.close()

        return StreamingResponse(lines(), media_type="text/plain")

    @app.get("/jsonl")
    async def jsonl() -> Any:
        """An endpoint that yields: JSON Lines."""
        log = record("jsonl")
        try:
            while True:
                yield {"item": log.item(), "pad": "x" * 1000}
        finally:
            log.close()

    @app.get("/sync-jsonl")
    def sync_jsonl() -> Any:
        """A `def` endpoint that yields: JSON Lines, the generator stepped in a worker thread."""
        log = record("sync-jsonl")
        try:
            while True:
                yield {"item": log.item(), "pad": "x" * 1000}
        finally:
            log.close()

    @app.get("/sse", response_class=EventSourceResponse)
    async def sse() -> Any:
        """An endpoint that yields Server-Sent Events."""
        log = record("sse")
        try:
            while True:
                yield {"item": log.item(), "pad": "x" * 1000}
        finally:
            log.close()

    @app.get("/file")
    async def file(path: str) -> FileResponse:
        """A file (big, for the test), read in small chunks, each stamped as an item."""
        log = record("file")

        class Stamped(FileResponse):
            chunk_size = 1024

            async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
                async def stamped(message: dict[str, Any]) -> None:
                    log.item()
                    await send(message)

                try:
                    await super().__call__(scope, receive, stamped)
                finally:
                    log.close()

        return Stamped(path)

    @app.get("/report/{name}")
    async def report(name: str, since: float) -> dict[str, Any]:
        """How many items stream `name` made after the moment `since` (time.monotonic()), how many
        in all, and whether it was closed (waited for, at most REPORT_WAIT seconds)."""
        log = RECORDS[name]
        await asyncio.to_thread(log.closed.wait, REPORT_WAIT)
        return {
            "closed": log.closed.is_set(),
            "after": sum(stamp > since for stamp in log.stamps),
            "made": log.made,
        }

    return app


app = build()
#: The same, behind a BaseHTTPMiddleware, which relays each stream.
behind_middleware = behind_a_middleware(build())
