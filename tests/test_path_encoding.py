"""Percent-encoding in the path: a path parameter is the path decoded once, as FastAPI gives it.

A server percent-decodes the request target once into ASGI's ``scope["path"]`` (``raw_path``
keeps the bytes as sent), and Starlette matches routes against that path without decoding
further: ``/nc/a%253Fb`` gives ``p == "a%3Fb"``, ``%2F`` is a ``/`` that ``{p}`` does not match
and ``{p:path}`` does, ``+`` stays ``+``, and bytes that are not UTF-8 become U+FFFD. The same
answers come through both doors and from uvicorn. (Starlette's own TestClient decodes twice,
Starlette issue #2587, so the cases with ``%25`` are FasterAPI-only through the ASGI door.)
"""

from pathlib import Path

import httpx
import pytest
from FasterAPI import FastAPI, Request, WebSocket

from tests.support.servers import running_server

#: A `%25` in these: Starlette's TestClient decodes the path twice (its issue #2587).
_DOUBLE = pytest.mark.fasterapi_only

#: (request path, the `p` the endpoint gets); `/nc/{p}` cases.
SEGMENT_CASES = [
    ("/nc/plain", "plain"),
    pytest.param("/nc/a%253Fb", "a%3Fb", marks=_DOUBLE),
    ("/nc/a%3Fb", "a?b"),
    ("/nc/a%25b", "a%b"),
    pytest.param("/nc/a%2525b", "a%25b", marks=_DOUBLE),
    pytest.param("/nc/%2541", "%41", marks=_DOUBLE),
    ("/nc/a+b", "a+b"),
    ("/nc/a%2Bb", "a+b"),
    ("/nc/a%20b", "a b"),
    ("/nc/%23frag", "#frag"),
    ("/nc/%C3%A9t%C3%A9", "été"),
    ("/nc/%E2%82%AC%F0%9F%98%80", "€😀"),
    ("/nc/%e2%82%ac", "€"),
    # Invalid percent-encoding stays as it is; bytes that are not UTF-8 become U+FFFD.
    ("/nc/%zz", "%zz"),
    ("/nc/%", "%"),
    ("/nc/100%", "100%"),
    ("/nc/%ff", "\ufffd"),
    ("/nc/a%C3", "a\ufffd"),
    ("/nc/%C3%28", "\ufffd("),
    ("/nc/%F0%9F%98", "\ufffd"),
    ("/nc/%ED%A0%80", "\ufffd\ufffd\ufffd"),
    ("/nc/a%00b", "a\x00b"),
]

#: `/pp/{p:path}` cases: an encoded slash is a slash.
PATH_CASES = [
    ("/pp/a%2Fb", "a/b"),
    ("/pp/a%2fb/c", "a/b/c"),
    pytest.param("/pp/a%252Fb", "a%2Fb", marks=_DOUBLE),
    pytest.param("/pp/x/a%253Fb", "x/a%3Fb", marks=_DOUBLE),
    ("/pp/%ff/%zz", "\ufffd/%zz"),
    ("/pp/%C3%A9/%20", "é/ "),
]


def build_app() -> FastAPI:
    app = FastAPI()

    @app.get("/health")
    async def health():
        return {"ok": True}

    @app.get("/nc/{p}")
    async def segment(p: str, request: Request):
        scope = request.scope
        return {"p": p, "path": scope["path"], "raw_path": scope["raw_path"].decode("latin-1")}

    @app.get("/pp/{p:path}")
    async def path(p: str):
        return {"p": p}

    @app.get("/n/{n}")
    async def number(n: int):
        return {"n": n}

    @app.websocket("/ws/{p}")
    async def ws(websocket: WebSocket, p: str):
        await websocket.accept()
        await websocket.send_text(p)
        await websocket.close()

    return app


#: The app uvicorn serves (`tests.test_path_encoding:uvicorn_app`).
uvicorn_app = build_app()


@pytest.fixture
def client(make_client):
    return make_client(build_app())


@pytest.mark.parametrize(("path", "expected"), SEGMENT_CASES)
def test_segment_parameter_is_the_path_decoded_once(client, path, expected):
    response = client.get(path)
    assert response.status_code == 200, response.text
    assert response.json()["p"] == expected


@pytest.mark.parametrize(("path", "expected"), PATH_CASES)
def test_path_parameter_is_the_path_decoded_once(client, path, expected):
    response = client.get(path)
    assert response.status_code == 200, response.text
    assert response.json() == {"p": expected}


@_DOUBLE
def test_scope_path_is_decoded_once_and_raw_path_is_as_sent(client):
    body = client.get("/nc/a%253Fb").json()
    assert body == {"p": "a%3Fb", "path": "/nc/a%3Fb", "raw_path": "/nc/a%253Fb"}


@pytest.mark.parametrize("path", ["/nc/a%2Fb", "/nc/a%2fb/", "/nc/%2F"])
def test_an_encoded_slash_splits_a_segment_parameter(client, path):
    assert client.get(path).status_code == 404


def test_decoded_path_keeps_the_query_apart(client):
    response = client.get("/nc/a%3Fb?x=1")
    assert response.json()["p"] == "a?b"


@pytest.mark.parametrize(("path", "n"), [("/n/%31%32", 12), ("/n/1%32", 12)])
def test_encoded_digits_convert(client, path, n):
    assert client.get(path).json() == {"n": n}


@pytest.mark.parametrize("path", ["/n/%zz", "/n/%ff", "/n/1%2525"])
def test_invalid_encoding_in_a_typed_parameter_is_a_422(client, path):
    response = client.get(path)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["path", "n"]


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/ws/a%3Fb", "a?b"),
        ("/ws/%C3%A9", "é"),
        pytest.param("/ws/a%253Fb", "a%3Fb", marks=_DOUBLE),
    ],
)
def test_websocket_path_parameter_is_decoded_once(client, path, expected):
    with client.websocket_connect(path) as websocket:
        assert websocket.receive_text() == expected


# -- uvicorn --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def uvicorn_client(tmp_path_factory):
    tmp: Path = tmp_path_factory.mktemp("uvicorn")
    with running_server("uvicorn", tmp, "tests.test_path_encoding:uvicorn_app") as server:
        yield server["client"]


@pytest.mark.parametrize(("path", "expected"), SEGMENT_CASES + PATH_CASES)
def test_uvicorn_gives_the_same_parameters(uvicorn_client: httpx.Client, path, expected):
    response = uvicorn_client.get(path)
    assert response.status_code == 200, response.text
    assert response.json()["p"] == expected


def test_uvicorn_scope_path_is_decoded_once(uvicorn_client: httpx.Client):
    body = uvicorn_client.get("/nc/a%253Fb").json()
    assert body == {"p": "a%3Fb", "path": "/nc/a%3Fb", "raw_path": "/nc/a%253Fb"}
    assert uvicorn_client.get("/nc/a%2Fb").status_code == 404
