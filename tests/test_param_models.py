"""Parameter models: a pydantic model as a Query(), Header() or Cookie() parameter reads its
fields from the request (FastAPI 0.115+), on both doors (tests/apps/param_models_app.py)."""

import pytest
from FasterAPI import FastAPI, Query
from pydantic import BaseModel

from tests.apps import param_models_app


def missing(loc, given):
    return {"type": "missing", "loc": loc, "msg": "Field required", "input": given}


#: (target, headers, status, body)
CASES = [
    ("/filters?limit=5&tags=a&tags=b", {}, 200, {"limit": 5, "tags": ["a", "b"], "order": "asc"}),
    ("/filters", {}, 200, {"limit": 10, "tags": [], "order": "asc"}),
    (
        "/filters?limit=0",
        {},
        422,
        {
            "detail": [
                {
                    "type": "greater_than",
                    "loc": ["query", "limit"],
                    "msg": "Input should be greater than 0",
                    "input": "0",
                    "ctx": {"gt": 0},
                }
            ]
        },
    ),
    ("/strict?term=x", {}, 200, {"term": "x"}),
    (
        "/strict?term=x&other=1",
        {},
        422,
        {
            "detail": [
                {
                    "type": "extra_forbidden",
                    "loc": ["query", "other"],
                    "msg": "Extra inputs are not permitted",
                    "input": "1",
                }
            ]
        },
    ),
    ("/strict", {}, 422, {"detail": [missing(["query", "term"], {})]}),
    # An optional model none of whose fields is sent is its default (in a dependency too).
    ("/optional", {}, 200, {"range": None, "page": 1}),
    ("/optional?start=1&end=2&page=3", {}, 200, {"range": {"start": 1, "end": 2}, "page": 3}),
    ("/optional?start=1", {}, 422, {"detail": [missing(["query", "end"], {"start": "1"})]}),
    # Header models read `user_agent` from User-Agent; a list field takes every value.
    (
        "/agent",
        {"User-Agent": "me", "X-Tags": "a"},
        200,
        {"user_agent": "me", "x_tags": ["a"]},
    ),
    # Cookie models read fields by alias, and are encoded by alias, as FastAPI does.
    ("/session", {"Cookie": "sessionId=abc"}, 200, {"sessionId": "abc", "theme": "light"}),
    ("/session", {}, 422, {"detail": [missing(["cookie", "sessionId"], {})]}),
]


def case_id(case):
    return f"{case[0]}-{case[2]}"


@pytest.fixture(scope="module")
def app():
    return param_models_app.app


@pytest.mark.parametrize("case", CASES, ids=[case_id(c) for c in CASES])
def test_param_models(client, case):
    target, headers, status, expected = case
    response = client.get(target, headers=headers)
    assert (response.status_code, response.json()) == (status, expected)


def test_param_models_are_documented_as_their_fields(app):
    schema = app.openapi()
    parameters = schema["paths"]["/filters"]["get"]["parameters"]
    assert [(p["name"], p["in"], p["required"]) for p in parameters] == [
        ("limit", "query", False),
        ("tags", "query", False),
        ("order", "query", False),
    ]
    agent = schema["paths"]["/agent"]["get"]["parameters"]
    assert [(p["name"], p["schema"]["title"]) for p in agent] == [
        ("user-agent", "User Agent"),
        ("x-tags", "X Tags"),
    ]
    optional = schema["paths"]["/optional"]["get"]["parameters"]
    assert {p["name"]: p["required"] for p in optional} == {
        "start": False,
        "end": False,
        "page": False,
    }


def test_a_list_of_models_is_no_query_parameter():
    class Item(BaseModel):
        title: str

    def read(q: list[Item] = Query(None)):
        return q

    with pytest.raises(AssertionError, match="Query parameter 'q' must be one of the supported"):
        FastAPI().get("/")(read)
