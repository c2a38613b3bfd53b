"""Malformed request bodies never give a 500: JSON syntax errors get FastAPI's 422 `json_invalid`,
bytes that are not text or nest too deep get its 400, and a value of the wrong shape gets the
validation error of the body's kind (msgspec Struct, pydantic model, dataclass, TypedDict, dict,
list, embedded bodies). Checked on both doors (TestClient and the native server) and under
uvicorn (the ASGI door with the body read off a socket), with the answers FastAPI 0.165 gives,
and by a property test that feeds random bytes to every kind."""

import json

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.apps import body_errors_app
from tests.support.doors import DOORS, open_client
from tests.support.servers import running_server

KINDS = ["/struct", "/model", "/dataclass", "/typeddict", "/dict", "/embedded"]
PARSE_ERROR = {"detail": "There was an error parsing the body"}


@pytest.fixture(
    scope="module",
    params=[
        pytest.param(door, marks=pytest.mark.fasterapi_only) if door == "native" else door
        for door in [*DOORS, "uvicorn"]
    ],
)
def door(request):
    """The two doors of tests/conftest.py, and uvicorn as a third."""
    return request.param


@pytest.fixture(scope="module")
def client(door, tmp_path_factory):
    """A client of tests/apps/body_errors_app.py through `door`."""
    if door != "uvicorn":
        with open_client(body_errors_app.app, door) as client:
            yield client
        return
    tmp = tmp_path_factory.mktemp("body-errors")
    with running_server("uvicorn", tmp, "tests.apps.body_errors_app:app") as server:
        with httpx.Client(base_url=f"http://127.0.0.1:{server['port']}", timeout=30) as client:
            yield client


def post(client, path: str, body: bytes) -> tuple[int, object]:
    """POSTs `body` as JSON; (status, decoded JSON answer)."""
    response = client.post(path, content=body, headers={"content-type": "application/json"})
    return response.status_code, response.json()


def json_invalid(pos: int, error: str) -> dict:
    return {
        "detail": [
            {
                "type": "json_invalid",
                "loc": ["body", pos],
                "msg": "JSON decode error",
                "input": {},
                "ctx": {"error": error},
            }
        ]
    }


@pytest.mark.parametrize("path", KINDS)
@pytest.mark.parametrize(
    "body,status,answer",
    [
        (b"1x", 422, json_invalid(1, "Extra data")),
        (b'{"a": 1', 422, json_invalid(7, "Expecting ',' delimiter")),
        (b"\xff\xfe", 422, json_invalid(0, "Expecting value")),
        (b'{"\xff":1}', 400, PARSE_ERROR),  # not UTF-8
        (b"[" * 100_000, 400, PARSE_ERROR),  # nested past any stack
    ],
    ids=["trailing", "unclosed", "binary", "invalid-utf8", "deep-nesting"],
)
def test_undecodable_json_gets_fastapis_answer(client, path, body, status, answer):
    assert post(client, path, body) == (status, answer)


@pytest.mark.parametrize("path", KINDS)
@pytest.mark.parametrize(
    "body",
    [b"1", b"null", b'"' + b"a" * 10_000_000 + b'"', b"[1, 2]"],
    ids=["number", "null", "10mb-string", "array"],
)
def test_json_of_the_wrong_shape_is_a_422_of_the_body_kind(client, path, body):
    status, answer = post(client, path, body)
    assert status == 422, answer
    first = answer["detail"][0]
    if path == "/embedded":  # the body is an object keyed by the parameters' names
        assert first == {
            "type": "missing",
            "loc": ["body", "x"],
            "msg": "Field required",
            "input": None,
        }
    else:
        assert first["loc"] == ["body"]
        assert first["type"] in {
            "model_attributes_type",  # msgspec Struct, pydantic model, TypedDict (msgspec's)
            "dataclass_type",
            "dict_type",
        }


def test_valid_bodies_still_work(client):
    assert post(client, "/struct", b'{"a": 1}') == (200, {"a": 1})
    assert post(client, "/model", b'{"a": "2"}') == (200, {"a": 2})
    assert post(client, "/list", b"[1, 2, 3]") == (200, {"n": 3})
    assert post(client, "/embedded", b'{"x": {"a": 1}, "y": 2}') == (200, {"a": 1, "y": 2})
    big = json.dumps({str(i): "v" * 100 for i in range(50_000)}).encode()  # about 5.6 MB
    assert post(client, "/dict", big) == (200, {"keys": 50_000})


JSONISH = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner),
    max_leaves=10,
)


def _mutated(draw_bytes: bytes, cut: int, insert: bytes) -> bytes:
    cut = cut % (len(draw_bytes) + 1)
    return draw_bytes[:cut] + insert + draw_bytes[cut:]


BODIES = st.one_of(
    st.binary(max_size=200),
    JSONISH.map(lambda v: json.dumps(v).encode()),
    st.builds(
        _mutated,
        JSONISH.map(lambda v: json.dumps({"a": v}).encode()),
        st.integers(min_value=0),
        st.binary(min_size=1, max_size=4),
    ),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(path=st.sampled_from(KINDS + ["/list"]), body=BODIES)
def test_random_bodies_never_get_a_5xx(client, path, body):
    status, _ = post(client, path, body)
    assert status < 500


@pytest.mark.fasterapi_only  # FastAPI itself answers this one with a 500
def test_a_lone_surrogate_in_the_input_is_echoed_as_a_replacement_character(client):
    """`"\\ud800"` is valid JSON for a lone surrogate, which has no UTF-8 form: the 422 that
    echoes the input writes U+FFFD for it (found by the property test below)."""
    status, answer = post(client, "/model", b'{"b": "\\ud800x"}')
    assert status == 422
    assert answer["detail"][0]["input"] == {"b": "\ufffdx"}


@pytest.mark.fasterapi_only  # msgspec Structs are FasterAPI's; FastAPI has no such body
@pytest.mark.parametrize("path", ["/struct", "/model", "/dataclass", "/typeddict"])
def test_a_lone_surrogate_where_a_number_goes_is_a_422(client, path):
    """`{"a": "\\uda00"}` for an int field: msgspec's lax conversion cannot read the text
    (no UTF-8 form) and says so with a UnicodeEncodeError, answered as pydantic's
    string_unicode error instead of a 500 (found by the property test below)."""
    status, answer = post(client, path, b'{"a":"\\uda00"}')
    assert status == 422
    assert answer["detail"][0]["type"] == "string_unicode"


@pytest.mark.fasterapi_only  # FastAPI answers this one with a 500 (its encoder decodes bytes)
def test_a_body_without_content_type_that_is_not_utf8_gets_a_422(client):
    """Without a Content-Type the body is not JSON: the 422 echoes it as text, with U+FFFD for
    bytes that are not UTF-8 (the socket fuzzer found the 500 this was)."""
    response = client.post("/dict", content=b'{"a":[\xbb,2]}')
    assert response.status_code == 422
    assert response.json()["detail"][0]["input"] == '{"a":[\ufffd,2]}'
