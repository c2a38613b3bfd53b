"""Form models (optional, extra="forbid", unions with a discriminator), validation_alias and
AliasChoices on Form/File/Body, form_limits and bytes files shared with dependencies: each
request answered as FastAPI 0.165 answers it, through both doors (tests/apps/form_models_app.py)."""

import json
from pathlib import Path
from urllib.parse import urlencode

import pytest
from FasterAPI import FastAPI, Form

from tests.apps import form_models_app

URLENCODED = {"content-type": "application/x-www-form-urlencoded"}
BOUNDARY = "formmodelsboundary"
MULTIPART = {"content-type": f"multipart/form-data; boundary={BOUNDARY}"}


def form(*pairs: tuple[str, str]) -> bytes:
    return urlencode(pairs).encode()


def multipart(*parts: tuple[str, str | None, bytes]) -> bytes:
    """A multipart body of (name, filename or None, content) parts."""
    out = b""
    for name, filename, content in parts:
        disposition = f'form-data; name="{name}"'
        if filename is not None:
            disposition += f'; filename="{filename}"'
        out += f"--{BOUNDARY}\r\nContent-Disposition: {disposition}\r\n\r\n".encode()
        out += content + b"\r\n"
    return out + f"--{BOUNDARY}--\r\n".encode()


def missing(*loc):
    return {"type": "missing", "loc": list(loc), "msg": "Field required", "input": None}


CASES = [
    # validation_alias wins over alias: by it only, and errors name it
    ("/validation-alias", form(("p_val", "x")), URLENCODED, 200, {"p": "x"}),
    (
        "/validation-alias",
        form(("p_alias", "x")),
        URLENCODED,
        422,
        {"detail": [missing("body", "p_val")]},
    ),
    (
        "/validation-alias",
        form(("p", "x")),
        URLENCODED,
        422,
        {"detail": [missing("body", "p_val")]},
    ),
    # AliasChoices: the first one sent, named in errors; a missing value names the first
    ("/alias-choices", form(("second", "2")), URLENCODED, 200, 2),
    ("/alias-choices", form(("second", "2"), ("first", "1")), URLENCODED, 200, 1),
    ("/alias-choices", form(("first", ""), ("second", "2")), URLENCODED, 200, 2),
    (
        "/alias-choices",
        form(("second", "x")),
        URLENCODED,
        422,
        {
            "detail": [
                {
                    "type": "int_parsing",
                    "loc": ["body", "second"],
                    "msg": "Input should be a valid integer, unable to parse string as an integer",
                    "input": "x",
                }
            ]
        },
    ),
    ("/alias-choices", b"", URLENCODED, 422, {"detail": [missing("body", "first")]}),
    # a list of files by its validation alias
    (
        "/files",
        multipart(("p_val", "a.txt", b"hello"), ("p_val", "b.txt", b"hi")),
        MULTIPART,
        200,
        {"sizes": [5, 2]},
    ),
    (
        "/files",
        multipart(("p", "a.txt", b"hello")),
        MULTIPART,
        422,
        {"detail": [missing("body", "p_val")]},
    ),
    # an Optional model: absent unless one of its keys is sent (extra="forbid": any key)
    ("/optional-model", b"", URLENCODED, 200, None),
    (
        "/optional-model",
        form(("display_name", "Rick"), ("tags", "a"), ("tags", "b")),
        URLENCODED,
        200,
        {"name": "Rick", "tags": ["a", "b"]},
    ),
    ("/optional-model", form(("name", "Rick")), URLENCODED, 200, {"name": "Rick", "tags": []}),
    (
        "/optional-model",
        form(("name", "Rick"), ("other", "x")),
        URLENCODED,
        422,
        {
            "detail": [
                {
                    "type": "extra_forbidden",
                    "loc": ["body", "other"],
                    "msg": "Extra inputs are not permitted",
                    "input": "x",
                }
            ]
        },
    ),
    (
        "/optional-model",
        form(("other", "x")),
        URLENCODED,
        422,
        {
            "detail": [
                missing("body", "display_name") | {"input": {"other": "x"}},
                {
                    "type": "extra_forbidden",
                    "loc": ["body", "other"],
                    "msg": "Extra inputs are not permitted",
                    "input": "x",
                },
            ]
        },
    ),
    # a union of form models with a discriminator, beside another form field
    (
        "/contact",
        form(("kind", "company"), ("company_name", "Acme"), ("token", "t")),
        URLENCODED,
        200,
        {"contact": {"kind": "company", "company_name": "Acme"}, "token": "t"},
    ),
    (
        "/contact",
        multipart(("kind", None, b"person"), ("name", None, b"Rick"), ("token", None, b"t")),
        MULTIPART,
        200,
        {"contact": {"kind": "person", "name": "Rick"}, "token": "t"},
    ),
    (
        "/contact",
        form(("kind", "person"), ("token", "t")),
        URLENCODED,
        422,
        {
            "detail": [
                missing("body", "person", "name") | {"input": {"kind": "person", "token": "t"}}
            ]
        },
    ),
    # a union's Annotated validators and Field() apply to the whole union, as in FastAPI
    (
        "/renamed-contact",
        form(("kind", "person"), ("legacy", "Rick")),
        URLENCODED,
        200,
        {"kind": "person", "name": "Rick"},
    ),
    ("/left-to-right", form(("name", "a"), ("count", "2")), URLENCODED, 200, "Short"),
    # a discriminated union inside an Optional is no form model: a field, as in FastAPI
    ("/nested-discriminated", form(("name", "Rick")), URLENCODED, 200, None),
    # the route's form_limits
    ("/limited", form(("text", "abc")), URLENCODED, 200, "abc"),
    (
        "/limited",
        form(("text", "abc"), ("more", "x")),
        URLENCODED,
        400,
        {"detail": "Too many fields. Maximum number of fields is 1."},
    ),
    (
        "/limited",
        multipart(("text", None, b"x" * 17)),
        MULTIPART,
        400,
        {"detail": "Part exceeded maximum size of 0KB."},
    ),
    # request.form() after the route read the form: that form, within the route's limits
    ("/form-again", form(("text", "ok")), URLENCODED, 200, True),
    (
        "/form-again",
        form(("text", "ok"), ("extra", "v")),
        URLENCODED,
        400,
        {"detail": "Too many fields. Maximum number of fields is 1."},
    ),
    # a bytes parameter of a dependency leaves the UploadFile where it was
    (
        "/shared-file",
        multipart(("file", "a.txt", b"hello")),
        MULTIPART,
        200,
        {"prefix": "he", "content": "hello"},
    ),
]


def case_id(case):
    return f"{case[0]}-{case[3]}-{case[1][:40]!r}"


@pytest.fixture(scope="module")
def app():
    return form_models_app.app


@pytest.mark.parametrize("case", CASES, ids=[case_id(c) for c in CASES])
def test_form_models(client, case):
    path, body, headers, status, expected = case
    response = client.post(path, content=body, headers=headers)
    assert (response.status_code, response.json()) == (status, expected)


def test_body_alias_choices_and_a_default_factory_called_per_request(client):
    form_models_app.calls.clear()
    assert client.post("/body-choices", json={"b": 2, "a": None}).json() is None
    assert client.post("/body-choices", json={"b": 2}).json() == 2
    assert form_models_app.calls == []
    assert client.post("/body-choices", json={}).json() == 10
    assert client.post("/body-choices").json() == 10
    assert form_models_app.calls == ["factory", "factory"]
    response = client.post("/body-choices", json=[1])  # not an object: the field is missing
    assert (response.status_code, response.json()) == (422, {"detail": [missing("body", "a")]})


def test_form_limits_nest_the_most_specific_winning(make_client):
    from FasterAPI import APIRouter

    async def field(text: str = Form()):
        return text

    child = APIRouter(form_limits={"max_fields": 1})
    child.post("/", form_limits={"max_part_size": 3})(field)
    parent = APIRouter()
    parent.include_router(child, form_limits={"max_fields": 4})
    app = FastAPI(form_limits={"max_part_size": 1})
    app.include_router(parent, prefix="/one", form_limits={"max_files": 0})
    client = make_client(app)
    assert client.post("/one/", files={"text": (None, "abc")}).json() == "abc"
    assert client.post("/one/", files={"text": (None, "abcd")}).status_code == 400
    assert (
        client.post("/one/", files=[("text", (None, "a")), ("b", (None, "c"))]).status_code == 400
    )
    assert app.routes[-1].form_limits == {"max_files": 0, "max_fields": 1, "max_part_size": 3}


@pytest.mark.parametrize(
    "limits", [{"max_parts": 1}, {"max_files": -1}, {"max_fields": False}, {"max_part_size": 1.5}]
)
def test_invalid_form_limits_are_refused(limits):
    with pytest.raises(ValueError, match="form_limits"):
        FastAPI(form_limits=limits)


def test_the_document_of_form_models_is_fastapis():
    """Optional and nullable form models, several models, unions of them and a model read by
    other names are documented as FastAPI documents them (tests/apps/form_models_ref.py)."""
    import FasterAPI

    from tests.apps import form_models_ref

    reference = Path(__file__).parent / "apps" / "form_models_ref_fastapi.json"
    document = form_models_ref.build(FasterAPI).openapi()
    assert document == json.loads(reference.read_text())
    body = document["components"]["schemas"]["Body_optional_optional_post"]
    absent = {"not": {"anyOf": [{"required": [name]} for name in ("age", "name", "tags")]}}
    profile = {"anyOf": [{"$ref": "#/components/schemas/Profile"}], "title": "Profile"}
    assert body["allOf"] == [{"anyOf": [absent, profile]}]
