"""Every keyword FastAPI 0.165 accepts is accepted here too, or refused with an error that
names it: the signatures of FastAPI's app, routers, routes, route decorators, param
functions and Depends/Security are read from FastAPI's source distribution (fetched once
into ~/.cache/fasterapi-compat, as `make compat` does) and compared with FasterAPI's."""

import ast
import importlib.util
import inspect
import sys
from pathlib import Path

import pytest
from FasterAPI import FastAPI, applications, param_functions, routing


def _compat_runner():
    """compat/run.py, which fetches FastAPI's sdist (for `make compat`)."""
    path = Path(__file__).resolve().parent.parent / "compat" / "run.py"
    spec = importlib.util.spec_from_file_location("fasterapi_compat_run", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


pytestmark = pytest.mark.fasterapi_only

METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
ROUTE_METHODS = (*METHODS, "api_route", "add_api_route", "include_router", "websocket")
ROUTE_METHODS += ("add_api_websocket_route",)
#: FastAPI's keywords that FasterAPI refuses, with the error it raises and why.
REFUSED = {
    ("FastAPI.__init__", "telemetry"): NotImplementedError,  # FastAPI's native OpenTelemetry
    ("APIRouter.__init__", "default"): NotImplementedError,  # a router is not an ASGI app
}


@pytest.fixture(scope="module")
def fastapi_source() -> Path:
    return _compat_runner().fetch_suite() / "fastapi-src-unused"


def fastapi_keywords(source: Path, module: str, qualname: str) -> list[str]:
    """The parameter names of `qualname` in FastAPI's `module`, read from its source."""
    body = ast.parse((source / module).read_text()).body
    node: ast.AST | None = None
    for part in qualname.split("."):
        node = next(
            n for n in body if isinstance(n, ast.ClassDef | ast.FunctionDef) and n.name == part
        )
        body = node.body
    args = node.args  # type: ignore[union-attr]
    names = [a.arg for a in [*args.posonlyargs, *args.args, *args.kwonlyargs]]
    return [name for name in names if name not in ("self", "cls")]


def accepted(function) -> set[str]:
    """The keywords `function` takes: its own, and where it passes **kwargs on to the same
    method of a base class (Query -> Param, FastAPI -> APIRouter), the base's too."""
    signature = inspect.signature(function)
    names = set(signature.parameters)
    if any(p.kind is p.VAR_KEYWORD for p in signature.parameters.values()):
        owner_name, _, method = function.__qualname__.rpartition(".")
        owner = getattr(sys.modules[function.__module__], owner_name, None)
        for base in getattr(owner, "__mro__", ())[1:]:
            if method in vars(base):
                return names | accepted(vars(base)[method])
    return names


def pairs():
    yield "applications.py", "FastAPI.__init__", applications.Faster.__init__
    yield "routing.py", "APIRouter.__init__", routing.APIRouter.__init__
    yield "routing.py", "APIRoute.__init__", routing.APIRoute.__init__
    for name in ROUTE_METHODS:
        yield "applications.py", f"FastAPI.{name}", getattr(applications.Faster, name)
        yield "routing.py", f"APIRouter.{name}", getattr(routing.APIRouter, name)
    for name in ("Path", "Query", "Header", "Cookie", "Body", "Form", "File"):
        yield "param_functions.py", name, getattr(param_functions, name).__init__
    for name in ("Depends", "Security"):
        yield "param_functions.py", name, getattr(param_functions, name)


@pytest.mark.parametrize(("module", "qualname", "ours"), list(pairs()), ids=lambda v: str(v))
def test_every_fastapi_keyword_is_taken(fastapi_source, module, qualname, ours):
    theirs = fastapi_keywords(fastapi_source, module, qualname)
    missing = [
        name for name in theirs if name not in accepted(ours) and (qualname, name) not in REFUSED
    ]
    assert missing == [], f"{qualname} does not take FastAPI's {missing}"


def test_keywords_fastapi_has_and_fasterapi_refuses_say_so():
    with pytest.raises(NotImplementedError, match="telemetry"):
        FastAPI(telemetry={"tracing": False})
    with pytest.raises(NotImplementedError, match="default="):
        routing.APIRouter(default=lambda scope, receive, send: None)


@pytest.mark.parametrize(
    "declare",
    [
        lambda app: app.get("/", bogus=1),
        lambda app: app.api_route("/", bogus=1),
        lambda app: app.add_api_route("/", lambda: None, bogus=1),
        lambda app: app.include_router(routing.APIRouter(), bogus=1),
        lambda app: routing.APIRouter(bogus=1),
        lambda app: FastAPI(bogus=1),
        lambda app: param_functions.Query(bogus=1),
        lambda app: param_functions.Form(bogus=1),
        lambda app: param_functions.Depends(bogus=1),
    ],
)
def test_an_unknown_keyword_is_a_type_error_naming_it(declare):
    with pytest.raises(TypeError, match="bogus"):
        declare(FastAPI())


def test_the_decorators_show_their_keywords():
    parameters = inspect.signature(FastAPI().get).parameters
    assert list(parameters)[:2] == ["path", "response_model"]
    assert parameters["status_code"].default is None
    assert "threadpool" in parameters and "methods" not in parameters
    assert "methods" in inspect.signature(FastAPI().api_route).parameters
