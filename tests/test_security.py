"""Security schemes (FasterAPI.security): what each dependency gives and how it refuses, the
same answers as FastAPI's for the same requests (observed with FastAPI 0.165.0), through both
doors; and the OpenAPI document, the same as FastAPI's for the same app
(tests/apps/security_ref.py)."""

import base64
import json
import socket
from pathlib import Path

import FasterAPI
import pytest
from FasterAPI.security import HTTPBearer, OAuth2PasswordBearer
from FasterAPI.security.utils import get_authorization_scheme_param

from tests.apps.security_ref import build
from tests.support.doors import open_client
from tests.support.raw_http import Reader, request

REFERENCE = Path(__file__).parent / "apps" / "security_ref_fastapi.json"


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


NOT_AUTHENTICATED = {"detail": "Not authenticated"}

# (url, request headers, status, body, WWW-Authenticate), as FastAPI answers them.
CASES = [
    ("/me", {}, 401, NOT_AUTHENTICATED, "Bearer"),
    (
        "/me",
        {"Authorization": "Bearer tok"},
        200,
        {"token": "tok", "scopes": ["items", "me"]},
        None,
    ),
    ("/me", {"Authorization": "Basic tok"}, 401, NOT_AUTHENTICATED, "Bearer"),
    ("/me", {"Authorization": "Bearer"}, 200, {"token": "", "scopes": ["items", "me"]}, None),
    ("/basic", {}, 401, NOT_AUTHENTICATED, 'Basic realm="shop"'),
    (
        "/basic",
        {"Authorization": "Basic " + b64("ann:pw:x")},
        200,
        {"username": "ann", "password": "pw:x"},
        None,
    ),
    (
        "/basic",
        {"Authorization": "Basic " + b64("nocolon")},
        401,
        NOT_AUTHENTICATED,
        'Basic realm="shop"',
    ),
    ("/basic", {"Authorization": "Basic !!!"}, 401, NOT_AUTHENTICATED, 'Basic realm="shop"'),
    ("/basic", {"Authorization": "Bearer x"}, 401, NOT_AUTHENTICATED, 'Basic realm="shop"'),
    ("/basic", {"Authorization": "basic " + b64(":")}, 200, {"username": "", "password": ""}, None),
    ("/bearer", {}, 200, {"anonymous": True}, None),
    (
        "/bearer",
        {"Authorization": "Bearer abc"},
        200,
        {"scheme": "Bearer", "credentials": "abc"},
        None,
    ),
    ("/bearer", {"Authorization": "Basic abc"}, 200, {"anonymous": True}, None),
    ("/keys", {}, 401, NOT_AUTHENTICATED, "APIKey"),
    ("/keys", {"X-API-Key": "h"}, 401, NOT_AUTHENTICATED, "APIKey"),
    (
        "/keys",
        {"X-API-Key": "h", "Cookie": "session=c"},
        200,
        {"header": "h", "query": None, "cookie": "c"},
        None,
    ),
    (
        "/keys?api_key=q",
        {"x-api-key": "h", "Cookie": "session=c"},
        200,
        {"header": "h", "query": "q", "cookie": "c"},
        None,
    ),
    (
        "/keys?api_key=",
        {"X-API-Key": "h", "Cookie": "session=c"},
        200,
        {"header": "h", "query": None, "cookie": "c"},
        None,
    ),
    ("/openid", {}, 401, NOT_AUTHENTICATED, "Bearer"),
    ("/openid", {"Authorization": "anything goes"}, 200, {"authorization": "anything goes"}, None),
    ("/code", {}, 401, NOT_AUTHENTICATED, "Bearer"),
    ("/code", {"Authorization": "Bearer c"}, 200, {"token": "c"}, None),
    ("/digest", {}, 401, NOT_AUTHENTICATED, "Digest"),
    ("/digest", {"Authorization": "Digest abc"}, 200, {"credentials": "abc"}, None),
    ("/digest", {"Authorization": "Bearer abc"}, 401, NOT_AUTHENTICATED, "Digest"),
    ("/admin/stats", {"Authorization": "Bearer t"}, 401, NOT_AUTHENTICATED, "APIKey"),
    (
        "/admin/stats",
        {"Authorization": "Bearer t", "X-API-Key": "k"},
        200,
        {"token": "t", "scopes": ["items"]},
        None,
    ),
]

#: Cases whose header values httpx will not send (h11 refuses a value that ends in whitespace):
#: through TestClient on the ASGI door, over a raw socket on the native one.
RAW_CASES = [
    (
        "/me",
        {"Authorization": "bearer  tok2 "},
        200,
        {"token": "tok2", "scopes": ["items", "me"]},
        None,
    ),
    ("/bearer", {"Authorization": "Bearer "}, 200, {"anonymous": True}, None),
]


# The password flow's login forms: (url, form fields, status, body), as FastAPI answers them.
LOGIN_CASES = [
    (
        "/token",
        {"username": "ann", "password": "pw"},
        200,
        {"access_token": "ann:pw", "scopes": [], "grant_type": None, "client": [None, None]},
    ),
    (
        "/token",
        {
            "username": "ann",
            "password": "pw",
            "scope": "me  items",
            "grant_type": "password",
            "client_id": "c",
            "client_secret": "s",
        },
        200,
        {
            "access_token": "ann:pw",
            "scopes": ["me", "items"],
            "grant_type": "password",
            "client": ["c", "s"],
        },
    ),
    (
        "/token",
        {"username": "ann"},
        422,
        {
            "detail": [
                {
                    "type": "missing",
                    "loc": ["body", "password"],
                    "msg": "Field required",
                    "input": None,
                }
            ]
        },
    ),
    (
        "/token",
        {"username": "ann", "password": "pw", "grant_type": "other"},
        422,
        {
            "detail": [
                {
                    "type": "string_pattern_mismatch",
                    "loc": ["body", "grant_type"],
                    "msg": "String should match pattern '^password$'",
                    "input": "other",
                    "ctx": {"pattern": "^password$"},
                }
            ]
        },
    ),
    (
        "/token",
        {},
        422,
        {
            "detail": [
                {
                    "type": "missing",
                    "loc": ["body", "username"],
                    "msg": "Field required",
                    "input": None,
                },
                {
                    "type": "missing",
                    "loc": ["body", "password"],
                    "msg": "Field required",
                    "input": None,
                },
            ]
        },
    ),
    (
        "/token-strict",
        {"username": "ann", "password": "pw"},
        422,
        {
            "detail": [
                {
                    "type": "missing",
                    "loc": ["body", "grant_type"],
                    "msg": "Field required",
                    "input": None,
                }
            ]
        },
    ),
    (
        "/token-strict",
        {"username": "ann", "password": "pw", "grant_type": "password"},
        200,
        {"access_token": "ann", "grant_type": "password"},
    ),
]


@pytest.fixture(scope="module")
def app():
    return build(FasterAPI)


@pytest.mark.parametrize("url, form, status, body", LOGIN_CASES)
def test_login_forms(client, url, form, status, body):
    response = client.post(url, data=form)
    assert (response.status_code, response.json()) == (status, body)


@pytest.mark.parametrize("url, headers, status, body, challenge", CASES)
def test_schemes(client, url, headers, status, body, challenge):
    response = client.get(url, headers=headers)
    assert (response.status_code, response.json()) == (status, body)
    assert response.headers.get("www-authenticate") == challenge


@pytest.mark.parametrize("url, headers, status, body, challenge", RAW_CASES)
def test_schemes_with_header_values_httpx_will_not_send(
    door, client, url, headers, status, body, challenge
):
    if door == "asgi":
        response = client.get(url, headers=headers)
        got = (response.status_code, response.json(), response.headers.get("www-authenticate"))
    else:
        with socket.create_connection(("127.0.0.1", client.server.port), timeout=10) as sock:
            sock.sendall(request("GET", url, headers=headers))
            code, response_headers, raw = Reader(sock).response()
        got = (code, json.loads(raw), response_headers.get("www-authenticate"))
    assert got == (status, body, challenge)


@pytest.mark.fasterapi_only
def test_the_document_is_fastapis_for_the_same_app():
    assert build(FasterAPI).openapi() == json.loads(REFERENCE.read_text())


@pytest.mark.fasterapi_only
def test_security_schemes_in_the_document():
    schema = build(FasterAPI).openapi()
    assert schema["components"]["securitySchemes"]["OAuth2PasswordBearer"] == {
        "type": "oauth2",
        "flows": {
            "password": {
                "tokenUrl": "token",
                "scopes": {"me": "Read yourself", "items": "Read items"},
            }
        },
    }
    # The scopes of a nested Security chain are gathered, inner first then outer.
    assert schema["paths"]["/me"]["get"]["security"] == [{"OAuth2PasswordBearer": ["items", "me"]}]
    # Several schemes on one route; a scheme_name renames one.
    assert schema["paths"]["/keys"]["get"]["security"] == [
        {"APIKeyHeader": []},
        {"APIKeyQuery": []},
        {"SessionCookie": []},
    ]
    # The router's dependency comes before the route's own.
    assert schema["paths"]["/admin/stats"]["get"]["security"] == [
        {"APIKeyHeader": []},
        {"OAuth2PasswordBearer": ["items"]},
    ]


def test_a_scheme_on_a_websocket_route(make_client):
    app = FasterAPI.FastAPI()
    bearer = HTTPBearer()

    @app.websocket("/ws")
    async def endpoint(websocket: FasterAPI.WebSocket, credentials=FasterAPI.Depends(bearer)):
        await websocket.accept()
        await websocket.send_text(credentials.credentials)
        await websocket.close()

    client = make_client(app)
    with client.websocket_connect("/ws", headers={"Authorization": "Bearer xyz"}) as ws:
        assert ws.receive_text() == "xyz"


def test_subclassing_a_scheme_keeps_working(door):
    """The common FastAPI pattern: a subclass that checks the token after the base class
    has read it."""

    class JWTBearer(HTTPBearer):
        async def __call__(self, request: FasterAPI.Request):
            credentials = await super().__call__(request)
            if credentials.credentials != "valid":
                raise FasterAPI.HTTPException(403, "Invalid token")
            return credentials.credentials

    class CookieBearer(OAuth2PasswordBearer):
        async def __call__(self, request: FasterAPI.Request):
            return request.cookies.get("access_token") or await super().__call__(request)

    app = FasterAPI.FastAPI()

    @app.get("/jwt")
    async def jwt(token: str = FasterAPI.Depends(JWTBearer())):
        return token

    @app.get("/cookie")
    async def cookie(token: str = FasterAPI.Depends(CookieBearer(tokenUrl="login"))):
        return token

    with open_client(app, door) as client:
        assert client.get("/jwt", headers={"Authorization": "Bearer valid"}).json() == "valid"
        assert client.get("/jwt", headers={"Authorization": "Bearer bad"}).status_code == 403
        assert client.get("/jwt").status_code == 401
        assert client.get("/cookie", headers={"Authorization": "Bearer h"}).json() == "h"
        client.cookies.set("access_token", "c")
        assert client.get("/cookie").json() == "c"
        security = app.openapi()["paths"]["/cookie"]["get"]["security"]
    assert security == [{"CookieBearer": []}]


def test_oauth2_flows_as_fastapis_model(make_client):
    """`OAuth2(flows=OAuthFlowsModel(...))`, FastAPI's way to give the flows as the pydantic
    model (FastAPI imports it as `from fastapi.openapi.models import OAuthFlows as
    OAuthFlowsModel`): the same scheme as with the dict, and the header still read."""
    from FasterAPI.openapi.models import OAuthFlows as OAuthFlowsModel
    from FasterAPI.security import OAuth2

    implicit = {"authorizationUrl": "authorize", "scopes": {"me": "Read yourself"}}
    by_model = OAuth2(flows=OAuthFlowsModel(implicit=implicit), scheme_name="Implicit")
    by_dict = OAuth2(flows={"implicit": implicit}, scheme_name="Implicit")
    assert by_model.model == {"type": "oauth2", "flows": {"implicit": implicit}}
    assert by_dict.model == by_model.model

    app = FasterAPI.FastAPI()

    @app.get("/me")
    async def me(authorization: str = FasterAPI.Depends(by_model)):
        return {"authorization": authorization}

    client = make_client(app)
    answer = client.get("/me", headers={"Authorization": "Bearer t0k"})
    assert (answer.status_code, answer.json()) == (200, {"authorization": "Bearer t0k"})
    answer = client.get("/me")
    assert (answer.status_code, answer.json()) == (401, NOT_AUTHENTICATED)
    schemes = app.openapi()["components"]["securitySchemes"]
    assert schemes == {"Implicit": {"type": "oauth2", "flows": {"implicit": implicit}}}


def test_get_authorization_scheme_param():
    assert get_authorization_scheme_param("Bearer  abc ") == ("Bearer", "abc")
    assert get_authorization_scheme_param("Bearer") == ("Bearer", "")
    assert get_authorization_scheme_param(None) == ("", "")
    assert get_authorization_scheme_param("") == ("", "")
