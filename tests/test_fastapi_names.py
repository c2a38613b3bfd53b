"""Names FastAPI exports that FasterAPI carries too: status codes (current and deprecated),
the exceptions, fastapi.utils, fastapi.types, the concurrency helpers, Default."""

import asyncio
import contextlib
import threading

import pytest
from FasterAPI import status
from FasterAPI.concurrency import contextmanager_in_threadpool, iterate_in_threadpool
from FasterAPI.datastructures import Default, DefaultPlaceholder
from FasterAPI.exceptions import (
    DependencyScopeError,
    FastAPIDeprecationWarning,
    FastAPIError,
    HTTPException,
)
from FasterAPI.utils import (
    deep_dict_update,
    get_path_param_names,
    get_value_or_default,
    is_body_allowed_for_status_code,
)


def test_current_status_names():
    assert status.HTTP_422_UNPROCESSABLE_CONTENT == 422
    assert status.HTTP_413_CONTENT_TOO_LARGE == 413
    assert status.HTTP_414_URI_TOO_LONG == 414
    assert status.HTTP_416_RANGE_NOT_SATISFIABLE == 416
    assert status.HTTP_306_RESERVED == 306


def test_old_status_names_warn():
    with pytest.warns(FastAPIDeprecationWarning, match="HTTP_422_UNPROCESSABLE_CONTENT"):
        assert status.HTTP_422_UNPROCESSABLE_ENTITY == 422
    with pytest.raises(AttributeError):
        status.HTTP_999_NOTHING  # noqa: B018


def test_exception_classes():
    assert issubclass(DependencyScopeError, FastAPIError) and issubclass(FastAPIError, RuntimeError)
    assert issubclass(FastAPIDeprecationWarning, UserWarning)


def test_http_exception_is_starlettes_where_installed():
    starlette = pytest.importorskip("starlette.exceptions")
    exc = HTTPException(404, headers={"x": "y"})
    assert isinstance(exc, starlette.HTTPException)
    assert (exc.status_code, exc.detail, exc.headers) == (404, "Not Found", {"x": "y"})


def test_utils():
    assert not is_body_allowed_for_status_code(204)
    assert not is_body_allowed_for_status_code("304")
    assert is_body_allowed_for_status_code("2XX") and is_body_allowed_for_status_code(None)
    assert get_path_param_names("/a/{b}/c/{d:path}") == {"b", "d:path"}
    main = {"a": {"x": 1}, "l": [1], "s": 1}
    deep_dict_update(main, {"a": {"y": 2}, "l": [2], "s": 2})
    assert main == {"a": {"x": 1, "y": 2}, "l": [1, 2], "s": 2}
    assert get_value_or_default(Default(1), 2) == 2
    assert get_value_or_default(Default(1), Default(2)) == Default(1)
    assert isinstance(Default(None), DefaultPlaceholder) and not Default(None)


def test_iterate_in_threadpool_runs_next_in_a_thread():
    threads = []

    def numbers():
        for n in range(3):
            threads.append(threading.current_thread())
            yield n

    async def collect():
        return [n async for n in iterate_in_threadpool(numbers())]

    assert asyncio.run(collect()) == [0, 1, 2]
    assert threading.main_thread() not in threads


def test_contextmanager_in_threadpool_enters_and_exits_in_a_thread():
    events = []

    @contextlib.contextmanager
    def resource():
        events.append(("enter", threading.current_thread() is threading.main_thread()))
        try:
            yield "r"
        finally:
            events.append(("exit", threading.current_thread() is threading.main_thread()))

    async def use(fail: bool):
        async with contextmanager_in_threadpool(resource()) as value:
            assert value == "r"
            if fail:
                raise KeyError("x")

    asyncio.run(use(False))
    with pytest.raises(KeyError):
        asyncio.run(use(True))
    assert events == [("enter", False), ("exit", False)] * 2


def test_orjson_and_ujson_responses_are_deprecated_json_responses(make_client):
    from FasterAPI import FastAPI
    from FasterAPI.responses import ORJSONResponse, UJSONResponse

    app = FastAPI(default_response_class=ORJSONResponse)

    @app.get("/")
    def items():
        return {"a": [1, 2]}

    for cls in (ORJSONResponse, UJSONResponse):
        with pytest.warns(FastAPIDeprecationWarning, match=f"{cls.__name__} is deprecated"):
            assert cls({"x": 1}).body == b'{"x":1}'
    client = make_client(app)
    with pytest.warns(FastAPIDeprecationWarning):
        response = client.get("/")
    assert response.json() == {"a": [1, 2]}
    assert response.headers["content-type"] == "application/json"


def test_jsonable_encoder_takes_fastapis_options():
    import dataclasses
    import datetime
    import math

    import msgspec
    from FasterAPI.encoders import jsonable_encoder

    @dataclasses.dataclass
    class Point:
        x: int
        y: int | None = None

    class Tag(msgspec.Struct):
        name: str

    class Dictable:
        def __init__(self) -> None:
            self.name, self._sa_state = "d", object()

    value = {"p": Point(1), "t": [Tag("a")], "when": datetime.date(2026, 1, 2), "n": None}
    assert jsonable_encoder(value) == {
        "p": {"x": 1, "y": None},
        "t": [{"name": "a"}],
        "when": "2026-01-02",
        "n": None,
    }
    assert jsonable_encoder(value, exclude_none=True, include={"p", "n"}) == {"p": {"x": 1}}
    assert jsonable_encoder(Point(1, 2), exclude={"y"}) == {"x": 1}
    assert jsonable_encoder(Dictable()) == {"name": "d"}  # sqlalchemy_safe drops _sa keys
    assert math.isnan(jsonable_encoder(float("nan")))
    assert jsonable_encoder(3, custom_encoder={int: str}) == "3"
    with pytest.raises(ValueError):
        jsonable_encoder(object())


def test_a_response_model_nothing_can_validate_is_refused_at_registration():
    from FasterAPI import FastAPI
    from FasterAPI.exceptions import FastAPIError

    class NotAModel:
        pass

    app = FastAPI()
    for model in (NotAModel, list[NotAModel]):
        with pytest.raises(FastAPIError, match="response_model=None"):
            app.get("/", response_model=model)(lambda: None)


def test_pydantic_v1_models_are_refused_at_registration():
    import warnings

    from FasterAPI import FastAPI
    from FasterAPI.exceptions import PydanticV1NotSupportedError

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from pydantic.v1 import BaseModel

    class Old(BaseModel):
        name: str

    app = FastAPI()
    with pytest.raises(PydanticV1NotSupportedError, match="Old"):

        @app.get("/")
        def endpoint() -> list[Old]:
            return []


def test_models_fastapi_refuses_in_responses_and_parameters_are_refused_at_registration():
    import warnings

    from FasterAPI import FastAPI
    from FasterAPI.exceptions import FastAPIError, PydanticV1NotSupportedError

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from pydantic.v1 import BaseModel

    class Old(BaseModel):
        name: str

    class NotAModel:
        pass

    app = FastAPI()
    with pytest.raises(FastAPIError):
        app.get("/a", responses={500: {"model": list[NotAModel]}})(lambda: None)
    with pytest.raises(PydanticV1NotSupportedError):
        app.get("/b", responses={400: {"model": Old}})(lambda: None)
    with pytest.raises(PydanticV1NotSupportedError):

        @app.post("/c")
        def takes(items: list[Old]):
            return items


def _says_where(text: str) -> None:
    assert text.startswith("1 validation error:\n  {'type': 'int_parsing'")
    assert 'error_context_app.py", line ' in text and "in get_user" in text
    assert text.endswith("GET /users/{user_id}")


def test_a_validation_error_names_its_endpoint(make_client):
    from tests.apps.error_context_app import app

    response = make_client(app).get("/users/abc")
    assert response.status_code == 422
    _says_where(response.text)


def test_a_plain_object_returned_is_written_as_its_attributes(make_client):
    from FasterAPI import FastAPI

    class Credentials:
        def __init__(self) -> None:
            self.username, self.scopes = "ann", ["read"]

    app = FastAPI()

    @app.get("/")
    def plain():
        return Credentials()

    assert make_client(app).get("/").json() == {"username": "ann", "scopes": ["read"]}


def test_fastapis_default_placeholders_mean_not_given(make_client):
    """Code written for FastAPI (strawberry's GraphQLRouter) passes Default(...) for options
    it leaves to the defaults."""
    from FasterAPI import APIRouter, FastAPI
    from FasterAPI.responses import HTMLResponse, JSONResponse
    from FasterAPI.routing import generate_unique_id

    router = APIRouter(
        default_response_class=Default(JSONResponse),
        generate_unique_id_function=Default(generate_unique_id),
    )

    @router.get("/a", response_class=Default(JSONResponse))
    def a():
        return "<b>a</b>"

    app = FastAPI(default_response_class=HTMLResponse)
    app.include_router(router, default_response_class=Default(JSONResponse))
    response = make_client(app).get("/a")
    assert response.headers["content-type"].startswith("text/html")  # the app's, as FastAPI
    assert app.openapi()["paths"]["/a"]["get"]["operationId"] == "a_a_get"


def test_the_version_is_written_once():
    """Cargo's workspace version is the package's (maturin's dynamic version) and
    FasterAPI.__version__ (from the extension)."""
    import importlib.metadata
    import tomllib
    from pathlib import Path

    import FasterAPI

    root = Path(__file__).resolve().parent.parent
    cargo = tomllib.loads((root / "Cargo.toml").read_text())["workspace"]["package"]["version"]
    assert FasterAPI.__version__ == cargo == importlib.metadata.version("fasterapi-rs")
    assert "version" not in tomllib.loads((root / "pyproject.toml").read_text())["project"]
