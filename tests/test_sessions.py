"""SessionMiddleware: the session in a signed cookie (itsdangerous), as Starlette's, through
both doors (on the native server, an app with it goes through the middleware stack)."""

import time

import pytest
from FasterAPI import FastAPI, Request
from FasterAPI.middleware.sessions import SessionMiddleware

pytestmark = pytest.mark.fasterapi_only  # (Starlette's module, which FastAPI does not re-export)


def make_app(**options) -> FastAPI:
    app = FastAPI()
    app.add_middleware(SessionMiddleware, secret_key="a-test-secret", **options)

    @app.post("/login/{name}")
    async def login(name: str, request: Request):
        request.session["user"] = name
        request.session["visits"] = request.session.get("visits", 0) + 1
        return {"ok": True}

    @app.get("/me")
    async def me(request: Request):
        return dict(request.session)

    @app.post("/logout")
    async def logout(request: Request):
        request.session.clear()
        return {"ok": True}

    return app


def sent_cookie(response, name: str = "session") -> str:
    """The value the response's Set-Cookie gives cookie `name` (the tests send it back by
    hand: the native door's client talks to 127.0.0.1 as Host "testserver")."""
    header = response.headers["set-cookie"]
    assert header.startswith(f"{name}=")
    return header.split(";")[0].split("=", 1)[1]


def test_the_session_round_trips_in_a_signed_cookie(make_client):
    client = make_client(make_app())
    assert client.get("/me").json() == {}
    login = client.post("/login/alice")
    cookie = login.headers["set-cookie"]
    assert cookie.startswith("session=") and "path=/" in cookie and "Max-Age=1209600" in cookie
    assert "httponly" in cookie and "samesite=lax" in cookie
    value = sent_cookie(login)
    value = sent_cookie(client.post("/login/alice", headers={"cookie": f"session={value}"}))
    with_session = {"cookie": f"session={value}"}
    assert client.get("/me", headers=with_session).json() == {"user": "alice", "visits": 2}
    read_only = client.get("/me", headers=with_session)  # looked at, not changed: no cookie
    assert "set-cookie" not in read_only.headers and read_only.headers["vary"] == "Cookie"
    # another cookie that does not parse does not lose the session (as Starlette reads them)
    odd = {"cookie": f"a=b c; session={value}; q=x y"}
    assert client.get("/me", headers=odd).json() == {"user": "alice", "visits": 2}
    # a tampered cookie is no session at all
    tampered = value[:-3] + ("AAA" if value[-3:] != "AAA" else "BBB")
    assert client.get("/me", headers={"cookie": f"session={tampered}"}).json() == {}
    logout = client.post("/logout", headers=with_session)
    assert logout.headers["set-cookie"].startswith("session=null; path=/; expires=Thu, 01 Jan")
    assert "set-cookie" not in client.get("/me").headers  # no session, nothing to clear


def test_options_and_an_expired_cookie(make_client):
    app = make_app(session_cookie="sid", max_age=1, https_only=True, same_site="strict")
    client = make_client(app)
    login = client.post("/login/bob")
    cookie = login.headers["set-cookie"]
    assert "secure" in cookie and "samesite=strict" in cookie and "Max-Age=1;" in cookie
    value = sent_cookie(login, "sid")
    assert client.get("/me", headers={"cookie": f"sid={value}"}).json()["user"] == "bob"
    time.sleep(2.1)  # (itsdangerous's timestamps count whole seconds)
    assert client.get("/me", headers={"cookie": f"sid={value}"}).json() == {}


def test_request_session_without_the_middleware_says_so():
    request = Request({"type": "http", "headers": []})
    with pytest.raises(AssertionError, match="SessionMiddleware must be installed"):
        request.session  # noqa: B018
    both = SessionMiddleware(None, "key", max_age=0, partitioned=True)
    assert both.security_flags == "httponly; samesite=lax; partitioned"
