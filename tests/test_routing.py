"""Routing: method decorators, routers, path matching, 404/405, HEAD and status codes."""

import pytest
from FasterAPI import APIRouter, FastAPI, Faster, FasterRouter

from tests.support.doors import open_client


def allow_set(response):
    return {m.strip() for m in response.headers["allow"].split(",") if m.strip()}


@pytest.fixture
def client(door):
    app = FastAPI()

    @app.get("/items")
    async def get_items():
        return {"method": "GET"}

    @app.post("/items")
    async def post_items():
        return {"method": "POST"}

    @app.put("/items")
    async def put_items():
        return {"method": "PUT"}

    @app.patch("/items")
    async def patch_items():
        return {"method": "PATCH"}

    @app.delete("/items")
    async def delete_items():
        return {"method": "DELETE"}

    @app.options("/items")
    async def options_items():
        return {"method": "OPTIONS"}

    @app.head("/items")
    async def head_items():
        return {"method": "HEAD"}

    @app.api_route("/multi", methods=["GET", "POST"])
    async def multi():
        return {"multi": True}

    @app.api_route("/with-head", methods=["GET", "HEAD"])
    async def with_head():
        return {"hello": "world"}

    @app.get("/only-get")
    async def only_get():
        return {"only": "get"}

    @app.post("/created", status_code=201)
    async def created():
        return {"created": True}

    @app.delete("/gone", status_code=204)
    async def gone():
        return None

    with open_client(app, door) as client:
        yield client


@pytest.mark.parametrize("method", ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"])
def test_each_method_decorator(client, method):
    response = client.request(method, "/items")
    assert response.status_code == 200
    assert response.json() == {"method": method}


def test_head_decorator(make_client):
    app = FastAPI()

    @app.head("/h")
    async def head_only():
        return {"ok": 1}

    client = make_client(app)
    response = client.head("/h")
    assert response.status_code == 200
    assert response.content == b""
    assert response.headers["content-type"] == "application/json"
    assert response.headers["content-length"] == "8"


def test_api_route_multiple_methods(client):
    assert client.get("/multi").json() == {"multi": True}
    assert client.post("/multi").json() == {"multi": True}
    response = client.put("/multi")
    assert response.status_code == 405
    assert response.json() == {"detail": "Method Not Allowed"}
    assert allow_set(response) >= {"GET", "POST"}


def test_head_on_get_head_route_has_empty_body_and_same_content_type(client):
    get = client.get("/with-head")
    head = client.head("/with-head")
    assert get.status_code == 200
    assert get.json() == {"hello": "world"}
    assert head.status_code == 200
    assert head.content == b""
    assert head.headers["content-type"] == get.headers["content-type"] == "application/json"


@pytest.mark.fasterapi_only
def test_head_is_implied_by_get(client):
    # FastAPI answers HEAD on a GET-only route with 405; FasterAPI serves it like GET, no body.
    get = client.get("/only-get")
    head = client.head("/only-get")
    assert head.status_code == 200
    assert head.content == b""
    assert head.headers["content-type"] == get.headers["content-type"] == "application/json"
    assert head.headers["content-length"] == get.headers["content-length"]


@pytest.mark.fasterapi_only
def test_allow_header_includes_head_when_get_allowed(client):
    response = client.post("/only-get")
    assert response.status_code == 405
    assert allow_set(response) == {"GET", "HEAD"}


def test_status_code_on_decorator(client):
    response = client.post("/created")
    assert response.status_code == 201
    assert response.json() == {"created": True}


def test_status_code_204_has_no_body(client):
    response = client.delete("/gone")
    assert response.status_code == 204
    assert response.content == b""


def test_not_found(client):
    response = client.get("/does-not-exist")
    assert response.status_code == 404
    assert response.json() == {"detail": "Not Found"}
    assert response.headers["content-type"] == "application/json"


def test_not_found_for_every_method(client):
    response = client.post("/nope/nope")
    assert response.status_code == 404
    assert response.json() == {"detail": "Not Found"}


def test_method_not_allowed_single_method(client):
    response = client.post("/only-get")
    assert response.status_code == 405
    assert response.json() == {"detail": "Method Not Allowed"}
    assert response.headers["content-type"] == "application/json"
    assert "GET" in allow_set(response)


def three_method_app():
    app = FastAPI()

    @app.get("/r")
    async def r_get():
        return {}

    @app.put("/r")
    async def r_put():
        return {}

    @app.delete("/r")
    async def r_delete():
        return {}

    return app


def test_method_not_allowed_on_path_with_several_routes(make_client):
    response = make_client(three_method_app()).post("/r")
    assert response.status_code == 405
    assert response.json() == {"detail": "Method Not Allowed"}
    # FastAPI reports only the first matching route's methods ("GET") here.
    assert "GET" in allow_set(response)
    assert "POST" not in allow_set(response)


@pytest.mark.fasterapi_only
def test_allow_header_merges_methods_of_all_routes_on_the_path(make_client):
    response = make_client(three_method_app()).post("/r")
    assert response.status_code == 405
    assert allow_set(response) >= {"GET", "PUT", "DELETE"}
    assert "POST" not in allow_set(response)


def test_router_prefix_and_tags(make_client):
    router = APIRouter(prefix="/users", tags=["users"])

    @router.get("/")
    async def list_users():
        return [{"id": 1}]

    @router.get("/{user_id}")
    async def get_user(user_id: int):
        return {"id": user_id}

    @router.post("/", status_code=201)
    async def create_user():
        return {"id": 2}

    app = FastAPI()
    app.include_router(router)
    client = make_client(app)

    assert client.get("/users/").json() == [{"id": 1}]
    assert client.get("/users/7").json() == {"id": 7}
    response = client.post("/users/")
    assert response.status_code == 201
    assert response.json() == {"id": 2}
    assert client.get("/7").status_code == 404


def test_include_router_with_prefix_argument(make_client):
    router = APIRouter()

    @router.get("/ping")
    async def ping():
        return {"pong": True}

    app = FastAPI()
    app.include_router(router, prefix="/api", tags=["misc"])
    client = make_client(app)
    assert client.get("/api/ping").json() == {"pong": True}
    assert client.get("/ping").status_code == 404


def test_nested_routers_combine_prefixes(make_client):
    items = APIRouter(prefix="/items")

    @items.get("/{item_id}")
    async def get_item(item_id: str):
        return {"item_id": item_id}

    v1 = APIRouter(prefix="/v1")
    v1.include_router(items)
    api = APIRouter(prefix="/api")
    api.include_router(v1)
    app = FastAPI()
    app.include_router(api)

    client = make_client(app)
    assert client.get("/api/v1/items/abc").json() == {"item_id": "abc"}
    assert client.get("/v1/items/abc").status_code == 404
    assert client.get("/items/abc").status_code == 404


def test_router_without_prefix_included_twice_with_different_prefixes(make_client):
    router = APIRouter()

    @router.get("/hello")
    async def hello():
        return {"hello": True}

    app = FastAPI()
    app.include_router(router, prefix="/a")
    app.include_router(router, prefix="/b")
    client = make_client(app)
    assert client.get("/a/hello").json() == {"hello": True}
    assert client.get("/b/hello").json() == {"hello": True}


def static_and_param_app(static_first):
    app = FastAPI()

    def add_static():
        @app.get("/users/me")
        async def me():
            return {"user": "me"}

    def add_param():
        @app.get("/users/{user_id}")
        async def user(user_id: str):
            return {"user_id": user_id}

    if static_first:
        add_static()
        add_param()
    else:
        add_param()
        add_static()

    return app


def test_static_segment_declared_first_wins_over_parameter(make_client):
    client = make_client(static_and_param_app(static_first=True))
    assert client.get("/users/me").json() == {"user": "me"}
    assert client.get("/users/42").json() == {"user_id": "42"}


@pytest.mark.fasterapi_only
def test_static_segment_wins_over_parameter_declared_first(make_client):
    # FastAPI matches in declaration order, so there "/users/me" would hit the parameter route.
    client = make_client(static_and_param_app(static_first=False))
    assert client.get("/users/me").json() == {"user": "me"}
    assert client.get("/users/42").json() == {"user_id": "42"}


def test_path_converter_captures_slashes(make_client):
    app = FastAPI()

    @app.get("/files/{file_path:path}")
    async def read_file(file_path: str):
        return {"file_path": file_path}

    client = make_client(app)
    assert client.get("/files/a/b/c.txt").json() == {"file_path": "a/b/c.txt"}
    assert client.get("/files/single.txt").json() == {"file_path": "single.txt"}


def test_several_path_params(make_client):
    app = FastAPI()

    @app.get("/orgs/{org}/repos/{repo}")
    async def repo(org: str, repo: str):
        return {"org": org, "repo": repo}

    client = make_client(app)
    assert client.get("/orgs/acme/repos/rocket").json() == {"org": "acme", "repo": "rocket"}


def test_path_params_are_percent_decoded(make_client):
    app = FastAPI()

    @app.get("/names/{name}")
    async def name(name: str):
        return {"name": name}

    client = make_client(app)
    assert client.get("/names/hello%20world").json() == {"name": "hello world"}


def test_add_api_route(make_client):
    app = FastAPI()

    async def endpoint():
        return {"added": True}

    app.add_api_route("/added", endpoint, methods=["GET"])
    assert make_client(app).get("/added").json() == {"added": True}


def test_sync_and_async_routes_in_router(make_client):
    router = APIRouter(prefix="/r")

    @router.get("/sync")
    def sync_route():
        return {"kind": "sync"}

    @router.get("/async")
    async def async_route():
        return {"kind": "async"}

    app = FastAPI()
    app.include_router(router)
    client = make_client(app)
    assert client.get("/r/sync").json() == {"kind": "sync"}
    assert client.get("/r/async").json() == {"kind": "async"}


@pytest.mark.fasterapi_only
def test_faster_and_faster_router_names(make_client):
    router = FasterRouter(prefix="/fr")

    @router.get("/x")
    async def x():
        return {"x": 1}

    app = Faster()
    app.include_router(router)
    client = make_client(app)
    assert client.get("/fr/x").json() == {"x": 1}
    assert isinstance(app, FastAPI)
    assert isinstance(router, APIRouter)
