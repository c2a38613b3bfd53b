"""TestClient: FastAPI's synchronous, httpx-based test client, driving the app over ASGI
on an event loop in a background thread. `with TestClient(app)` runs lifespan."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine
from typing import Any
from urllib.parse import unquote

try:
    import httpx
except ImportError as exc:  # pragma: no cover - httpx is the testclient extra
    raise ImportError("TestClient needs httpx: pip install 'fasterapi[testclient]'") from exc


class _Portal:
    """An event loop running in a daemon thread, to run coroutines from sync code."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

    def call(self, coro: Coroutine[Any, Any, Any]) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result()

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join()
        self.loop.close()


class _ASGITransport(httpx.BaseTransport):
    def __init__(self, client: TestClient) -> None:
        self.client = client

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        return self.client._portal_call(self._send(request))

    async def _send(self, request: httpx.Request) -> httpx.Response:
        url = request.url
        scheme = url.scheme
        port = url.port or (443 if scheme == "https" else 80)
        headers = [(k.lower(), v) for k, v in request.headers.raw]
        if not any(k == b"host" for k, _ in headers):
            headers.insert(0, (b"host", url.netloc))
        path = unquote(url.path)
        client = self.client
        scope = {
            "type": "http",
            "asgi": {"version": "3.0", "spec_version": "2.3"},
            "http_version": "1.1",
            "method": request.method,
            "scheme": scheme,
            "path": path,
            "raw_path": url.raw_path.split(b"?", 1)[0],
            "query_string": url.query,
            "root_path": client.root_path,
            "headers": headers,
            "client": ("testclient", 50000),
            "server": (url.host, port),
            "state": dict(client._lifespan_state),
            "extensions": {},
        }
        body = request.read()
        sent_body = False
        status: int | None = None
        response_headers: list[tuple[bytes, bytes]] = []
        chunks: list[bytes] = []
        done = asyncio.Event()

        async def receive() -> dict[str, Any]:
            nonlocal sent_body
            if sent_body:
                await done.wait()
                return {"type": "http.disconnect"}
            sent_body = True
            return {"type": "http.request", "body": body, "more_body": False}

        async def send(message: dict[str, Any]) -> None:
            nonlocal status, response_headers
            if message["type"] == "http.response.start":
                status = message["status"]
                response_headers = list(message.get("headers", []))
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
                if not message.get("more_body", False):
                    done.set()

        try:
            await client.app(scope, receive, send)
        except BaseException:
            if client.raise_server_exceptions or status is None:
                raise
        finally:
            done.set()
        if status is None:
            raise RuntimeError("the app returned without sending a response")
        return httpx.Response(
            status_code=status,
            headers=response_headers,
            content=b"".join(chunks),
            request=request,
        )


class TestClient(httpx.Client):
    """Synchronous client calling the ASGI app in process, with FastAPI's constructor."""

    __test__ = False  # not a pytest test class

    def __init__(
        self,
        app: Any,
        base_url: str = "http://testserver",
        raise_server_exceptions: bool = True,
        root_path: str = "",
        backend: str = "asyncio",
        backend_options: dict[str, Any] | None = None,
        cookies: Any = None,
        headers: dict[str, str] | None = None,
        follow_redirects: bool = True,
        client: tuple[str, int] = ("testclient", 50000),
    ) -> None:
        self.app = app
        self.raise_server_exceptions = raise_server_exceptions
        self.root_path = root_path
        self._portal: _Portal | None = None
        self._lifespan_state: dict[str, Any] = {}
        self._lifespan_task: Any = None
        super().__init__(
            base_url=base_url,
            headers={"user-agent": "testclient", **(headers or {})},
            cookies=cookies,
            follow_redirects=follow_redirects,
            transport=_ASGITransport(self),
        )

    def _portal_call(self, coro: Coroutine[Any, Any, Any]) -> Any:
        if self._portal is not None:
            return self._portal.call(coro)
        portal = _Portal()
        try:
            return portal.call(coro)
        finally:
            portal.close()

    def __enter__(self) -> TestClient:
        self._portal = _Portal()
        self._lifespan_in: asyncio.Queue[dict[str, Any]] = self._portal.call(self._make_queue())
        self._lifespan_out: asyncio.Queue[dict[str, Any]] = self._portal.call(self._make_queue())
        self._lifespan_task = self._portal.call(self._start_lifespan())
        self._portal.call(self._lifespan_step("startup"))
        return self

    def __exit__(self, *exc_info: Any) -> None:
        try:
            self._portal.call(self._lifespan_step("shutdown"))
        finally:
            self._portal.close()
            self._portal = None
            self.close()

    @staticmethod
    async def _make_queue() -> asyncio.Queue[dict[str, Any]]:
        return asyncio.Queue()

    async def _start_lifespan(self) -> Any:
        scope = {
            "type": "lifespan",
            "asgi": {"version": "3.0", "spec_version": "2.0"},
            "state": self._lifespan_state,
        }

        async def run() -> None:
            try:
                await self.app(scope, self._lifespan_in.get, self._lifespan_out.put)
            except BaseException as exc:
                await self._lifespan_out.put({"type": "error", "exc": exc})
            await self._lifespan_out.put({"type": "lifespan.ended"})

        return asyncio.get_running_loop().create_task(run())

    async def _lifespan_step(self, phase: str) -> None:
        await self._lifespan_in.put({"type": f"lifespan.{phase}"})
        message = await self._lifespan_out.get()
        if message["type"] == "error":
            raise message["exc"]
        if message["type"] == f"lifespan.{phase}.failed":
            error = await self._lifespan_out.get()
            if error["type"] == "error":
                raise error["exc"]
            raise RuntimeError(message.get("message", f"lifespan {phase} failed"))
        if phase == "shutdown":
            await self._lifespan_task
