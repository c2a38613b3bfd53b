"""/docs and /redoc in a real browser, with no network beyond this machine: the example app
(examples/items_app.py on FasterAPI's native server, a SQLite file in a temporary directory)
opened in Debian's headless Chromium, driven over the DevTools protocol by a small client on
the `websockets` package. Swagger UI must list the operations and run "Try it out" on
`GET /items` and `POST /items`; ReDoc must list the operations; every request the browser
made must have gone to the app.

Swagger UI's "Authorize" runs a real OAuth2 authorization-code flow against
tests/apps/oauth_app.py, its own provider: the popup goes through the app's authorize route
to /docs/oauth2-redirect, which hands the code back to Swagger UI (window.opener); Swagger UI
gets the token from the app, and "Try it out" must send it. The same under /api, where the
app is mounted (root_path /api). The popup is followed with the protocol's Target events.

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
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.sync.client import ClientConnection, connect

from tests.support.servers import free_port, stop, wait_until_up

pytestmark = pytest.mark.fasterapi_only  # the example app's models are msgspec Structs

ROOT = Path(__file__).resolve().parent.parent
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
    the tab made (Network.requestWillBeSent), kept in `requested`. `browser` is the
    connection to the browser itself (a Page too, whose `events` tell of the targets: tabs
    and popups), `target_id` the tab's id there."""

    def __init__(
        self, socket: ClientConnection, browser: "Page | None" = None, target_id: str = ""
    ) -> None:
        self.socket = socket
        self.ids = itertools.count(1)
        self.requested: list[str] = []
        self.events: list[dict[str, Any]] = []
        self.browser = browser
        self.target_id = target_id

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
        self.events.append(message)
        if message.get("method") == "Network.requestWillBeSent":
            self.requested.append(message["params"]["request"]["url"])

    def wait_event(self, what: str, method: str, test: Callable[[dict], bool]) -> dict[str, Any]:
        """The params of the first event `method` (since the connection opened) for which
        `test(params)` holds; reads events until one comes, or fails, saying `what` was
        awaited, past TIMEOUT."""
        deadline = time.monotonic() + TIMEOUT
        seen = 0
        while True:
            for event in self.events[seen:]:
                if event.get("method") == method and test(event["params"]):
                    return event["params"]
            seen = len(self.events)
            if (left := deadline - time.monotonic()) <= 0:
                pytest.fail(f"timed out waiting for {what}; events: {self.events[-20:]}")
            try:
                self._event(json.loads(self.socket.recv(timeout=left)))
            except TimeoutError:
                pass

    def evaluate(self, expression: str, user_gesture: bool = False) -> Any:
        """The value of a JavaScript expression in the page (awaited if it is a promise);
        `user_gesture` runs it as if the user had clicked (so that it may open a popup)."""
        result = self.send(
            "Runtime.evaluate",
            expression=expression,
            returnByValue=True,
            awaitPromise=True,
            userGesture=user_gesture,
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
        with connect(browser_url, max_size=None, open_timeout=TIMEOUT) as browser_socket:
            browser = Page(browser_socket)
            target = browser.send("Target.createTarget", url="about:blank")["targetId"]
            page_url = f"ws://127.0.0.1:{port}/devtools/page/{target}"
            with connect(page_url, max_size=None, open_timeout=TIMEOUT) as socket:
                page = Page(socket, browser, target)
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


@contextmanager
def _serve(app: str, tmp: Path, cwd: Path, env: dict[str, str] | None = None) -> Iterator[str]:
    """The app `app` (an import string, found from `cwd`) on the native server
    (`python -m FasterAPI run`); yields its base URL once /openapi.json answers."""
    port = free_port()
    command = [sys.executable, "-m", "FasterAPI", "run", app, "--no-access-log"]
    command += ["--host", "127.0.0.1", "--port", str(port)]
    log = tmp / "server.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(command, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        wait_until_up(proc, f"http://127.0.0.1:{port}", log, path="/openapi.json")
        yield f"http://127.0.0.1:{port}"
    finally:
        stop(proc)


@pytest.fixture(scope="module")
def example_app(tmp_path_factory) -> Iterator[str]:
    """examples/items_app.py on the native server; yields its base URL."""
    tmp = tmp_path_factory.mktemp("docs-browser")
    env = dict(os.environ, DATABASE_URL=f"sqlite+aiosqlite:///{tmp / 'items.db'}")
    with _serve("items_app:app", tmp, ROOT / "examples", env) as base:
        yield base


@pytest.fixture(scope="module")
def oauth_app(tmp_path_factory) -> Iterator[str]:
    """tests/apps/oauth_app.py (its own OAuth2 provider, again under /api) on the native
    server; yields its base URL."""
    with _serve("tests.apps.oauth_app:app", tmp_path_factory.mktemp("oauth-app"), ROOT) as base:
        yield base


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


#: The client_id typed into Swagger UI's "Available authorizations" dialog.
CLIENT_ID = "swagger-ui-test"
#: The dialog of tests/apps/oauth_app.py's scheme, and its flow's fields in it.
DIALOG = "document.querySelector('.modal-ux')"
SCOPE_BOX = "items:read-authorizationCode-checkbox-OAuth2AuthorizationCodeBearer"


def _type_into(page: Page, element: str, text: str) -> None:
    """Sets a React input's value as typing would, and tells React of the edit."""
    page.evaluate(
        f"""(() => {{
            const input = {element};
            const setter = Object.getOwnPropertyDescriptor(
                HTMLInputElement.prototype, 'value').set;
            setter.call(input, {json.dumps(text)});
            input.dispatchEvent(new Event('input', {{bubbles: true}}));
        }})()"""
    )


def _popup_urls(browser: Page, opened_by: str) -> list[str]:
    """Follows the popup that the tab `opened_by` opens (the browser's Target events, on
    once Target.setDiscoverTargets is sent) until it closes; returns the URLs it showed, in
    order (a redirect's first URL is not shown)."""
    created = browser.wait_event(
        "the popup", "Target.targetCreated", lambda p: p["targetInfo"].get("openerId") == opened_by
    )
    popup = created["targetInfo"]["targetId"]
    browser.wait_event(
        "the popup to close", "Target.targetDestroyed", lambda p: p["targetId"] == popup
    )
    urls = [
        event["params"]["targetInfo"]["url"]
        for event in browser.events
        if event.get("method") in ("Target.targetCreated", "Target.targetInfoChanged")
        and event["params"]["targetInfo"]["targetId"] == popup
    ]
    urls = [url for url in urls if url not in ("", "about:blank")]  # before it navigates
    return [url for i, url in enumerate(urls) if i == 0 or url != urls[i - 1]]


@pytest.mark.parametrize("prefix", ["", "/api"], ids=["root", "under-root-path"])
def test_swagger_ui_oauth2_authorization_code_flow(oauth_app, page, prefix):
    """A real OAuth2 authorization-code flow, all on this machine: "Authorize" in Swagger
    UI opens a popup at the app's authorize route, which sends it on to
    /docs/oauth2-redirect with a code and Swagger UI's state; that page hands them to the
    Swagger UI window that opened it (window.opener) and closes; Swagger UI exchanges the
    code at the token route, and "Try it out" then sends `Authorization: Bearer <token>`.
    Under /api (a mounted app, root_path /api) every URL of the flow is under /api."""
    base = oauth_app + prefix
    page.open(f"{base}/docs")
    button = "document.querySelector('.auth-wrapper .btn.authorize')"
    page.wait_for(f"!!{button}", "the Authorize button")
    page.evaluate(f"{button}.click()")
    client_id = f"{DIALOG}.querySelector('#client_id_authorizationCode')"
    page.wait_for(f"!!{client_id}", "the client_id field of the Authorize dialog")
    _type_into(page, client_id, CLIENT_ID)
    page.evaluate(f"document.getElementById({json.dumps(SCOPE_BOX)}).click()")
    assert page.evaluate(f"document.getElementById({json.dumps(SCOPE_BOX)}).checked") is True

    assert page.browser is not None
    page.browser.send("Target.setDiscoverTargets", discover=True)
    submit = f"{DIALOG}.querySelector('.auth-btn-wrapper .btn.authorize')"
    page.evaluate(f"{submit}.click()", user_gesture=True)  # a click may open a popup
    urls = _popup_urls(page.browser, page.target_id)

    # the dialog says the client is authorized, and has no error (a state that differs
    # from the one sent would show a warning there)
    page.wait_for(
        f"[...{DIALOG}.querySelectorAll('button')].some(b => b.innerText.trim() === 'Logout')",
        "Swagger UI to show the client authorized",
    )
    assert page.evaluate(f"[...{DIALOG}.querySelectorAll('.errors')].length") == 0
    page.evaluate(f"{DIALOG}.querySelector('.btn-done').click()")

    authorize, token = httpx.get(f"{base}/oauth/issued", trust_env=False).json()
    redirect_uri = f"{base}/docs/oauth2-redirect"
    assert authorize["step"] == "authorize"
    assert (authorize["client_id"], authorize["scope"]) == (CLIENT_ID, "items:read")
    assert authorize["redirect_uri"] == redirect_uri
    assert token["step"] == "token"
    assert (token["client_id"], token["code"]) == (CLIENT_ID, authorize["code"])
    # the popup ended at the redirect page, sent there by the authorize route (the only
    # giver of codes) with the code and the state Swagger UI sent
    assert len(urls) == 1 and urls[0].startswith(f"{redirect_uri}?"), urls
    query = dict(httpx.URL(urls[0]).params)
    assert query == {"code": authorize["code"], "state": authorize["state"]}

    assert _try_it_out(page, "me_me_get") == "200"
    assert json.loads(_response_body(page, "me_me_get")) == {
        "authorization": f"Bearer {token['access_token']}",
        "client_id": CLIENT_ID,
    }
    assert f"{base}/oauth/token" in page.requested
    _assert_only_local(page, oauth_app)
