"""Errors: HTTPException, exception handlers (by MRO), validation handlers and 500s."""

import os

import pytest
from FasterAPI import Depends, FastAPI, HTTPException, Request, status
from FasterAPI.exceptions import HTTPException as ExceptionsHTTPException
from FasterAPI.exceptions import RequestValidationError
from FasterAPI.responses import JSONResponse, PlainTextResponse
from FasterAPI.testclient import TestClient
from pydantic import BaseModel


class AppError(Exception):
    def __init__(self, code: str):
        self.code = code


class NotFoundError(AppError):
    pass


class Unregistered(Exception):
    pass


def test_http_exception_names_are_the_same():
    assert HTTPException is ExceptionsHTTPException


def test_http_exception_detail_and_headers(make_client):
    app = FastAPI()

    @app.get("/item")
    async def item():
        raise HTTPException(status_code=404, detail="Nope", headers={"X-E": "1"})

    response = make_client(app).get("/item")
    assert response.status_code == 404
    assert response.json() == {"detail": "Nope"}
    assert response.headers["x-e"] == "1"
    assert response.headers["content-type"] == "application/json"


@pytest.mark.parametrize(
    "detail",
    [
        {"code": "E1", "fields": ["a", "b"]},
        [{"msg": "first"}, {"msg": "second"}],
        None,
    ],
)
def test_http_exception_structured_detail(make_client, detail):
    app = FastAPI()

    @app.get("/x")
    async def x():
        raise HTTPException(status_code=status.HTTP_409_CONFLICT, detail=detail)

    response = make_client(app).get("/x")
    assert response.status_code == 409
    expected = "Conflict" if detail is None else detail
    assert response.json() == {"detail": expected}


def test_http_exception_default_detail_is_status_phrase(make_client):
    app = FastAPI()

    @app.get("/x")
    async def x():
        raise HTTPException(status_code=403)

    response = make_client(app).get("/x")
    assert response.status_code == 403
    assert response.json() == {"detail": "Forbidden"}


def test_http_exception_from_sync_handler(make_client):
    app = FastAPI()

    @app.get("/x")
    def x():
        raise HTTPException(status_code=401, detail="Login", headers={"WWW-Authenticate": "Bearer"})

    response = make_client(app).get("/x")
    assert response.status_code == 401
    assert response.json() == {"detail": "Login"}
    assert response.headers["www-authenticate"] == "Bearer"


def test_custom_http_exception_handler_with_decorator(make_client):
    app = FastAPI()

    @app.exception_handler(HTTPException)
    async def handler(request: Request, exc: HTTPException):
        return JSONResponse(
            {"error": exc.detail, "path": request.url.path},
            status_code=exc.status_code,
            headers={"X-Handled": "yes"},
        )

    @app.get("/x")
    async def x():
        raise HTTPException(status_code=418, detail="teapot")

    client = make_client(app)
    response = client.get("/x")
    assert response.status_code == 418
    assert response.json() == {"error": "teapot", "path": "/x"}
    assert response.headers["x-handled"] == "yes"


def test_add_exception_handler_for_http_exception(make_client):
    app = FastAPI()

    async def handler(request: Request, exc: HTTPException):
        return PlainTextResponse(f"custom {exc.status_code}", status_code=exc.status_code)

    app.add_exception_handler(HTTPException, handler)

    @app.get("/missing-item")
    async def missing_item():
        raise HTTPException(status_code=404, detail="no item")

    response = make_client(app).get("/missing-item")
    assert response.status_code == 404
    assert response.text == "custom 404"


def test_validation_error_handler(make_client):
    app = FastAPI()

    @app.exception_handler(RequestValidationError)
    async def handler(request: Request, exc: RequestValidationError):
        errors = exc.errors()
        return JSONResponse(
            {
                "count": len(errors),
                "types": [e["type"] for e in errors],
                "locs": [list(e["loc"]) for e in errors],
            },
            status_code=400,
        )

    @app.get("/v")
    async def v(a: int, b: int):
        return {}

    response = make_client(app).get("/v", params={"a": "x"})
    assert response.status_code == 400
    assert response.json() == {
        "count": 2,
        "types": ["int_parsing", "missing"],
        "locs": [["query", "a"], ["query", "b"]],
    }


def test_add_exception_handler_for_validation_error(make_client):
    app = FastAPI()

    def handler(request: Request, exc: RequestValidationError):
        return JSONResponse({"first_msg": exc.errors()[0]["msg"]}, status_code=422)

    app.add_exception_handler(RequestValidationError, handler)

    @app.get("/v")
    async def v(a: int):
        return {}

    response = make_client(app).get("/v")
    assert response.status_code == 422
    assert response.json() == {"first_msg": "Field required"}


def test_exception_handlers_constructor_argument(make_client):
    async def handler(request: Request, exc: AppError):
        return JSONResponse({"code": exc.code}, status_code=400)

    app = FastAPI(exception_handlers={AppError: handler})

    @app.get("/x")
    async def x():
        raise AppError("E42")

    response = make_client(app).get("/x")
    assert response.status_code == 400
    assert response.json() == {"code": "E42"}


def mro_app():
    app = FastAPI()

    @app.exception_handler(AppError)
    async def app_error_handler(request: Request, exc: AppError):
        return JSONResponse(
            {"handler": "AppError", "cls": type(exc).__name__, "code": exc.code},
            status_code=400,
        )

    @app.get("/base")
    async def base():
        raise AppError("base")

    @app.get("/sub")
    async def sub():
        raise NotFoundError("sub")

    @app.get("/sync-sub")
    def sync_sub():
        raise NotFoundError("sync")

    return app


def test_custom_exception_handler(make_client):
    response = make_client(mro_app()).get("/base")
    assert response.status_code == 400
    assert response.json() == {"handler": "AppError", "cls": "AppError", "code": "base"}


def test_base_class_handler_handles_subclass(make_client):
    client = make_client(mro_app())
    response = client.get("/sub")
    assert response.status_code == 400
    assert response.json() == {"handler": "AppError", "cls": "NotFoundError", "code": "sub"}
    response = client.get("/sync-sub")
    assert response.json() == {"handler": "AppError", "cls": "NotFoundError", "code": "sync"}


def test_most_specific_handler_wins(make_client):
    app = mro_app()

    async def not_found_handler(request: Request, exc: NotFoundError):
        return JSONResponse({"handler": "NotFoundError", "code": exc.code}, status_code=404)

    app.add_exception_handler(NotFoundError, not_found_handler)
    client = make_client(app)
    response = client.get("/sub")
    assert response.status_code == 404
    assert response.json() == {"handler": "NotFoundError", "code": "sub"}
    assert client.get("/base").json()["handler"] == "AppError"


def test_handler_for_status_code(make_client):
    app = FastAPI()

    @app.exception_handler(404)
    async def not_found(request: Request, exc: Exception):
        return JSONResponse({"missing": request.url.path}, status_code=404)

    response = make_client(app).get("/nowhere")
    assert response.status_code == 404
    assert response.json() == {"missing": "/nowhere"}


def crashing_app():
    app = FastAPI()

    @app.get("/boom")
    async def boom():
        raise Unregistered("kaboom")

    @app.get("/sync-boom")
    def sync_boom():
        raise Unregistered("sync kaboom")

    @app.get("/fine")
    async def fine():
        return {"fine": True}

    return app


@pytest.mark.parametrize("path", ["/boom", "/sync-boom"])
def test_unhandled_exception_is_500_and_server_keeps_working(make_client, path):
    client = make_client(crashing_app(), raise_server_exceptions=False)
    response = client.get(path)
    assert response.status_code == 500
    assert "kaboom" not in response.text
    following = client.get("/fine")
    assert following.status_code == 200
    assert following.json() == {"fine": True}


def test_unhandled_exception_body_in_fastapi_is_plain_text(make_client):
    # What FastAPI (Starlette's ServerErrorMiddleware) sends; FasterAPI sends JSON instead.
    if not os.environ.get("FASTERAPI_SHIM"):
        pytest.skip("documents FastAPI's observed body; FasterAPI sends JSON")
    client = make_client(crashing_app(), raise_server_exceptions=False)
    response = client.get("/boom")
    assert response.status_code == 500
    assert response.text == "Internal Server Error"
    assert response.headers["content-type"] == "text/plain; charset=utf-8"


@pytest.mark.fasterapi_only
@pytest.mark.parametrize("path", ["/boom", "/sync-boom"])
def test_unhandled_exception_body_is_json(make_client, path):
    client = make_client(crashing_app(), raise_server_exceptions=False)
    response = client.get(path)
    assert response.status_code == 500
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {"detail": "Internal Server Error"}
    assert client.get("/fine").json() == {"fine": True}


@pytest.mark.parametrize("path", ["/boom", "/sync-boom"])
def test_unhandled_exception_propagates_by_default(path):
    # The ASGI door only: TestClient raises the server's exception into the test (a server
    # answers 500, as test_unhandled_exception_is_500_and_server_keeps_working checks on both).
    client = TestClient(crashing_app())
    with pytest.raises(Unregistered):
        client.get(path)
    assert client.get("/fine").json() == {"fine": True}


def test_handler_registered_for_exception_catches_unhandled(make_client):
    app = crashing_app()

    @app.exception_handler(Exception)
    async def catch_all(request: Request, exc: Exception):
        return JSONResponse({"caught": type(exc).__name__}, status_code=500)

    client = make_client(app, raise_server_exceptions=False)
    response = client.get("/boom")
    assert response.status_code == 500
    assert response.json() == {"caught": "Unregistered"}


@pytest.mark.parametrize("with_dependency", [False, True], ids=["plain", "with-dependency"])
@pytest.mark.parametrize(
    ("content", "body"),
    [
        (b'{"name": "towel", "size": "XL"}', {"name": "towel", "size": "XL"}),
        (b"", None),
        (b"null", None),
        (b'{"name": ', '{"name": '),
    ],
    ids=["json", "empty", "null", "invalid"],
)
def test_a_validation_error_keeps_the_body_as_fastapi_does(
    make_client, with_dependency, content, body
):
    """`exc.body`: what a JSON body holds (its text when it is not JSON), None when empty."""

    class Item(BaseModel):
        name: str
        size: int

    app = FastAPI()

    @app.exception_handler(RequestValidationError)
    async def keep_body(request: Request, exc: RequestValidationError):
        return JSONResponse({"body": exc.body}, status_code=422)

    async def nothing():
        return None

    @app.post("/items", dependencies=[Depends(nothing)] if with_dependency else [])
    async def create(item: Item):
        return item

    headers = {"content-type": "application/json"}
    response = make_client(app).post("/items", content=content, headers=headers)
    assert (response.status_code, response.json()) == (422, {"body": body})
