"""redirect_slashes, as Starlette's router does it (on by default): a request no route
matches, whose path with its trailing '/' added (or taken off) has a route (for any method),
gets a 307 to that URL; through both doors."""

import pytest
from FasterAPI import APIRouter, FastAPI
from FasterAPI.testclient import TestClient

from tests.apps.routing_app import app, no_redirects
from tests.support.doors import open_client


@pytest.fixture(scope="module")
def client(door):
    with open_client(app, door, follow_redirects=False) as client:
        yield client


@pytest.mark.parametrize(
    ("path", "location"),
    [
        ("/items", "http://testserver/items/"),
        ("/users/", "http://testserver/users"),
        ("/api/things", "http://testserver/api/things/"),
        ("/items?page=2", "http://testserver/items/?page=2"),
    ],
)
def test_the_other_path_is_redirected_to(client, path, location):
    response = client.get(path)
    assert response.status_code == 307
    assert response.headers["location"] == location
    assert response.content == b""


def test_the_location_names_the_requests_host(client):
    response = client.get("http://example.com/items?x=1")
    assert (response.status_code, response.headers["location"]) == (
        307,
        "http://example.com/items/?x=1",
    )
    response = client.get("http://example.com/users/")
    assert (response.status_code, response.headers["location"]) == (
        307,
        "http://example.com/users",
    )


def test_following_the_redirect_reaches_the_route(client):
    assert client.get("/items", follow_redirects=True).json() == ["a", "b"]


def test_a_route_for_another_method_is_enough(client):
    # Starlette redirects when the other path matches at all; the 405 comes after.
    response = client.post("/items")
    assert response.status_code == 307
    assert client.post("/items/").status_code == 405


def test_no_route_on_either_path_is_a_404(make_client):
    no_frontend = FastAPI()

    @no_frontend.get("/items/")
    def items():
        return []

    plain = make_client(no_frontend, follow_redirects=False)
    assert plain.get("/nothing").json() == {"detail": "Not Found"}
    assert plain.get("/nothing/").status_code == 404
    assert plain.get("/").status_code == 404


def test_redirect_slashes_false_turns_it_off(make_client):
    client = make_client(no_redirects, follow_redirects=False)
    assert client.get("/api/things/").json() == ["t"]
    assert client.get("/api/things").status_code == 404


def test_an_empty_route_path_under_a_prefix_answers_both(make_client):
    # FastAPI's test_empty_router: `@router.get("")` included with a prefix.
    router = APIRouter()

    @router.get("")
    def empty():
        return ["OK"]

    app = FastAPI()
    app.include_router(router, prefix="/prefix")
    client = make_client(app)
    assert client.get("/prefix").json() == ["OK"]
    assert client.get("/prefix/").json() == ["OK"]


def test_root_path_is_kept_in_the_location():  # root_path: a TestClient option
    app = FastAPI()

    @app.get("/items/")
    def items():
        return []

    client = TestClient(app, root_path="/proxy", follow_redirects=False)
    response = client.get("/proxy/items")
    assert response.status_code == 307
    assert response.headers["location"] == "http://testserver/proxy/items/"
