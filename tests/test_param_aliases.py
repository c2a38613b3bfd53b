"""Aliased parameters (validation_alias, AliasChoices, a path's validation alias) and types
only pydantic reads (HttpUrl, SecretStr, IPv4Address, `int | str`, a constrained set) as
query parameters, with FastAPI's 422 bodies, on both doors (tests/apps/param_models_app.py)."""

import pytest

from tests.apps import param_models_app

#: (target, headers, status, body)
CASES = [
    ("/choices?value=3", {"X-Token": "t"}, 200, {"value": 3, "token": "t"}),
    # The first alias choice sent wins; errors and `missing` name the choice.
    ("/choices?v=4&value=3", {}, 200, {"value": 4, "token": "none"}),
    (
        "/choices?v=x",
        {},
        422,
        {
            "detail": [
                {
                    "type": "int_parsing",
                    "loc": ["query", "v"],
                    "msg": "Input should be a valid integer, unable to parse string as an integer",
                    "input": "x",
                }
            ]
        },
    ),
    (
        "/choices",
        {},
        422,
        {
            "detail": [
                {"type": "missing", "loc": ["query", "v"], "msg": "Field required", "input": None}
            ]
        },
    ),
    ("/items/5", {}, 200, {"number": 5}),
    (
        "/items/0",
        {},
        422,
        {
            "detail": [
                {
                    "type": "greater_than_equal",
                    "loc": ["path", "item_id"],
                    "msg": "Input should be greater than or equal to 1",
                    "input": "0",
                    "ctx": {"ge": 1},
                }
            ]
        },
    ),
    (
        "/scalars?url=http://x.org&secret=s&ip=1.2.3.4&amount=1.50&either=3&tags=a&tags=b",
        {},
        200,
        {
            "url": "http://x.org/",
            "secret": "s",
            "ip": "1.2.3.4",
            "amount": "1.50",
            "either": "3",
            "tags": ["a", "b"],
        },
    ),
    (
        "/scalars?url=nope&tags=a&tags=b&tags=c&ip=1.2.3&amount=x",
        {},
        422,
        {
            "detail": [
                {
                    "type": "url_parsing",
                    "loc": ["query", "url"],
                    "msg": "Input should be a valid URL, relative URL without a base",
                    "input": "nope",
                    "ctx": {"error": "relative URL without a base"},
                },
                {
                    "type": "ip_v4_address",
                    "loc": ["query", "ip"],
                    "msg": "Input is not a valid IPv4 address",
                    "input": "1.2.3",
                },
                {
                    "type": "decimal_parsing",
                    "loc": ["query", "amount"],
                    "msg": "Input should be a valid decimal",
                    "input": "x",
                },
                {
                    "type": "too_long",
                    "loc": ["query", "tags"],
                    "msg": "Set should have at most 2 items after validation, not more",
                    "input": ["a", "b", "c"],
                    "ctx": {"field_type": "Set", "max_length": 2, "actual_length": None},
                },
            ]
        },
    ),
]


def case_id(case):
    return f"{case[0]}-{case[2]}"


@pytest.fixture(scope="module")
def app():
    return param_models_app.app


@pytest.mark.parametrize("case", CASES, ids=[case_id(c) for c in CASES])
def test_aliases(client, case):
    target, headers, status, expected = case
    response = client.get(target, headers=headers)
    assert (response.status_code, response.json()) == (status, expected)


def test_alias_choices_are_documented_by_the_first(app):
    parameters = app.openapi()["paths"]["/choices"]["get"]["parameters"]
    assert [(p["name"], p["in"]) for p in parameters] == [("v", "query"), ("X-Token", "header")]
    path = app.openapi()["paths"]["/items/{item_id}"]["get"]["parameters"]
    assert [(p["name"], p["in"]) for p in path] == [("item_id", "path")]


def test_regex_is_a_deprecated_pattern():
    from FasterAPI import Query

    with pytest.warns(Warning, match="`regex` has been deprecated"):
        marker = Query(regex="^a$")
    assert marker.pattern == "^a$"
    assert repr(Query()) == "Query(PydanticUndefined)"
