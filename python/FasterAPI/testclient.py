"""TestClient: FastAPI's synchronous, httpx-based test client, driving the app over ASGI
on an event loop in a background thread. `with TestClient(app)` runs lifespan."""

from __future__ import annotations

import abc
import asyncio
import json
import queue
import threading
from collections.abc import Coroutine
from typing import Any

try:
    import httpx
except ImportError as exc:  # pragma: no cover - httpx is the testclient extra
    raise ImportError("TestClient needs httpx: pip install 'fasterapi-rs[testclient]'") from exc

from ._starlette import INSTALLED as _STARLETTE_INSTALLED
from .websockets import DENIAL_EXTENSION, WebSocketDisconnect


def _denial_bases() -> tuple[type, ...]:
    """The bases of WebSocketDenialResponse: Starlette's TestClient's own where Starlette is
    installed (so that `except starlette.testclient.WebSocketDenialResponse` catches ours),
    then an httpx Response and our WebSocketDisconnect."""
    if _STARLETTE_INSTALLED:
        import warnings

        try:
            with warnings.catch_warnings():  # Starlette prefers httpx2 to our httpx: no matter
                warnings.simplefilter("ignore")
                from starlette.testclient import WebSocketDenialResponse as starlette_denial
        except (ImportError, RuntimeError):  # its TestClient's dependencies are missing
            pass
        else:
            return (starlette_denial, WebSocketDisconnect)
    return (httpx.Response, WebSocketDisconnect)


class WebSocketDenialResponse(*_denial_bases()):  # type: ignore[misc]
    """What entering `websocket_connect()` raises when the app refuses the handshake with an
    HTTP response (the "websocket.http.response" extension, e.g. a 401 from an auth
    dependency): the response itself (`status_code`, `headers`, `json()`), and a
    WebSocketDisconnect, as Starlette's."""


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


def _scope(client: TestClient, kind: str, request: httpx.Request) -> dict[str, Any]:
    """The ASGI scope (`kind` "http" or "websocket") of `request`, sent by `client`."""
    url = request.url
    scheme = url.scheme if kind == "http" else {"https": "wss", "http": "ws"}.get(url.scheme)
    port = url.port or (443 if url.scheme == "https" else 80)
    headers = [(k.lower(), v) for k, v in request.headers.raw]
    if not any(k == b"host" for k, _ in headers):
        headers.insert(0, (b"host", url.netloc))
    return {
        "type": kind,
        "asgi": {"version": "3.0", "spec_version": "2.3" if kind == "http" else "2.4"},
        "http_version": "1.1",
        "scheme": scheme,
        # httpx's `url.path` is the path percent-decoded once, as a server decodes it (uvicorn,
        # the native server): unquoting it again would turn `%253F` into `?`, not `%3F`.
        "path": url.path,
        "raw_path": url.raw_path.split(b"?", 1)[0],
        "query_string": url.query,
        "root_path": client.root_path,
        "headers": headers,
        "client": client._client_address,
        "server": (url.host, port),
        "state": dict(client._lifespan_state),
        # Template responses send their template and context here (response.template).
        "extensions": {"http.response.debug": {}} if kind == "http" else {DENIAL_EXTENSION: {}},
    }


class _ASGITransport(httpx.BaseTransport):
    def __init__(self, client: TestClient) -> None:
        self.client = client

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        return self.client._portal_call(self._send(request))

    async def _send(self, request: httpx.Request) -> httpx.Response:
        client = self.client
        scope = _scope(client, "http", request)
        scope["method"] = request.method
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

        debug: dict[str, Any] = {}

        async def send(message: dict[str, Any]) -> None:
            nonlocal status, response_headers
            if message["type"] == "http.response.debug":
                debug.update(message.get("info", {}))
            elif message["type"] == "http.response.start":
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
        response = httpx.Response(  # a stream, so that no Content-Length is made up
            status_code=status,
            headers=response_headers,
            stream=httpx.ByteStream(b"".join(chunks)),
            request=request,
        )
        for name, value in debug.items():  # `template` and `context`, as Starlette's
            setattr(response, name, value)
        return response


class _ClientDisconnected(OSError):
    """What the app's `send` raises once the test has closed the connection."""


class WebSocketMessages(abc.ABC):
    """The send_*/receive_* methods of a test's WebSocket session, over its `send(message)`,
    `receive()` and `_raise_on_close(message)` (ASGI messages): TestClient's session, and the
    tests' native-server session (tests/support/doors.py), share them."""

    @abc.abstractmethod
    def send(self, message: dict[str, Any]) -> None:
        """Sends the app an ASGI "websocket.receive" message."""

    @abc.abstractmethod
    def receive(self) -> dict[str, Any]:
        """The next ASGI message from the app."""

    @abc.abstractmethod
    def _raise_on_close(self, message: dict[str, Any]) -> None:
        """Raises WebSocketDisconnect (or the denial) if `message` ends the connection."""

    def send_text(self, data: str) -> None:
        self.send({"type": "websocket.receive", "text": data})

    def send_bytes(self, data: bytes) -> None:
        self.send({"type": "websocket.receive", "bytes": data})

    def send_json(self, data: Any, mode: str = "text") -> None:
        text = json.dumps(data, separators=(",", ":"), ensure_ascii=False)
        if mode == "text":
            self.send({"type": "websocket.receive", "text": text})
        else:
            self.send({"type": "websocket.receive", "bytes": text.encode()})

    def receive_text(self) -> str:
        message = self.receive()
        self._raise_on_close(message)
        return message["text"]

    def receive_bytes(self) -> bytes:
        message = self.receive()
        self._raise_on_close(message)
        return message["bytes"]

    def receive_json(self, mode: str = "text") -> Any:
        message = self.receive()
        self._raise_on_close(message)
        if mode == "text":
            return json.loads(message["text"])
        return json.loads(message["bytes"].decode())


class WebSocketTestSession(WebSocketMessages):
    """A WebSocket connection to the app, as Starlette's TestClient gives it: entering it
    connects (raising WebSocketDisconnect if the app refuses with a close, or
    WebSocketDenialResponse if it refuses with an HTTP response), then send_*/receive_*;
    leaving it disconnects and raises what the app raised, if anything (a WebSocketDisconnect
    its endpoint let through included), as Starlette's does."""

    __test__ = False

    def __init__(self, client: TestClient, scope: dict[str, Any]) -> None:
        self.client = client
        self.scope = scope
        self.accepted_subprotocol: str | None = None
        self.extra_headers: list[tuple[bytes, bytes]] | None = None
        self._from_app: queue.Queue[Any] = queue.Queue()
        self._portal: _Portal | None = None
        self._task: Any = None
        self._disconnected = False
        #: The app sent after the test had left (and was told so).
        self._sent_too_late = False
        #: What receive() gives once the app has returned.
        self._ended = {"type": "websocket.close", "code": 1000, "reason": ""}

    def __enter__(self) -> WebSocketTestSession:
        portal = self.client._portal
        if portal is None:
            portal = self._portal = _Portal()
        self._loop = portal.loop
        self._to_app = portal.call(self.client._make_queue())
        self._task = portal.call(self._start())
        try:
            self.send({"type": "websocket.connect"})
            message = self.receive()
            self._raise_on_close(message)
        except BaseException:
            self._finish()
            raise
        self.accepted_subprotocol = message.get("subprotocol")
        self.extra_headers = message.get("headers")
        return self

    def __exit__(self, *exc_info: Any) -> None:
        try:
            self.close(1000)
        finally:
            self._finish()
        while not self._from_app.empty():
            message = self._from_app.get()
            if message is self._ended:
                break
            if isinstance(message, BaseException):  # whatever raise_server_exceptions says
                raise message

    def _finish(self) -> None:
        """Waits for the app to return, then stops the session's own event loop."""
        portal = self.client._portal or self._portal
        if portal is not None and self._task is not None:
            portal.call(self._wait())
        if self._portal is not None:
            self._portal.close()
            self._portal = None

    async def _wait(self) -> None:
        """Gives the app a moment to see the disconnect and return, then cancels it."""
        try:
            await asyncio.wait_for(asyncio.shield(self._task), 1)
        except TimeoutError:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    async def _start(self) -> Any:
        async def receive() -> dict[str, Any]:
            return await self._to_app.get()

        async def send(message: dict[str, Any]) -> None:
            if self._disconnected:  # as a server does once the client has gone
                self._sent_too_late = True
                raise _ClientDisconnected("the test client has disconnected")
            self._from_app.put(message)

        async def run() -> None:
            try:
                await self.client.app(self.scope, receive, send)
            except asyncio.CancelledError:
                pass  # the session ended while the app still ran
            except WebSocketDisconnect as exc:
                # Raised to the test, as Starlette's TestClient does, unless the app learnt
                # that the test had left by sending: Starlette's would have cancelled it
                # there, quietly.
                if not self._sent_too_late:
                    self._from_app.put(exc)
            except BaseException as exc:
                self._from_app.put(exc)
            # The app is over: the connection closes, as a server closes it.
            self._from_app.put(self._ended)

        return asyncio.get_running_loop().create_task(run())

    # -- messages -------------------------------------------------------------------------------

    def send(self, message: dict[str, Any]) -> None:
        self._loop.call_soon_threadsafe(self._to_app.put_nowait, message)

    def receive(self, timeout: float | None = None) -> dict[str, Any]:
        """The next message the app sent; raises what the app raised."""
        message = self._from_app.get(timeout=timeout)
        if isinstance(message, BaseException):
            raise message
        if message is self._ended:
            self._from_app.put(message)  # the app is over: every later receive says so too
        return message

    def _raise_on_close(self, message: dict[str, Any]) -> None:
        """Raises WebSocketDisconnect if `message` closes the connection, or the denial
        response (once all its body is in) if it starts one."""
        if message["type"] == "websocket.close":
            raise WebSocketDisconnect(message.get("code", 1000), message.get("reason", ""))
        if message["type"] == "websocket.http.response.start":
            body = []
            while True:
                part = self.receive()
                if part["type"] != "websocket.http.response.body":
                    raise RuntimeError(
                        'Expected ASGI message "websocket.http.response.body", '
                        f"but got {part['type']!r}"
                    )
                body.append(part.get("body", b""))
                if not part.get("more_body", False):
                    break
            raise WebSocketDenialResponse(
                status_code=message["status"],
                headers=message.get("headers", []),
                content=b"".join(body),
            )

    def close(self, code: int = 1000, reason: str | None = None) -> None:
        if not self._disconnected:
            self._disconnected = True
            self.send({"type": "websocket.disconnect", "code": code, "reason": reason or ""})


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
        self._client_address = client
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

    @property
    def app_state(self) -> dict[str, Any]:
        """The state the app's lifespan gave (Starlette's name)."""
        return self._lifespan_state

    def websocket_connect(
        self,
        url: str,
        subprotocols: list[str] | None = None,
        headers: dict[str, str] | None = None,
        **request_options: Any,
    ) -> WebSocketTestSession:
        """A WebSocket connection to the app at `url`, to use in a `with` block. Other
        keywords (`params`, `cookies`...) go to the handshake request, as in Starlette's
        TestClient; httpx refuses one it does not know, naming it."""
        upgrade = {
            "connection": "upgrade",
            "upgrade": "websocket",
            "sec-websocket-key": "dGVzdGNsaWVudGtleTEyMw==",
            "sec-websocket-version": "13",
        }
        if subprotocols:
            upgrade["sec-websocket-protocol"] = ", ".join(subprotocols)
        # The client's base URL, headers and cookies, as for any request it sends.
        request = self.build_request(
            "GET", url, headers={**upgrade, **(headers or {})}, **request_options
        )
        scope = _scope(self, "websocket", request)
        scope["subprotocols"] = list(subprotocols or [])
        return WebSocketTestSession(self, scope)

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
        portal = self._portal
        assert portal is not None, "__exit__ without __enter__"
        try:
            portal.call(self._lifespan_step("shutdown"))
        finally:
            # The client stays usable, as Starlette's: later requests each run on a portal
            # of their own (_portal_call).
            portal.close()
            self._portal = None

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
