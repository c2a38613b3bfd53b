"""Forms and file uploads: Form() and File() parameters, UploadFile, form models, Request.form(),
malformed bodies and limits, and the OpenAPI document. Through both doors (the ASGI door's
TestClient and the native server), over raw sockets on the native server and under uvicorn
(tests/apps/forms_app.py)."""

import asyncio
import json
import tempfile
import time
import warnings
from pathlib import Path
from typing import Annotated

import FasterAPI
import pytest
from FasterAPI import Body, Depends, FastAPI, File, Form, UploadFile
from FasterAPI.datastructures import FormData
from FasterAPI.datastructures import UploadFile as DataStructuresUploadFile

from tests.apps import forms_app, openapi_forms_ref
from tests.support.raw_http import Reader, request
from tests.support.servers import native_server, running_server

MIB = 1024 * 1024


def missing(*loc):
    return {"type": "missing", "loc": list(loc), "msg": "Field required", "input": None}


def int_parsing(loc, value):
    return {
        "type": "int_parsing",
        "loc": loc,
        "msg": "Input should be a valid integer, unable to parse string as an integer",
        "input": value,
    }


def multipart(parts: list[tuple[str, str, bytes | str]], boundary: str = "xx") -> bytes:
    """A multipart body: (Content-Disposition parameters, extra header lines, data) each."""
    body = b""
    for params, headers, data in parts:
        data = data.encode() if isinstance(data, str) else data
        head = f"--{boundary}\r\nContent-Disposition: form-data; {params}\r\n{headers}\r\n"
        body += head.encode() + data + b"\r\n"
    return body + f"--{boundary}--\r\n".encode()


MULTIPART = {"content-type": "multipart/form-data; boundary=xx"}
URLENCODED = {"content-type": "application/x-www-form-urlencoded"}


# Requests answered the same way through both doors, each with the status and body FastAPI
# answers (checked against FastAPI 0.165 with python-multipart), but for the malformed bodies
# marked "ours".
CASES = [
    # Annotated validators run on a sent value; on a default, with validate_default=True
    (
        "/validated-defaults",
        b"sent=10",
        URLENCODED,
        200,
        {"sent": 20, "default": 20, "kept": 10},
    ),
    # fields, coercion, constraints
    (
        "/login",
        b"username=ann&password=s3cret",
        URLENCODED,
        200,
        {"username": "ann", "password": "s3cret", "remember": False},
    ),
    (
        "/login",
        b"password=ab&remember=maybe",
        URLENCODED,
        422,
        {
            "detail": [
                missing("body", "username"),
                {
                    "type": "string_too_short",
                    "loc": ["body", "password"],
                    "msg": "String should have at least 3 characters",
                    "input": "ab",
                    "ctx": {"min_length": 3},
                },
                {
                    "type": "bool_parsing",
                    "loc": ["body", "remember"],
                    "msg": "Input should be a valid boolean, unable to interpret input",
                    "input": "maybe",
                },
            ]
        },
    ),
    # an empty field is an absent one
    (
        "/login",
        b"username=&password=abc&remember=on",
        URLENCODED,
        422,
        {"detail": [missing("body", "username")]},
    ),
    (
        "/scalars",
        b"n=3&ratio=2.5&code=xyz&color=blue&mode=b&Note=hi",
        URLENCODED,
        200,
        {"n": 3, "ratio": 2.5, "code": "xyz", "color": "blue", "mode": "b", "note": "hi"},
    ),
    (
        "/scalars",
        b"n=0&ratio=10&code=ABCDEF&color=green&mode=c",
        URLENCODED,
        422,
        {
            "detail": [
                {
                    "type": "greater_than_equal",
                    "loc": ["body", "n"],
                    "msg": "Input should be greater than or equal to 1",
                    "input": "0",
                    "ctx": {"ge": 1},
                },
                {
                    "type": "less_than",
                    "loc": ["body", "ratio"],
                    "msg": "Input should be less than 10",
                    "input": "10",
                    "ctx": {"lt": 10},
                },
                {
                    "type": "string_too_long",
                    "loc": ["body", "code"],
                    "msg": "String should have at most 5 characters",
                    "input": "ABCDEF",
                    "ctx": {"max_length": 5},
                },
                {
                    "type": "enum",
                    "loc": ["body", "color"],
                    "msg": "Input should be 'red' or 'blue'",
                    "input": "green",
                    "ctx": {"expected": "'red' or 'blue'"},
                },
                {
                    "type": "literal_error",
                    "loc": ["body", "mode"],
                    "msg": "Input should be 'a' or 'b'",
                    "input": "c",
                    "ctx": {"expected": "'a' or 'b'"},
                },
            ]
        },
    ),
    (
        "/scalars",
        b"n=x&code=ab1",
        URLENCODED,
        422,
        {
            "detail": [
                int_parsing(["body", "n"], "x"),
                {
                    "type": "string_pattern_mismatch",
                    "loc": ["body", "code"],
                    "msg": "String should match pattern '^[a-z]+$'",
                    "input": "ab1",
                    "ctx": {"pattern": "^[a-z]+$"},
                },
            ]
        },
    ),
    # the same fields as multipart
    (
        "/scalars",
        multipart([('name="n"', "", "7"), ('name="Note"', "", "é")]),
        MULTIPART,
        200,
        {"n": 7, "ratio": 1.0, "code": "abc", "color": "red", "mode": "a", "note": "é"},
    ),
    # repeated fields: lists take them all, a single parameter the last one
    (
        "/lists",
        b"tags=a&tags=b&ids=1&ids=2",
        URLENCODED,
        200,
        {"tags": ["a", "b"], "ids": [1, 2]},
    ),
    ("/lists", b"", URLENCODED, 200, {"tags": [], "ids": None}),
    (
        "/lists",
        b"ids=1&ids=x&ids=",
        URLENCODED,
        422,
        {"detail": [int_parsing(["body", "ids", 1], "x"), int_parsing(["body", "ids", 2], "")]},
    ),
    (
        "/scalars",
        b"n=1&n=2&code=first&code=last",
        URLENCODED,
        200,
        {"n": 2, "ratio": 1.0, "code": "last", "color": "red", "mode": "a", "note": None},
    ),
    # files
    (
        "/upload",
        multipart(
            [
                ('name="file"; filename="a.txt"', "Content-Type: text/plain\r\n", "hello\r\n"),
                ('name="note"', "", "n"),
            ]
        ),
        MULTIPART,
        200,
        {
            "filename": "a.txt",
            "content_type": "text/plain",
            "size": 7,
            "content": "hello\r\n",
            "read": 7,
            "rolled": False,
            "headers": {
                "content-disposition": 'form-data; name="file"; filename="a.txt"',
                "content-type": "text/plain",
            },
            "note": "n",
        },
    ),
    (
        "/upload",
        multipart([('name="note"', "", "n")]),
        MULTIPART,
        422,
        {"detail": [missing("body", "file")]},
    ),
    # text where a file is expected
    (
        "/upload",
        multipart([('name="file"', "", "not a file")]),
        MULTIPART,
        422,
        {
            "detail": [
                {
                    "type": "value_error",
                    "loc": ["body", "file"],
                    "msg": "Value error, Expected UploadFile, received: <class 'str'>",
                    "input": "not a file",
                    "ctx": {"error": {}},
                }
            ]
        },
    ),
    # an empty file input (no file chosen) is an absent file
    (
        "/upload",
        multipart([('name="file"; filename=""', "Content-Type: application/octet-stream\r\n", "")]),
        MULTIPART,
        422,
        {"detail": [missing("body", "file")]},
    ),
    (
        "/uploads",
        multipart(
            [
                ('name="files"; filename="1.txt"', "", "one"),
                ('name="files"; filename="2.bin"', "Content-Type: image/png\r\n", b"\x89PNG"),
                ('name="raw"; filename="r.txt"', "", "raw bytes"),
            ]
        ),
        MULTIPART,
        200,
        {
            "files": [
                {"filename": "1.txt", "content_type": None, "size": 3, "content": "one"},
                {"filename": "2.bin", "content_type": "image/png", "size": 4, "content": "\x89PNG"},
            ],
            "raw": "raw bytes",
        },
    ),
    # bytes from a text field too
    (
        "/uploads",
        multipart([('name="files"; filename="1.txt"', "", "one"), ('name="raw"', "", "text")]),
        MULTIPART,
        200,
        {
            "files": [{"filename": "1.txt", "content_type": None, "size": 3, "content": "one"}],
            "raw": "text",
        },
    ),
    (
        "/uploads",
        multipart([('name="files"', "", "text")]),
        MULTIPART,
        422,
        {
            "detail": [
                {
                    "type": "value_error",
                    "loc": ["body", "files", 0],
                    "msg": "Value error, Expected UploadFile, received: <class 'str'>",
                    "input": "text",
                    "ctx": {"error": {}},
                },
                missing("body", "raw"),
            ]
        },
    ),
    ("/maybe", b"", MULTIPART, 200, {"file": None, "blobs": None}),
    (
        "/maybe",
        multipart(
            [
                ('name="file"; filename="m.txt"', "", "m"),
                ('name="blobs"; filename="b1"', "", "b1"),
                ('name="blobs"; filename="b2"', "", "b2"),
            ]
        ),
        MULTIPART,
        200,
        {"file": "m.txt", "blobs": ["b1", "b2"]},
    ),
    # form models: a pydantic model and a msgspec.Struct
    (
        "/profile",
        b"name=ann&age=3&tags=a&tags=b&other=x",
        URLENCODED,
        200,
        {"name": "ann", "age": 3, "tags": ["a", "b"]},
    ),
    (
        "/profile",
        b"age=-1&tags=a",
        URLENCODED,
        422,
        {
            "detail": [
                {
                    "type": "missing",
                    "loc": ["body", "name"],
                    "msg": "Field required",
                    "input": {"age": "-1", "tags": ["a"]},
                },
                {
                    "type": "greater_than_equal",
                    "loc": ["body", "age"],
                    "msg": "Input should be greater than or equal to 0",
                    "input": "-1",
                    "ctx": {"ge": 0},
                },
            ]
        },
    ),
    (
        "/signup",
        multipart([('name="email"', "", "a@b.c"), ('name="topics"', "", "rust")]),
        MULTIPART,
        200,
        {"email": "a@b.c", "age": 0, "topics": ["rust"]},
    ),
    # the wrong Content-Type: no form, so every required field is missing
    (
        "/login",
        b'{"username": "ann", "password": "s3cret"}',
        {"content-type": "application/json"},
        422,
        {"detail": [missing("body", "username"), missing("body", "password")]},
    ),
    (
        "/login",
        b"username=ann&password=s3cret",
        {"content-type": "text/plain"},
        422,
        {"detail": [missing("body", "username"), missing("body", "password")]},
    ),
    (
        "/login",
        b"",
        {},
        422,
        {"detail": [missing("body", "username"), missing("body", "password")]},
    ),
    # malformed bodies and limits: 400s with Starlette's details
    (
        "/login",
        multipart([('name="username"', "", "ann")]),
        {"content-type": "multipart/form-data"},
        400,
        {"detail": "Missing boundary in multipart."},
    ),
    (
        "/login",
        b"--xx\r\nContent-Disposition form-data\r\n\r\nv\r\n--xx--\r\n",
        MULTIPART,
        400,
        {"detail": "Invalid multipart data."},
    ),
    (
        "/login",
        b"--xx\r\nContent-Type: text/plain\r\n\r\nv\r\n--xx--\r\n",
        MULTIPART,
        400,
        {"detail": 'The Content-Disposition header field "name" must be provided.'},
    ),
    # ours: the body ends inside a part (FastAPI drops the part and answers 422)
    (
        "/login",
        b'--xx\r\nContent-Disposition: form-data; name="username"\r\n\r\nann',
        MULTIPART,
        400,
        {"detail": "Invalid multipart data."},
    ),
    (
        "/login",
        b"&".join(b"f%d=v" % i for i in range(1001)),
        URLENCODED,
        400,
        {"detail": "Too many fields. Maximum number of fields is 1000."},
    ),
    (
        "/login",
        multipart([(f'name="f{i}"', "", "v") for i in range(1001)]),
        MULTIPART,
        400,
        {"detail": "Too many fields. Maximum number of fields is 1000."},
    ),
    (
        "/uploads",
        multipart([(f'name="files"; filename="{i}"', "", "") for i in range(1001)]),
        MULTIPART,
        400,
        {"detail": "Too many files. Maximum number of files is 1000."},
    ),
    (
        "/login",
        multipart([('name="username"', "", "x" * (MIB + 1))]),
        MULTIPART,
        400,
        {"detail": "Part exceeded maximum size of 1024KB."},
    ),
    (
        "/login",
        b"username=" + b"x" * (MIB + 1),
        URLENCODED,
        400,
        {"detail": "Field exceeded maximum size of 1024KB."},
    ),
    # a form route with dependencies: the dependency's form fields and query parameters
    (
        "/with-deps?q=2",
        b"username=ann&token=tk&extra=5",
        URLENCODED,
        200,
        {"user": {"username": "ann", "q": 2}, "extra": 5, "z": 0},
    ),
]


def case_id(case):
    path, body, headers, status, _ = case
    return f"{path}-{status}-{len(body)}"


@pytest.fixture(scope="module")
def app():
    return forms_app.app


@pytest.mark.parametrize("case", CASES, ids=[case_id(c) for c in CASES])
def test_forms(client, case):
    path, body, headers, status, expected = case
    response = client.post(path, content=body, headers=headers)
    assert (response.status_code, response.json()) == (status, expected)
    assert response.headers["content-type"] == "application/json"


@pytest.fixture(scope="module")
def forms_server(tmp_path_factory):
    with native_server(tmp_path_factory.mktemp("forms"), app="forms") as server:
        yield server


def test_testclient_sends_data_and_files_as_httpx_does(client):
    response = client.post("/login", data={"username": "ann", "password": "abc"})
    assert response.request.headers["content-type"] == "application/x-www-form-urlencoded"
    assert response.json() == {"username": "ann", "password": "abc", "remember": False}
    response = client.post(
        "/upload",
        data={"note": "n"},
        files={"file": ("a.txt", b"hello", "text/plain")},
    )
    assert response.request.headers["content-type"].startswith("multipart/form-data; boundary=")
    assert response.status_code == 200
    assert response.json()["filename"] == "a.txt"
    assert response.json()["note"] == "n"
    response = client.post(
        "/uploads",
        files=[("files", ("1.txt", b"1")), ("files", ("2.txt", b"22")), ("raw", b"r")],
    )
    assert response.json() == {
        "files": [
            {"filename": "1.txt", "content_type": "text/plain", "size": 1, "content": "1"},
            {"filename": "2.txt", "content_type": "text/plain", "size": 2, "content": "22"},
        ],
        "raw": "r",
    }
    response = client.post("/lists", data={"tags": ["a", "b"], "ids": ["1"]})
    assert response.json() == {"tags": ["a", "b"], "ids": [1]}


def test_a_file_over_one_mebibyte_spills_to_disk_and_files_are_closed_after_the_response(client):
    data = bytes(range(256)) * (4 * 1024 + 1)  # 1 MiB and 256 bytes
    response = client.post("/upload", files={"file": ("big.bin", data)})
    assert response.status_code == 200
    body = response.json()
    assert (body["size"], body["read"], body["rolled"]) == (len(data), len(data), True)
    assert body["content"].encode("latin-1") == data
    assert client.get("/uploads/closed").json() == {"closed": [True]}
    small = client.post("/upload", files={"file": ("s.bin", b"x" * 1024)}).json()
    assert (small["size"], small["rolled"]) == (1024, False)
    assert client.get("/uploads/closed").json() == {"closed": [True]}


def test_files_are_closed_after_a_failed_request_too(client, make_client):
    response = client.post(
        "/uploads", files=[("files", ("1.txt", b"1")), ("files", ("2.txt", b"2"))]
    )
    assert response.status_code == 422  # `raw` is missing: the handler never ran
    app = FastAPI()
    seen = []

    @app.post("/fail")
    async def fail(file: UploadFile):
        seen.append(file)
        raise RuntimeError("boom")

    response = make_client(app, raise_server_exceptions=False).post(
        "/fail", files={"file": ("a", b"a")}
    )
    assert response.status_code == 500
    assert seen[0].file.closed


def test_files_stay_open_for_background_tasks(make_client):
    app = FastAPI()
    seen = []

    @app.post("/later")
    async def later(file: UploadFile, tasks: FasterAPI.BackgroundTasks):
        async def work():
            seen.append((await file.read(), file.file.closed))

        tasks.add_task(work)
        return {}

    assert make_client(app).post("/later", files={"file": ("a", b"data")}).json() == {}
    assert seen == [(b"data", False)]


def test_request_form_parses_in_rust_and_closes_its_files(client):
    response = client.post(
        "/raw-form",
        data={"a": "1", "b": ["2", "3"]},
        files={"f": ("f.txt", b"file", "text/plain")},
    )
    assert response.json() == {
        "items": [
            ["a", "1"],
            ["b", "2"],
            ["b", "3"],
            [
                "f",
                {"filename": "f.txt", "content_type": "text/plain", "size": 4, "content": "file"},
            ],
        ],
        "closed": [True],
    }
    response = client.post(
        "/raw-form", content=b"x", headers={"content-type": "multipart/form-data"}
    )
    assert (response.status_code, response.json()) == (
        400,
        {"detail": "Missing boundary in multipart."},
    )
    assert client.post("/raw-form", json={"a": 1}).json() == {"items": [], "closed": []}


def test_upload_file_api():
    asyncio.run(_upload_file_api())


async def _upload_file_api():
    upload = UploadFile(tempfile.SpooledTemporaryFile(max_size=10), size=0, filename="x.txt")
    assert upload.content_type is None and upload.headers == {}
    await upload.write(b"hello")
    await upload.seek(0)
    assert (await upload.read(2), await upload.read(), upload.size) == (b"he", b"llo", 5)
    await upload.write(b"x" * 20)  # past max_size: on disk, written through the thread pool
    assert upload.file._rolled and upload.size == 25
    await upload.seek(0)
    assert len(await upload.read()) == 25
    await upload.close()
    assert upload.file.closed
    assert DataStructuresUploadFile is UploadFile
    assert repr(upload).startswith("UploadFile(filename='x.txt', size=25")
    form = FormData([("a", "1"), ("a", "2"), ("u", upload)])
    assert (form["a"], form.getlist("a"), len(form), list(form)) == ("2", ["1", "2"], 2, ["a", "u"])


def test_markers_and_inference():
    assert issubclass(File, Form) and issubclass(Form, Body)
    assert Form().media_type == "application/x-www-form-urlencoded"
    assert File().media_type == "multipart/form-data"
    assert {"Form", "File", "UploadFile"} <= set(FasterAPI.__all__)
    app = FastAPI()

    @app.post("/inferred")
    async def inferred(file: UploadFile, files: list[UploadFile], data: bytes = b""):
        return {}

    route = app.routes[-1]
    assert route.body.form and route.solve and route.streams_body
    assert [(f.alias, type(f.marker).__name__) for f in route.body.fields] == [
        ("file", "File"),
        ("files", "File"),
    ]
    assert [p["name"] for p in route.plan.params] == ["data"]  # bytes alone: a query parameter


def test_routes_without_forms_do_not_pay_for_them():
    json_route = next(r for r in forms_app.app.routes if r.path == "/json")
    assert json_route.body.form is False and not json_route.solve and json_route.native
    health = next(r for r in forms_app.app.routes if r.path == "/health")
    assert health.body is None and health.native


def test_form_fields_shared_with_a_dependency_and_its_query_parameters(client):
    response = client.post(
        "/with-deps?q=x&z=y", data={"username": "ann", "token": "t", "extra": "e"}
    )
    assert response.status_code == 422
    assert response.json() == {
        "detail": [
            int_parsing(["query", "q"], "x"),
            int_parsing(["query", "z"], "y"),
            {
                "type": "string_too_short",
                "loc": ["body", "token"],
                "msg": "String should have at least 2 characters",
                "input": "t",
                "ctx": {"min_length": 2},
            },
            int_parsing(["body", "extra"], "e"),
        ]
    }


def test_a_shared_form_parameter_and_an_optional_form_model(make_client):
    app = FastAPI()

    def who(username: Annotated[str, Form()]):
        return username

    @app.post("/both")
    async def both(username: Annotated[str, Form()], same: Annotated[str, Depends(who)]):
        return [username, same]

    @app.post("/optional")
    async def optional(
        profile: Annotated[forms_app.Profile | None, Form()] = None,
    ):
        return profile

    test = make_client(app)
    assert test.post("/both", data={"username": "u"}).json() == ["u", "u"]
    assert test.post("/optional", data={"unrelated": "1"}).json() is None
    assert test.post("/optional", data={"name": "n"}).json() == {"name": "n", "age": 0, "tags": []}


def test_chunked_multipart(client):
    """A multipart body without a Content-Length, in 50-byte pieces (chunked on the wire)."""
    body = multipart([('name="username"', "", "ann"), ('name="password"', "", "abcd")])
    pieces = iter([body[i : i + 50] for i in range(0, len(body), 50)])
    response = client.post("/login", content=pieces, headers=MULTIPART)
    assert (response.status_code, response.json()) == (
        200,
        {"username": "ann", "password": "abcd", "remember": False},
    )


def test_native_server_big_upload_closed_after_and_connection_kept(forms_server):
    data = b"0123456789abcdef" * (MIB // 16 + 100)
    body = multipart([('name="file"; filename="big.bin"', "", data)])
    with forms_server.connect() as sock:
        reader = Reader(sock)
        sock.sendall(request("POST", "/upload", body, MULTIPART))
        status, _, raw = reader.response()
        answer = json.loads(raw)
        assert (status, answer["size"], answer["rolled"]) == (200, len(data), True)
        assert answer["content"].encode("latin-1") == data
        # a malformed body is a 400 that keeps the connection
        sock.sendall(request("POST", "/login", b"garbage", MULTIPART))
        status, headers, raw = reader.response()
        assert (status, json.loads(raw)) == (400, {"detail": "Invalid multipart data."})
        assert headers.get("connection") != "close"
        # the upload is closed once its response is sent (the next request may come first)
        deadline = time.monotonic() + 5
        while True:
            sock.sendall(request("GET", "/uploads/closed"))
            status, _, raw = reader.response()
            if json.loads(raw) == {"closed": [True]} or time.monotonic() > deadline:
                break
            time.sleep(0.01)
        assert (status, json.loads(raw)) == (200, {"closed": [True]})


def test_forms_under_uvicorn(tmp_path):
    with running_server("uvicorn", tmp_path, "tests.apps.forms_app:app") as info:
        http = info["client"]
        response = http.post("/login", data={"username": "ann", "password": "abc"})
        assert response.json() == {"username": "ann", "password": "abc", "remember": False}
        response = http.post("/upload", files={"file": ("a.txt", b"hi", "text/plain")})
        assert (response.status_code, response.json()["content"]) == (200, "hi")
        assert http.get("/uploads/closed").json() == {"closed": [True]}
        response = http.post("/login", content=b"x", headers=MULTIPART)
        assert (response.status_code, response.json()) == (
            400,
            {"detail": "Invalid multipart data."},
        )


# -- the OpenAPI document ---------------------------------------------------------------------

REFERENCE = Path(__file__).parent / "apps" / "openapi_forms_ref_fastapi.json"


def test_openapi_document_is_fastapis():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        app = openapi_forms_ref.build(FasterAPI)
    assert app.openapi() == json.loads(REFERENCE.read_text())


def test_openapi_without_pydantic_describes_files_too(monkeypatch):
    from FasterAPI.openapi import schemas

    monkeypatch.setattr(schemas, "_pydantic", lambda: None)
    app = FastAPI()

    @app.post("/u")
    async def u(file: UploadFile, files: list[UploadFile], name: Annotated[str, Form()] = "x"):
        return {}

    body = app.openapi()["components"]["schemas"]["Body_u_u_post"]
    assert body["properties"]["file"] == {
        "type": "string",
        "contentMediaType": "application/octet-stream",
        "title": "File",
    }
    assert body["properties"]["files"]["items"] == {
        "type": "string",
        "contentMediaType": "application/octet-stream",
    }


def test_openapi_struct_form_model():
    document = forms_app.app.openapi()
    assert document["paths"]["/signup"]["post"]["requestBody"] == {
        "required": True,
        "content": {
            "application/x-www-form-urlencoded": {"schema": {"$ref": "#/components/schemas/Signup"}}
        },
    }
    assert document["components"]["schemas"]["Signup"]["required"] == ["email"]
    # request.form() routes declare no body, as in FastAPI
    assert "requestBody" not in document["paths"]["/raw-form"]["post"]


def test_validate_default_and_default_factory_of_body_and_form_parameters(make_client):
    """validate_default (the marker's, or a pydantic Field()'s on an inferred body parameter)
    validates the default, made by its factory once per request, as FastAPI."""
    import pydantic

    made = []
    app = FastAPI()

    def factory():
        made.append(1)
        return 10

    @app.post("/form")
    def form(
        value: Annotated[forms_app.Doubled, Form(default_factory=factory, validate_default=True)],
    ):
        return value

    @app.post("/inferred")
    def inferred(
        values: Annotated[
            list[int], pydantic.Field(default_factory=list, min_length=1, validate_default=True)
        ],
    ):
        return values

    client = make_client(app)
    assert client.post("/form").json() == 20
    assert made == [1]
    assert client.post("/form", data={"value": "1"}).json() == 2
    assert made == [1]
    response = client.post("/inferred")
    assert response.status_code == 422
    assert response.json()["detail"][0]["type"] == "too_short"
    assert response.json()["detail"][0]["loc"] == ["body"]
    assert client.post("/inferred", json=[1]).json() == [1]


def test_a_forms_validation_error_keeps_the_form_as_read(make_client):
    """`RequestValidationError.body` of a form route is the form (FormData), as FastAPI
    keeps it, however the body came (whole, or parsed as it arrived), so that the docs'
    handler encoding it answers 422 even with a binary file in it."""
    from FasterAPI import Request
    from FasterAPI.encoders import jsonable_encoder
    from FasterAPI.exceptions import RequestValidationError
    from FasterAPI.responses import JSONResponse

    app = FastAPI()

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError):
        body = exc.body
        encoded = jsonable_encoder({"n": body["n"], "file": body["f"].filename})
        return JSONResponse({"type": type(body).__name__, **encoded}, status_code=422)

    @app.post("/upload")
    async def upload(f: UploadFile, n: Annotated[int, Form()]):
        return {"n": n}

    client = make_client(app)
    for content in (None, "chunked"):
        files = {"f": ("a.bin", bytes(range(256)))}
        if content is None:
            response = client.post("/upload", files=files, data={"n": "x"})
        else:
            import httpx

            request = httpx.Request("POST", "http://x/upload", files=files, data={"n": "x"})
            body = request.read()
            headers = {"content-type": request.headers["content-type"]}
            response = client.post("/upload", content=iter([body[:50], body[50:]]), headers=headers)
        assert response.status_code == 422, response.text
        assert response.json() == {"type": "FormData", "n": "x", "file": "a.bin"}
