"""OpenAPI: the document `app.openapi()` makes (the same as FastAPI's for the same app), its
routes (/openapi.json, /docs, /docs/oauth2-redirect, /redoc) and their options, msgspec
models; the pages fetched through both doors, and the native server's root_path option over raw
sockets."""

import json
import warnings
from pathlib import Path
from typing import Annotated

import FasterAPI
import msgspec
import pytest
from FasterAPI import Depends, FastAPI, HTTPException, Query
from FasterAPI.exceptions import FastAPIDeprecationWarning
from FasterAPI.openapi import schemas
from FasterAPI.openapi.docs import get_swagger_ui_html
from FasterAPI.openapi.utils import get_openapi

from tests.apps import openapi_ref
from tests.support.doors import open_client
from tests.support.raw_http import Reader
from tests.support.servers import native_server

REFERENCE = Path(__file__).parent / "apps" / "openapi_ref_fastapi.json"

pytestmark = pytest.mark.fasterapi_only


def reference_app():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the reference app repeats operation ids on purpose
        app = openapi_ref.build(FasterAPI)
        app.openapi()
    return app


def test_the_document_is_fastapis_for_the_same_app():
    expected = json.loads(REFERENCE.read_text())
    assert reference_app().openapi() == expected


def test_openapi_json_is_served_and_the_same_document(door):
    app = reference_app()
    with open_client(app, door) as client:
        response = client.get("/openapi.json")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.json() == json.loads(REFERENCE.read_text())


def test_docs_pages_point_at_the_schema(door):
    app = FastAPI(title="Shop <API>")
    with open_client(app, door) as client:
        docs = client.get("/docs")
        redoc = client.get("/redoc")
        redirect = client.get("/docs/oauth2-redirect")
    assert docs.status_code == 200
    assert docs.headers["content-type"] == "text/html; charset=utf-8"
    assert "url: '/openapi.json'" in docs.text
    assert "oauth2RedirectUrl: window.location.origin + '/docs/oauth2-redirect'" in docs.text
    assert "swagger-ui-bundle.js" in docs.text
    assert "<title>Shop &lt;API&gt; - Swagger UI</title>" in docs.text
    assert redoc.status_code == 200
    assert '<redoc spec-url="/openapi.json">' in redoc.text
    assert "<title>Shop &lt;API&gt; - ReDoc</title>" in redoc.text
    assert redirect.status_code == 200
    assert "swaggerUIRedirectOauth2" in redirect.text


def test_the_docs_routes_are_not_in_the_schema():
    app = FastAPI()

    @app.get("/ping")
    async def ping():
        return "pong"

    assert list(app.openapi()["paths"]) == ["/ping"]
    assert "components" not in app.openapi()  # no parameters: no validation error schemas


def test_custom_urls_and_turning_pages_off(door):
    app = FastAPI(openapi_url="/api/schema.json", docs_url="/api/docs", redoc_url=None)
    with open_client(app, door) as client:
        assert client.get("/api/schema.json").json()["info"] == {
            "title": "FastAPI",
            "version": "0.1.0",
        }
        assert "url: '/api/schema.json'" in client.get("/api/docs").text
        assert client.get("/redoc").status_code == 404
        assert client.get("/openapi.json").status_code == 404

    no_schema = FastAPI(openapi_url=None)
    with open_client(no_schema, door) as client:
        for url in ("/openapi.json", "/docs", "/redoc", "/docs/oauth2-redirect"):
            assert client.get(url).status_code == 404, url


def test_swagger_ui_parameters_and_oauth_settings(door):
    app = FastAPI(
        swagger_ui_parameters={"deepLinking": False, "syntaxHighlight": {"theme": "obsidian"}},
        swagger_ui_init_oauth={"clientId": "my-client"},
        swagger_ui_oauth2_redirect_url=None,
    )
    with open_client(app, door) as client:
        page = client.get("/docs").text
        assert client.get("/docs/oauth2-redirect").status_code == 404
    assert '"deepLinking": false' in page
    assert '"syntaxHighlight": {"theme": "obsidian"}' in page
    assert 'ui.initOAuth({"clientId": "my-client"});' in page
    assert "oauth2RedirectUrl" not in page


def test_script_in_settings_cannot_close_the_script_element():
    page = get_swagger_ui_html(
        openapi_url="/o.json", title="t", swagger_ui_parameters={"x": "</script><b>"}
    ).body.decode()
    assert "</script><b>" not in page
    assert '"x": "\\u003c/script\\u003e\\u003cb\\u003e"' in page


def test_root_path_goes_into_servers_and_the_pages(door):
    with pytest.warns(FastAPIDeprecationWarning, match="root_path"):  # as in FastAPI 0.165
        app = FastAPI(root_path="/api/v1")

    @app.get("/ping")
    async def ping():
        return "pong"

    with open_client(app, door) as client:
        schema = client.get("/openapi.json").json()
        docs = client.get("/docs").text
    assert schema["servers"] == [{"url": "/api/v1"}]
    assert "url: '/api/v1/openapi.json'" in docs
    assert app.openapi().get("servers") is None  # the kept document is not changed

    with pytest.warns(FastAPIDeprecationWarning):
        listed = FastAPI(root_path="/api/v1", servers=[{"url": "/api/v1"}])
    with open_client(listed, door) as client:
        assert client.get("/openapi.json").json()["servers"] == [{"url": "/api/v1"}]
    with pytest.warns(FastAPIDeprecationWarning):
        off = FastAPI(root_path="/api/v1", root_path_in_servers=False)
    with open_client(off, door) as client:
        assert "servers" not in client.get("/openapi.json").json()


def test_app_dependencies_do_not_guard_the_docs(door):
    def token(x_token: Annotated[str, FasterAPI.Header()]):
        if x_token != "secret":
            raise HTTPException(401, "no")

    app = FastAPI(dependencies=[Depends(token)])

    @app.get("/data")
    async def data():
        return 1

    with open_client(app, door) as client:
        assert client.get("/data").status_code == 422
        assert client.get("/docs").status_code == 200
        schema = client.get("/openapi.json").json()
    # The app's dependency's header is documented on the route it guards.
    params = schema["paths"]["/data"]["get"]["parameters"]
    assert params == [
        {
            "name": "x-token",
            "in": "header",
            "required": True,
            "schema": {"type": "string", "title": "X-Token"},
        }
    ]


def test_the_document_is_kept_and_can_be_replaced(door):
    app = FastAPI()

    @app.get("/a")
    async def a():
        return 1

    first = app.openapi()
    assert app.openapi() is first

    def custom_openapi():
        schema = get_openapi(title="Custom", version="9", routes=app.routes)
        schema["info"]["x-logo"] = {"url": "logo.png"}
        return schema

    app.openapi = custom_openapi
    with open_client(app, door) as client:
        info = client.get("/openapi.json").json()["info"]
    assert info == {"title": "Custom", "version": "9", "x-logo": {"url": "logo.png"}}


class Part(msgspec.Struct):
    """A part of a machine."""

    name: Annotated[str, msgspec.Meta(min_length=1)]
    weight: float = 1.0
    tags: list[str] = []


class Box(msgspec.Struct):
    parts: list[Part]
    label: str | None = None


def struct_app():
    app = FastAPI()

    @app.post("/boxes", status_code=201)
    async def pack(box: Box, fragile: bool = False) -> Box:
        return box

    @app.get("/parts")
    async def parts(limit: Annotated[int, Query(ge=1, le=50)] = 10) -> list[Part]:
        return []

    return app


def test_msgspec_structs_are_components():
    schema = struct_app().openapi()
    components = schema["components"]["schemas"]
    assert components["Part"] == {
        "title": "Part",
        "description": "A part of a machine.",
        "type": "object",
        "properties": {
            "name": {"type": "string", "minLength": 1},
            "weight": {"type": "number", "default": 1.0},
            "tags": {"type": "array", "items": {"type": "string"}, "default": []},
        },
        "required": ["name"],
    }
    assert components["Box"]["properties"]["parts"] == {
        "type": "array",
        "items": {"$ref": "#/components/schemas/Part"},
    }
    post = schema["paths"]["/boxes"]["post"]
    assert post["requestBody"] == {
        "required": True,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Box"}}},
    }
    assert post["responses"]["201"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Box"
    }
    assert post["parameters"][0]["schema"] == {
        "type": "boolean",
        "default": False,
        "title": "Fragile",
    }
    get = schema["paths"]["/parts"]["get"]
    assert get["responses"]["200"]["content"]["application/json"]["schema"] == {
        "type": "array",
        "items": {"$ref": "#/components/schemas/Part"},
        "title": "Response Parts Parts Get",
    }
    assert get["parameters"][0]["schema"] == {
        "type": "integer",
        "maximum": 50,
        "minimum": 1,
        "default": 10,
        "title": "Limit",
    }


def test_without_pydantic_msgspec_describes_everything(monkeypatch):
    monkeypatch.setattr(schemas, "_pydantic", lambda: None)
    app = struct_app()

    @app.get("/find")
    async def find(q: Annotated[str | None, Query(max_length=5, description="text")] = None):
        return q

    schema = app.openapi()
    assert set(schema["components"]["schemas"]) == {
        "Box",
        "Part",
        "HTTPValidationError",
        "ValidationError",
    }
    assert schema["paths"]["/find"]["get"]["parameters"] == [
        {
            "name": "q",
            "in": "query",
            "required": False,
            "schema": {
                "anyOf": [
                    {"type": "string", "maxLength": 5, "description": "text"},
                    {"type": "null"},
                ],
                "title": "Q",
            },
            "description": "text",
        }
    ]
    assert schema["paths"]["/parts"]["get"]["parameters"][0]["schema"] == {
        "type": "integer",
        "maximum": 50,
        "minimum": 1,
        "default": 10,
        "title": "Limit",
    }


class Opaque:
    """A class neither pydantic nor msgspec can describe."""


def test_a_type_without_a_schema_is_documented_as_anything(caplog):
    builder = schemas.SchemaBuilder()
    opaque = builder.add(Opaque, "serialization", title="Response Thing")
    numbers = builder.add(list[int], "serialization", title="Response Numbers")
    builder.build()
    assert builder.schema(opaque) == {"title": "Response Thing"}
    assert builder.schema(numbers) == {
        "type": "array",
        "items": {"type": "integer"},
        "title": "Response Numbers",
    }
    assert "no JSON schema for" in caplog.text


def test_routes_with_several_methods_and_websockets():
    app = FastAPI()

    @app.api_route("/multi", methods=["GET", "POST"])
    async def multi():
        return {}

    @app.websocket("/ws")
    async def ws(websocket: FasterAPI.WebSocket):
        await websocket.accept()

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        paths = app.openapi()["paths"]
    assert list(paths) == ["/multi"]  # WebSocket routes are not described
    assert set(paths["/multi"]) == {"get", "post"}
    # One operation id for both methods, as FastAPI gives (and warns about).
    assert paths["/multi"]["get"]["operationId"] == paths["/multi"]["post"]["operationId"]
    assert any("Duplicate Operation ID" in str(w.message) for w in caught)


def test_operation_ids_summaries_and_descriptions():
    app = FastAPI()

    @app.get("/a", operation_id="getA", summary="Get an A", description="All about A")
    async def a():
        """Not this."""

    @app.get("/b/{b_id}", generate_unique_id_function=lambda route: f"custom-{route.name}")
    async def read_b(b_id: int):
        """Reads a B.

        \f
        :param b_id: for Sphinx only
        """

    paths = app.openapi()["paths"]
    assert paths["/a"]["get"]["operationId"] == "getA"
    assert paths["/a"]["get"]["summary"] == "Get an A"
    assert paths["/a"]["get"]["description"] == "All about A"
    assert paths["/b/{b_id}"]["get"]["operationId"] == "custom-read_b"
    assert paths["/b/{b_id}"]["get"]["summary"] == "Read B"
    assert paths["/b/{b_id}"]["get"]["description"] == "Reads a B."


# -- the native server ------------------------------------------------------------------------


def get(server, path: str) -> tuple[int, dict[str, str], bytes]:
    sock = server.connect()
    try:
        sock.sendall(f"GET {path} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
        return Reader(sock).response()
    finally:
        sock.close()


def test_root_path_on_the_native_server(tmp_path):
    with native_server(tmp_path, root_path="/prefix") as server:
        status, _, body = get(server, "/openapi.json")
        assert status == 200
        assert json.loads(body)["servers"] == [{"url": "/prefix"}]
        status, _, body = get(server, "/docs")
        assert b"url: '/prefix/openapi.json'" in body


def test_an_additional_response_key_that_is_no_status_is_an_error(make_client):
    app = FastAPI()

    @app.get("/a", responses={"hello": {"description": "Not a status"}})
    async def a():
        return {}

    with pytest.raises(ValueError, match="'hello': not a status code"):
        app.openapi()
    assert make_client(app).get("/a").status_code == 200


def test_a_default_factory_is_not_shown_as_a_default(make_client):
    app = FastAPI()

    @app.get("/items")
    def items(tags: list[str] = Query(default_factory=lambda: ["new"]), page: int = 1):
        return tags

    schemas = [p["schema"] for p in app.openapi()["paths"]["/items"]["get"]["parameters"]]
    assert "default" not in schemas[0]
    assert schemas[1]["default"] == 1
    assert make_client(app).get("/items").json() == ["new"]


def test_a_validation_alias_is_the_name_read_and_documented(make_client):
    app = FastAPI()

    @app.post("/items")
    def items(
        q: str = Query(alias="q_alias", validation_alias="q_wire"),
        p: str = FasterAPI.Body(embed=True, alias="p_alias", validation_alias="p_wire"),
    ):
        return {"q": q, "p": p}

    client = make_client(app)
    ok = client.post("/items", params={"q_wire": "a"}, json={"p_wire": "b"})
    assert ok.status_code == 200
    assert ok.json() == {"q": "a", "p": "b"}
    missing = client.post("/items", params={"q_alias": "a"}, json={"p_alias": "b"})
    assert missing.status_code == 422
    assert [e["loc"] for e in missing.json()["detail"]] == [
        ["query", "q_wire"],
        ["body", "p_wire"],
    ]
    document = app.openapi()
    assert document["paths"]["/items"]["post"]["parameters"][0]["name"] == "q_wire"
    body = document["components"]["schemas"]["Body_items_items_post"]
    assert list(body["properties"]) == ["p_wire"]
