"""/docs and /redoc in a real browser, with no network beyond this machine: the example app
(examples/items_app.py on FasterAPI's native server, a SQLite file in a temporary directory)
opened in Debian's headless Chromium, driven over the DevTools protocol by a small client on
the `websockets` package. Swagger UI must list the operations and run "Try it out" on
`GET /items` and `POST /items`; ReDoc must list the operations; every request the browser
made must have gone to the app.

Chromium resolves no host name but 127.0.0.1 (`--host-resolver-rules`), so a page that
needed a CDN would stay blank; the test also reads every request from the protocol's
Network events, so one that merely tried is caught too.

FASTERAPI_SCREENSHOT=docs/images/docs-ui.png saves a screenshot of /docs (the one in the
README was made so). Skipped when no Chromium is installed (`apt-get install chromium`)."""

import base64
import itertools
import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from websockets.sync.client import ClientConnection, connect

from tests.support.servers import free_port, stop, wait_until_up

pytestmark = pytest.mark.fasterapi_only  # the example app's models are msgspec Structs

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
CHROMIUM = next(
    (path for name in ("chromium", "chromium-browser") if (path := shutil.which(name))), None
)
#: How long the browser may take to show a page or a response.
TIMEOUT = 30.0
#: The operations of examples/items_app.py, as Swagger UI shows them (method, path).
OPERATIONS = {
    ("get", "/items"),
    ("post", "/items"),
    ("get", "/items/{item_id}"),
    ("put", "/items/{item_id}"),
    ("patch", "/items/{item_id}"),
    ("delete", "/items/{item_id}"),
}

if CHROMIUM is None:
    pytest.skip(
        "no Chromium: install Debian's (`apt-get install chromium`) to run the browser test",
        allow_module_level=True,
    )


class Page:
    """One browser tab over the DevTools protocol: commands, and the URLs of every request
    the tab made (Network.requestWillBeSent), kept in `requested`."""

    def __init__(self, socket: ClientConnection) -> None:
        self.socket = socket
        self.ids = itertools.count(1)
        self.requested: list[str] = []

    def send(self, method: str, **params: Any) -> dict[str, Any]:
        """Runs a protocol command and returns its result; events that come first are read."""
        command_id = next(self.ids)
        self.socket.send(json.dumps({"id": command_id, "method": method, "params": params}))
        while True:
            message = json.loads(self.socket.recv(timeout=TIMEOUT))
            if message.get("id") == command_id:
                if "error" in message:
                    raise AssertionError(f"{method}: {message['error']}")
                return message["result"]
            self._event(message)

    def _event(self, message: dict[str, Any]) -> None:
        if message.get("method") == "Network.requestWillBeSent":
            self.requested.append(message["params"]["request"]["url"])

    def evaluate(self, expression: str) -> Any:
        """The value of a JavaScript expression in the page (awaited if it is a promise)."""
        result = self.send(
            "Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True
        )
        if "exceptionDetails" in result:
            raise AssertionError(f"{expression}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def wait_for(self, expression: str, what: str) -> Any:
        """Polls `expression` until it is truthy; fails, saying `what` was awaited, past
        TIMEOUT."""
        deadline = time.monotonic() + TIMEOUT
        while not (value := self.evaluate(expression)):
            if time.monotonic() > deadline:
                text = self.evaluate("document.body ? document.body.innerText.slice(0, 2000) : ''")
                pytest.fail(f"timed out waiting for {what}; the page shows:\n{text}")
            time.sleep(0.2)
        return value

    def open(self, url: str) -> None:
        self.send("Page.navigate", url=url)


@contextmanager
def chromium(tmp_path: Path) -> Iterator[Page]:
    """Headless Chromium, resolving no host but 127.0.0.1, with one tab open."""
    command = [
        str(CHROMIUM),
        "--headless=new",
        "--no-sandbox",  # as root, in a container
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--no-first-run",
        "--no-default-browser-check",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-extensions",
        "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
        "--proxy-server=direct://",
        "--window-size=1280,1000",
        f"--user-data-dir={tmp_path / 'chromium-profile'}",
        "--remote-debugging-port=0",
        "about:blank",
    ]
    log_path = tmp_path / "chromium.log"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
    try:
        browser_url = _devtools_url(proc, log_path)
        port = re.search(r":(\d+)/", browser_url).group(1)  # type: ignore[union-attr]
        with connect(browser_url, max_size=None, open_timeout=TIMEOUT) as browser:
            target = _command(browser, "Target.createTarget", url="about:blank")["targetId"]
        with connect(
            f"ws://127.0.0.1:{port}/devtools/page/{target}", max_size=None, open_timeout=TIMEOUT
        ) as socket:
            page = Page(socket)
            page.send("Network.enable")
            page.send("Page.enable")
            page.send("Runtime.enable")
            page.send(
                "Emulation.setDeviceMetricsOverride",
                width=1280,
                height=1000,
                deviceScaleFactor=1,
                mobile=False,
            )
            yield page
    finally:
        stop(proc)


def _devtools_url(proc: subprocess.Popen, log_path: Path) -> str:
    """The browser's DevTools WebSocket URL, which it prints once it listens."""
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        found = re.search(r"DevTools listening on (ws://\S+)", log_path.read_text(errors="replace"))
        if found:
            return found.group(1)
        if proc.poll() is not None:
            break
        time.sleep(0.1)
    pytest.fail(f"Chromium did not start:\n{log_path.read_text(errors='replace')[-3000:]}")


def _command(socket: ClientConnection, method: str, **params: Any) -> dict[str, Any]:
    socket.send(json.dumps({"id": 1, "method": method, "params": params}))
    while True:
        message = json.loads(socket.recv(timeout=TIMEOUT))
        if message.get("id") == 1:
            return message["result"]


@pytest.fixture(scope="module")
def example_app(tmp_path_factory) -> Iterator[str]:
    """examples/items_app.py on the native server (`fasterapi run`); yields its base URL."""
    tmp = tmp_path_factory.mktemp("docs-browser")
    port = free_port()
    env = dict(os.environ, DATABASE_URL=f"sqlite+aiosqlite:///{tmp / 'items.db'}")
    command = [str(BIN / "fasterapi"), "run", "items_app:app", "--no-access-log"]
    command += ["--host", "127.0.0.1", "--port", str(port)]
    log = tmp / "server.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            command, cwd=ROOT / "examples", env=env, stdout=out, stderr=subprocess.STDOUT
        )
    try:
        wait_until_up(proc, f"http://127.0.0.1:{port}", log, path="/openapi.json")
        yield f"http://127.0.0.1:{port}"
    finally:
        stop(proc)


@pytest.fixture
def page(tmp_path) -> Iterator[Page]:
    with chromium(tmp_path) as page:
        yield page


#: The one URL off the machine a page may try: ReDoc's footer logo, hard-coded in its bundle
#: (an <img> dropped when it fails to load, as it does offline; docs/openapi.md says so).
REDOC_LOGO = "https://cdn.redoc.ly/redoc/logo-mini.svg"


def _assert_only_local(page: Page, base: str, allowed: tuple[str, ...] = ()) -> None:
    """Every request the tab made went to the app (data: and blob: URLs are the page's own),
    but for the `allowed` URLs."""
    assert page.requested, "the browser made no request at all"
    local = (base + "/", "data:", f"blob:{base}/")
    elsewhere = [url for url in page.requested if not url.startswith(local)]
    assert [url for url in elsewhere if url not in allowed] == [], (
        f"the page asked for more than the app: {elsewhere}"
    )


LISTED_OPERATIONS = """
[...document.querySelectorAll('.opblock')].map(block => [
    [...block.classList].find(c => c.startsWith('opblock-') && c !== 'opblock-summary')
        .slice('opblock-'.length),
    block.querySelector('.opblock-summary-path').getAttribute('data-path'),
])
"""


#: Swagger UI's row of the response that "Execute" got.
RESPONSE = ".live-responses-table tr.response"


def _response_body(page: Page, operation_id: str) -> str:
    """The body Swagger UI shows for the response an operation's "Execute" got."""
    cell = f"{_operation(operation_id)}.querySelector('{RESPONSE} .response-col_description pre')"
    return str(page.evaluate(f"{cell}.innerText"))


def _operation(operation_id: str) -> str:
    """A JavaScript expression for Swagger UI's block of an operation of the default tag."""
    return f"document.getElementById('operations-default-{operation_id}')"


def _try_it_out(page: Page, operation_id: str, body: str | None = None) -> str:
    """Opens an operation, presses "Try it out", fills the JSON body if given, presses
    "Execute" and returns the status code Swagger UI shows for the response."""
    block = _operation(operation_id)
    page.evaluate(f"{block}.querySelector('.opblock-summary-control').click()")
    page.wait_for(f"!!{block}.querySelector('.try-out__btn')", "the Try it out button")
    page.evaluate(f"{block}.querySelector('.try-out__btn').click()")
    page.wait_for(f"!!{block}.querySelector('.execute')", "the Execute button")
    if body is not None:
        page.wait_for(f"!!{block}.querySelector('textarea.body-param__text')", "the body editor")
        # a React textarea: set its value as the browser would, then tell React of the edit
        page.evaluate(
            f"""(() => {{
                const area = {block}.querySelector('textarea.body-param__text');
                const setter = Object.getOwnPropertyDescriptor(
                    HTMLTextAreaElement.prototype, 'value').set;
                setter.call(area, {json.dumps(body)});
                area.dispatchEvent(new Event('input', {{bubbles: true}}));
            }})()"""
        )
    page.evaluate(f"{block}.querySelector('.execute').click()")
    status = page.wait_for(
        f"""(() => {{
            const cell = {block}.querySelector('{RESPONSE} .response-col_status');
            return cell && cell.innerText.trim();
        }})()""",
        f"the response of {operation_id}",
    )
    return str(status)


def test_swagger_ui_lists_and_runs_operations_offline(example_app, page):
    page.open(f"{example_app}/docs")
    listed = page.wait_for(f"{LISTED_OPERATIONS}.length >= {len(OPERATIONS)}", "the operations")
    assert listed is True
    assert {tuple(op) for op in page.evaluate(LISTED_OPERATIONS)} == OPERATIONS
    assert page.evaluate("document.title") == "Items - Swagger UI"
    screenshot = os.environ.get("FASTERAPI_SCREENSHOT")
    if screenshot:
        time.sleep(0.5)  # let the fonts and icons settle
        shot = page.send("Page.captureScreenshot", format="png")
        Path(ROOT / screenshot).write_bytes(base64.b64decode(shot["data"]))

    assert _try_it_out(page, "list_items_items_get") == "200"
    body = _response_body(page, "list_items_items_get")
    assert json.loads(body) == []

    item = {"name": "hammer", "price": 9.5, "tags": ["tools"]}
    assert _try_it_out(page, "create_item_items_post", json.dumps(item)) == "201"
    body = _response_body(page, "create_item_items_post")
    assert {key: json.loads(body)[key] for key in item} == item
    _assert_only_local(page, example_app)
    assert any("/docs/static/swagger-ui-dist@" in url for url in page.requested)


def test_redoc_lists_operations_offline(example_app, page):
    page.open(f"{example_app}/redoc")
    sections = page.wait_for(
        """(() => {
            const found = document.querySelectorAll('[data-section-id^="operation/"]');
            return found.length && [...found].map(s => s.getAttribute('data-section-id'));
        })()""",
        "ReDoc's operations",
    )
    assert len(sections) == len(OPERATIONS)
    text = page.evaluate("document.body.innerText")
    for summary in ("List Items", "Create Item", "Get Item", "Delete Item"):
        assert summary in text
    _assert_only_local(page, example_app, allowed=(REDOC_LOGO,))
    assert any("/docs/static/redoc@" in url for url in page.requested)
