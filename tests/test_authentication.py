"""Starlette's authentication: AuthenticationMiddleware puts the backend's user and
credentials on the connection (`request.user`, `request.auth`), and `requires` guards
endpoints by their scopes, HTTP and WebSocket, through both doors (on the native server, an
app with the middleware goes through the middleware stack)."""

import base64
import binascii

import msgspec
import pytest
from FasterAPI import Depends, FastAPI, HTTPException, Request, Security, WebSocket
from FasterAPI.authentication import (
    AuthCredentials,
    AuthenticationBackend,
    AuthenticationError,
    BaseUser,
    SimpleUser,
    UnauthenticatedUser,
    has_required_scope,
    requires,
)
from FasterAPI.middleware.authentication import AuthenticationMiddleware
from FasterAPI.responses import JSONResponse
from FasterAPI.security import HTTPBearer, SecurityScopes
from FasterAPI.server.native import route_paths
from FasterAPI.websockets import WebSocketDisconnect

from tests.support.doors import open_client

pytestmark = pytest.mark.fasterapi_only  # (Starlette's module, which FastAPI does not re-export)

#: token -> (user name, scopes)
TOKENS = {
    "alice-token": ("alice", ["authenticated", "admin"]),
    "bob-token": ("bob", ["authenticated"]),
}
ALICE = {"authorization": "Bearer alice-token"}
BOB = {"authorization": "Bearer bob-token"}
WRONG = {"authorization": "Bearer nobody"}


class TokenBackend(AuthenticationBackend):
    """A bearer token from the Authorization header (or, for WebSockets, `?token=`)."""

    async def authenticate(self, conn):
        header = conn.headers.get("authorization")
        token = conn.query_params.get("token")
        if header is not None:
            scheme, _, token = header.partition(" ")
            if scheme.lower() != "bearer":
                return None
        if token is None:
            return None
        if token not in TOKENS:
            raise AuthenticationError("Invalid token")
        name, scopes = TOKENS[token]
        return AuthCredentials(scopes), SimpleUser(name)


class BasicAuthBackend(AuthenticationBackend):
    """HTTP Basic (the docs' example): any user whose password is their name reversed."""

    async def authenticate(self, conn):
        if "authorization" not in conn.headers:
            return None
        scheme, _, credentials = conn.headers["authorization"].partition(" ")
        if scheme.lower() != "basic":
            return None
        try:
            decoded = base64.b64decode(credentials, validate=True).decode("ascii")
        except (ValueError, UnicodeDecodeError, binascii.Error) as exc:
            raise AuthenticationError("Invalid basic auth credentials") from exc
        username, _, password = decoded.partition(":")
        if password != username[::-1]:
            raise AuthenticationError("Wrong password")
        return AuthCredentials(["authenticated"]), SimpleUser(username)


class Item(msgspec.Struct):
    name: str
    price: float


def who(request) -> dict:
    return {
        "authenticated": request.user.is_authenticated,
        "name": request.user.display_name,
        "scopes": request.auth.scopes,
    }


def make_app(backend=None, **options) -> FastAPI:
    app = FastAPI()
    app.add_middleware(AuthenticationMiddleware, backend=backend or TokenBackend(), **options)

    @app.get("/me")
    async def me(request: Request):
        return who(request)

    @app.get("/me-sync")
    def me_sync(request: Request):
        return who(request)

    @app.get("/private")
    @requires("authenticated")
    async def private(request: Request):
        return {"hello": request.user.display_name}

    @app.get("/private-sync")
    @requires("authenticated")
    def private_sync(request: Request):
        return {"hello": request.user.display_name}

    @app.get("/admin")
    @requires(["authenticated", "admin"], status_code=404)
    async def admin(request: Request):
        return {"admin": request.user.display_name}

    @app.get("/dashboard")
    @requires("authenticated", redirect="login")
    async def dashboard(request: Request):
        return {"dashboard": request.user.display_name}

    @app.get("/dashboard-sync")
    @requires("authenticated", redirect="login")
    def dashboard_sync(request: Request):
        return {"dashboard": request.user.display_name}

    @app.get("/login")
    async def login(request: Request):
        return {"login": True, "next": request.query_params.get("next")}

    @app.post("/items/{item_id}")
    @requires("authenticated")
    async def update_item(item_id: int, item: Item, request: Request, q: str | None = None):
        return {"id": item_id, "item": item, "q": q, "by": request.user.display_name}

    @app.put("/items/{item_id}")
    @requires("authenticated")
    def replace_item(request: Request, item_id: int, item: Item, q: int = 0):
        return {"id": item_id, "name": item.name, "q": q, "by": request.user.display_name}

    @app.websocket("/ws")
    async def ws(websocket: WebSocket):
        await websocket.accept()
        await websocket.send_json(who(websocket))
        await websocket.close()

    @app.websocket("/ws-private")
    @requires("authenticated")
    async def ws_private(websocket: WebSocket):
        await websocket.accept()
        await websocket.send_text(f"hello {websocket.user.display_name}")
        await websocket.close()

    return app


def test_the_user_and_the_credentials_of_a_request(make_client):
    client = make_client(make_app())
    for path in ("/me", "/me-sync"):
        assert client.get(path).json() == {"authenticated": False, "name": "", "scopes": []}
        assert client.get(path, headers=ALICE).json() == {
            "authenticated": True,
            "name": "alice",
            "scopes": ["authenticated", "admin"],
        }
        assert client.get(path, headers=BOB).json()["scopes"] == ["authenticated"]
        # a header of another scheme: the backend gives None, so anonymous
        basic = {"authorization": "Basic YTpi"}
        assert client.get(path, headers=basic).json()["authenticated"] is False


def test_requires_refuses_without_the_scopes(make_client):
    client = make_client(make_app())
    for path in ("/private", "/private-sync"):
        refused = client.get(path)
        assert refused.status_code == 403 and refused.json() == {"detail": "Forbidden"}
        assert client.get(path, headers=BOB).json() == {"hello": "bob"}
    # every scope is needed; status_code= is what a refusal answers
    assert client.get("/admin").status_code == 404
    assert client.get("/admin", headers=BOB).status_code == 404
    assert client.get("/admin", headers=ALICE).json() == {"admin": "alice"}


def test_requires_redirects_to_the_named_route_with_next(make_client):
    client = make_client(make_app())
    for path in ("/dashboard", "/dashboard-sync"):
        redirect = client.get(f"{path}?tab=1", follow_redirects=False)
        assert redirect.status_code == 303
        assert redirect.headers["location"] == (
            f"http://testserver/login?next=http%3A%2F%2Ftestserver%2F{path[1:]}%3Ftab%3D1"
        )
        followed = client.get(path)
        assert followed.json() == {"login": True, "next": f"http://testserver{path}"}
        assert client.get(path, headers=ALICE).json() == {"dashboard": "alice"}


def test_a_backend_error_is_a_400_with_its_message(make_client):
    client = make_client(make_app())
    response = client.get("/me", headers=WRONG)
    assert response.status_code == 400 and response.text == "Invalid token"
    assert response.headers["content-type"].startswith("text/plain")
    # the route never ran: a route with requires too
    assert client.get("/private", headers=WRONG).text == "Invalid token"
    bad_item = client.post("/items/1", headers=WRONG, json={"name": "x", "price": 1})
    assert bad_item.status_code == 400


def test_on_error_answers_a_backend_error(make_client):
    seen = []

    def on_error(conn, exc):
        seen.append(conn.url.path)
        return JSONResponse({"error": str(exc)}, 401, headers={"www-authenticate": "Bearer"})

    client = make_client(make_app(on_error=on_error))
    response = client.get("/me", headers=WRONG)
    assert response.status_code == 401 and response.json() == {"error": "Invalid token"}
    assert response.headers["www-authenticate"] == "Bearer"
    assert client.get("/me", headers=ALICE).json()["name"] == "alice"
    assert seen == ["/me"]


def test_another_error_from_the_backend_is_a_500(make_client):
    class Broken(AuthenticationBackend):
        async def authenticate(self, conn):
            raise RuntimeError("the user database is down")

    client = make_client(make_app(Broken()), raise_server_exceptions=False)
    assert client.get("/me").status_code == 500


def test_basic_auth_backend(make_client):
    client = make_client(make_app(BasicAuthBackend()))

    def basic(user: str, password: str) -> dict:
        token = base64.b64encode(f"{user}:{password}".encode()).decode()
        return {"authorization": f"Basic {token}"}

    assert client.get("/private", headers=basic("carol", "lorac")).json() == {"hello": "carol"}
    wrong = client.get("/private", headers=basic("carol", "carol"))
    assert (wrong.status_code, wrong.text) == (400, "Wrong password")
    garbled = client.get("/me", headers={"authorization": "Basic %%%"})
    assert (garbled.status_code, garbled.text) == (400, "Invalid basic auth credentials")
    assert client.get("/private").status_code == 403


def test_websockets_are_authenticated(make_client, door):
    client = make_client(make_app())
    with client.websocket_connect("/ws") as ws:
        assert ws.receive_json() == {"authenticated": False, "name": "", "scopes": []}
    with client.websocket_connect("/ws", headers=ALICE) as ws:
        assert ws.receive_json()["name"] == "alice"
    with client.websocket_connect("/ws?token=bob-token") as ws:
        assert ws.receive_json() == {
            "authenticated": True,
            "name": "bob",
            "scopes": ["authenticated"],
        }
    with client.websocket_connect("/ws-private", headers=BOB) as ws:
        assert ws.receive_text() == "hello bob"


def test_websockets_without_the_scopes_or_with_a_backend_error_are_refused(make_client, door):
    errors = []

    def on_error(conn, exc):  # called for a WebSocket too; its response is dropped
        errors.append((conn.scope["type"], str(exc)))
        return JSONResponse({"error": str(exc)}, 401)

    client = make_client(make_app(on_error=on_error))
    # closed before accept: TestClient sees the close (1000); a client of the native
    # server sees the handshake refused with 403 (1006), as under uvicorn
    code = 1000 if door == "asgi" else 1006
    for path, headers in (("/ws-private", {}), ("/ws", WRONG), ("/ws-private", WRONG)):
        with pytest.raises(WebSocketDisconnect) as refused:
            with client.websocket_connect(path, headers=headers):
                pass  # pragma: no cover
        assert refused.value.code == code
    assert errors == [("websocket", "Invalid token")] * 2


def test_requires_keeps_the_route_parameters(make_client):
    client = make_client(make_app())
    item = {"name": "hammer", "price": 9.5}
    assert client.post("/items/3?q=x", json=item).status_code == 403
    created = client.post("/items/3?q=x", json=item, headers=BOB)
    assert created.json() == {"id": 3, "item": item, "q": "x", "by": "bob"}
    replaced = client.put("/items/4?q=7", json=item, headers=ALICE)
    assert replaced.json() == {"id": 4, "name": "hammer", "q": 7, "by": "alice"}
    # still validated as the endpoint's own parameters (the middleware ran first)
    invalid = client.post("/items/abc", json=item, headers=BOB)
    assert invalid.status_code == 422
    assert invalid.json()["detail"][0]["loc"] == ["path", "item_id"]
    missing = client.put("/items/4", json={"name": "hammer"}, headers=BOB)
    assert missing.status_code == 422


def test_requires_keeps_the_signature_in_the_openapi_document():
    app = make_app()
    operation = app.openapi()["paths"]["/items/{item_id}"]["post"]
    assert [p["name"] for p in operation["parameters"]] == ["item_id", "q"]
    assert "requestBody" in operation
    assert app.openapi()["paths"]["/private"]["get"].get("parameters") is None


def test_with_depends_and_security(make_client):
    app = FastAPI()
    app.add_middleware(AuthenticationMiddleware, backend=TokenBackend())
    bearer = HTTPBearer(auto_error=False)  # (documents the scheme; the backend checks it)

    def current_user(request: Request) -> BaseUser:
        if not request.user.is_authenticated:
            raise HTTPException(401, "Not authenticated", headers={"WWW-Authenticate": "Bearer"})
        return request.user

    def scoped_user(
        security_scopes: SecurityScopes, request: Request, _token=Depends(bearer)
    ) -> BaseUser:
        if not has_required_scope(request, security_scopes.scopes):
            raise HTTPException(403, "Not enough permissions")
        return current_user(request)

    @app.get("/profile")
    async def profile(user: BaseUser = Depends(current_user)):
        return {"name": user.display_name}

    @app.delete("/things/{thing}")
    async def delete(thing: str, user: BaseUser = Security(scoped_user, scopes=["admin"])):
        return {"deleted": thing, "by": user.display_name}

    client = make_client(app)
    assert client.get("/profile").status_code == 401
    assert client.get("/profile", headers=BOB).json() == {"name": "bob"}
    assert client.delete("/things/x", headers=BOB).status_code == 403
    assert client.delete("/things/x", headers=ALICE).json() == {"deleted": "x", "by": "alice"}
    security = app.openapi()["paths"]["/things/{thing}"]["delete"]["security"]
    assert security == [{"HTTPBearer": ["admin"]}]


def test_after_session_middleware(make_client):
    """A backend reading the session: AuthenticationMiddleware inside SessionMiddleware (a
    pure-ASGI middleware, so every request takes the middleware stack)."""
    pytest.importorskip("itsdangerous")
    from FasterAPI.middleware.sessions import SessionMiddleware

    class SessionBackend(AuthenticationBackend):
        async def authenticate(self, conn):
            name = conn.session.get("user")
            return None if name is None else (AuthCredentials(["authenticated"]), SimpleUser(name))

    app = FastAPI()
    app.add_middleware(AuthenticationMiddleware, backend=SessionBackend())
    app.add_middleware(SessionMiddleware, secret_key="a-test-secret")

    @app.post("/login/{name}")
    async def login(name: str, request: Request):
        request.session["user"] = name
        return {"ok": True}

    @app.get("/private")
    @requires("authenticated")
    async def private(request: Request):
        return {"hello": request.user.display_name}

    client = make_client(app)
    assert client.get("/private").status_code == 403
    cookie = client.post("/login/dave").headers["set-cookie"].split(";")[0]
    assert client.get("/private", headers={"cookie": cookie}).json() == {"hello": "dave"}


def test_starlettes_own_requires_on_a_route():
    """`starlette.authentication.requires` (what an unchanged FastAPI app imports) works on a
    FasterAPI route, reading `request.auth` as on Starlette's Request."""
    starlette_auth = pytest.importorskip("starlette.authentication")
    from FasterAPI.testclient import TestClient

    app = FastAPI()
    app.add_middleware(AuthenticationMiddleware, backend=TokenBackend())

    @app.get("/private")
    @starlette_auth.requires("admin")
    async def private(request: Request):
        return {"hello": request.user.display_name}

    with TestClient(app) as client:
        assert client.get("/private", headers=BOB).status_code == 403
        assert client.get("/private", headers=ALICE).json() == {"hello": "alice"}


def test_the_middleware_is_pure_asgi_as_starlettes():
    """On the native server the app's requests take the middleware stack (the chain of http
    middleware was measured dearer: docs/authentication.md)."""
    app = make_app()
    me = next(path for path in route_paths(app) if path.path == "/me")
    assert not me.native and "AuthenticationMiddleware" in me.reasons[0]
    inner = object()
    middleware = AuthenticationMiddleware(inner, TokenBackend())
    assert middleware.app is inner and middleware.on_error is middleware.default_on_error


def test_request_user_without_the_middleware_says_so(make_client):
    request = Request({"type": "http", "headers": []})
    with pytest.raises(AssertionError, match="must be installed to access request.user"):
        request.user  # noqa: B018
    with pytest.raises(AssertionError, match="must be installed to access request.auth"):
        request.auth  # noqa: B018
    app = FastAPI()

    @app.get("/me")
    async def me(request: Request):
        try:
            return {"user": request.user}
        except AssertionError as exc:
            return {"error": str(exc)}

    client = make_client(app)
    assert client.get("/me").json() == {
        "error": "AuthenticationMiddleware must be installed to access request.user"
    }


def test_the_users_and_the_decorator():
    assert SimpleUser("eve").is_authenticated and SimpleUser("eve").display_name == "eve"
    assert not UnauthenticatedUser().is_authenticated
    assert UnauthenticatedUser().display_name == ""
    assert AuthCredentials().scopes == [] and AuthCredentials(("a", "b")).scopes == ["a", "b"]
    with pytest.raises(NotImplementedError):
        BaseUser().identity  # noqa: B018
    with pytest.raises(Exception, match='No "request" or "websocket" argument'):

        @requires("authenticated")
        async def nothing(item_id: int):
            pass  # pragma: no cover

    # called directly, the decorated endpoint finds its request by position too
    @requires("x")
    def positional(request):
        return "ran"

    scope = {"type": "http", "headers": [], "auth": AuthCredentials(["x"])}
    assert positional(Request(scope)) == "ran"
    assert positional.__wrapped__.__name__ == "positional"
    with pytest.raises(HTTPException) as refused:
        positional(Request({**scope, "auth": AuthCredentials()}))
    assert refused.value.status_code == 403


class NoAuthenticate(AuthenticationBackend):
    """Subclasses the base but never defines authenticate."""


class SyncBackend(AuthenticationBackend):
    def authenticate(self, conn):  # type: ignore[override]  # (not async: a common slip)
        return AuthCredentials(["authenticated"]), SimpleUser("sync")


class AwaitableBackend:
    """Not an AuthenticationBackend, and `authenticate` a plain function returning an
    awaitable: Starlette only awaits what it returns, and so does the middleware."""

    def authenticate(self, conn):
        return TokenBackend().authenticate(conn)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (
            {"backend": TokenBackend},
            r"backend must be an instance, .* pass backend=TokenBackend\(\)",
        ),
        ({"backend": None}, "backend must be an AuthenticationBackend"),
        ({"backend": object()}, "backend must be an AuthenticationBackend"),
        ({"backend": NoAuthenticate()}, r"does not define authenticate\(conn\)"),
        ({"backend": TokenBackend(), "on_error": "x"}, r"on_error must be a function of \(conn"),
        ({"backend": TokenBackend(), "on_error": lambda exc: None}, "on_error must be a function"),
    ],
)
def test_bad_options_are_refused_when_made(door, options, message):
    """Each of these made every request a 500 (or every refusal, for on_error): a TypeError
    when the middleware is made, so TestClient raises it and the native server does not start."""
    with pytest.raises(TypeError, match=message):
        AuthenticationMiddleware(None, **options)
    app = FastAPI()
    app.add_middleware(AuthenticationMiddleware, **options)

    @app.get("/me")
    async def me(request: Request):
        return who(request)

    with pytest.raises((TypeError, pytest.fail.Exception), match=message):
        with open_client(app, door) as client:
            client.get("/me")


def test_a_backend_as_starlette_takes_it(make_client):
    """Any object with an `authenticate` whose result is awaited: a plain function returning
    a coroutine, a class with a static or class method."""

    class Static:
        @staticmethod
        async def authenticate(conn):
            return AuthCredentials(["authenticated"]), SimpleUser("static")

    for backend, name in [(AwaitableBackend(), "alice"), (Static, "static")]:
        client = make_client(make_app(backend))
        assert client.get("/me", headers=ALICE).json()["name"] == name
    client = make_client(make_app(AwaitableBackend()))
    assert client.get("/me", headers=WRONG).status_code == 400


def test_a_backend_that_is_not_async_says_so(door):
    """A non-async `authenticate` cannot be told from one returning an awaitable until it is
    called: its request is the app's 500, whose error (TestClient raises it) says why."""
    with open_client(make_app(SyncBackend()), door) as client:
        if door == "asgi":
            with pytest.raises(TypeError, match=r"SyncBackend.authenticate must be async"):
                client.get("/me")
        else:
            assert client.get("/me").status_code == 500
