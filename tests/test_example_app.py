"""The example app (examples/items_app.py) end to end, on a throwaway SQLite file."""

import importlib.util
import sys
from pathlib import Path

import pytest

from tests.support.doors import open_client

# The example's models are msgspec Structs, which real FastAPI (FASTERAPI_SHIM) cannot take.
pytestmark = pytest.mark.fasterapi_only

APP_FILE = Path(__file__).resolve().parent.parent / "examples" / "items_app.py"


@pytest.fixture
def db_path(tmp_path, monkeypatch):
    path = tmp_path / "items.db"
    monkeypatch.setenv("FASTERAPI_EXAMPLE_DB", str(path))
    return path


@pytest.fixture
def load_app(db_path, monkeypatch):
    """Import a fresh copy of the example module; it reads FASTERAPI_EXAMPLE_DB on import."""

    def load():
        spec = importlib.util.spec_from_file_location("items_app", APP_FILE)
        module = importlib.util.module_from_spec(spec)
        monkeypatch.setitem(sys.modules, "items_app", module)
        spec.loader.exec_module(module)
        return module.app

    return load


@pytest.fixture
def client(load_app, make_client):
    return make_client(load_app())


def create(client, **fields):
    body = {"name": "hammer", "price": 9.5, **fields}
    response = client.post("/items", json=body)
    assert response.status_code == 201, response.text
    return response.json()


def test_crud_cycle(client):
    assert client.get("/items").json() == []

    item = create(client, tags=["tools"])
    assert item == {"id": item["id"], "name": "hammer", "price": 9.5, "tags": ["tools"]}
    item_id = item["id"]
    assert isinstance(item_id, int)

    assert client.get(f"/items/{item_id}").json() == item
    assert client.get("/items").json() == [item]

    replaced = client.put(f"/items/{item_id}", json={"name": "mallet", "price": 12.0})
    assert replaced.status_code == 200
    assert replaced.json() == {"id": item_id, "name": "mallet", "price": 12.0, "tags": []}

    patched = client.patch(f"/items/{item_id}", json={"price": 11.25})
    assert patched.status_code == 200
    assert patched.json() == {"id": item_id, "name": "mallet", "price": 11.25, "tags": []}
    assert client.patch(f"/items/{item_id}", json={}).json() == patched.json()
    assert client.get(f"/items/{item_id}").json() == patched.json()

    deleted = client.delete(f"/items/{item_id}")
    assert deleted.status_code == 204
    assert deleted.content == b""

    assert client.get(f"/items/{item_id}").status_code == 404
    assert client.get("/items").json() == []


def test_tags_default_to_empty_list(client):
    assert create(client)["tags"] == []


def test_list_limit_and_offset(client):
    ids = [create(client, name=f"item {n}")["id"] for n in range(5)]
    assert [i["id"] for i in client.get("/items").json()] == ids
    assert [i["id"] for i in client.get("/items?limit=2").json()] == ids[:2]
    assert [i["id"] for i in client.get("/items?limit=2&offset=3").json()] == ids[3:]
    assert client.get("/items?offset=10").json() == []


@pytest.mark.parametrize(
    ("method", "body"),
    [
        ("GET", None),
        ("PUT", {"name": "x", "price": 1.0}),
        ("PATCH", {"price": 1.0}),
        ("DELETE", None),
    ],
)
def test_missing_item_is_404(client, method, body):
    response = client.request(method, "/items/999", json=body)
    assert response.status_code == 404
    assert response.json() == {"detail": "Item not found"}


def assert_422(response, loc):
    assert response.status_code == 422, response.text
    errors = response.json()["detail"]
    assert [error["loc"] for error in errors] == [loc]
    assert {"type", "loc", "msg"} <= errors[0].keys()


@pytest.mark.parametrize("price", [0, -1, -0.5])
def test_price_must_be_positive(client, price):
    assert_422(client.post("/items", json={"name": "x", "price": price}), ["body", "price"])
    assert client.get("/items").json() == []


def test_name_must_not_be_empty(client):
    assert_422(client.post("/items", json={"name": "", "price": 1.0}), ["body", "name"])


def test_patch_validates_fields_it_gets(client):
    item_id = create(client)["id"]
    assert_422(client.patch(f"/items/{item_id}", json={"price": 0}), ["body", "price"])
    assert client.get(f"/items/{item_id}").json()["price"] == 9.5


@pytest.mark.parametrize(
    ("query", "loc"),
    [
        ("limit=0", ["query", "limit"]),
        ("limit=1001", ["query", "limit"]),
        ("limit=ten", ["query", "limit"]),
        ("offset=-1", ["query", "offset"]),
    ],
)
def test_list_query_is_validated(client, query, loc):
    assert_422(client.get(f"/items?{query}"), loc)


def test_item_id_must_be_an_int(client):
    assert_422(client.get("/items/abc"), ["path", "item_id"])


def test_data_persists_across_lifespans(load_app, db_path, door):
    with open_client(load_app(), door) as client:
        item = create(client, name="anvil", tags=["heavy"])
    assert db_path.exists()

    # A fresh import, a new lifespan, a new connection: only the file is shared.
    with open_client(load_app(), door) as client:
        assert client.get(f"/items/{item['id']}").json() == item
        assert client.get("/items").json() == [item]
