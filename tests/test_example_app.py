"""The example app (examples/items_app.py) end to end, through both doors, on each database it
runs on: a throwaway SQLite file, and a real PostgreSQL server (tests/support/services.py)
with a fresh database per test. Its Alembic migrations run at startup every time."""

import asyncio
import importlib.util
import json
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from tests.support.doors import open_client
from tests.support.services import new_database, postgres_server

# The example's models are msgspec Structs, which real FastAPI (FASTERAPI_SHIM) cannot take.
pytestmark = pytest.mark.fasterapi_only

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
APP_FILE = EXAMPLES / "items_app.py"


@pytest.fixture(scope="module")
def postgres():
    with postgres_server() as url:
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path, monkeypatch):
    if request.param == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path / 'items.db'}"
    else:
        url = new_database(request.getfixturevalue("postgres"))
    monkeypatch.setenv("DATABASE_URL", url)
    return url


@pytest.fixture
def load_app(database_url, monkeypatch):
    """Import a fresh copy of the example module; it reads DATABASE_URL on import."""

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


def test_data_persists_across_lifespans(load_app, door):
    with open_client(load_app(), door) as client:
        item = create(client, name="anvil", tags=["heavy"])

    # A fresh import, a new lifespan, a new pool: only the database is shared.
    with open_client(load_app(), door) as client:
        assert client.get(f"/items/{item['id']}").json() == item
        assert client.get("/items").json() == [item]


def query(database_url: str, sql: str) -> list[tuple]:
    """The rows of `sql` on the database, read over a connection of the test's own."""
    from sqlalchemy import text
    from sqlalchemy.ext.asyncio import create_async_engine

    async def run():
        engine = create_async_engine(database_url)
        try:
            async with engine.connect() as conn:
                return [tuple(row) for row in await conn.execute(text(sql))]
        finally:
            await engine.dispose()

    return asyncio.run(run())


def test_the_migrations_are_applied_at_startup(client, database_url):
    assert client.get("/items").json() == []
    assert query(database_url, "SELECT version_num FROM alembic_version") == [("0002",)]


def test_a_created_item_is_committed_before_the_response(client, database_url):
    item = create(client, name="nail", tags=["small"])
    rows = query(database_url, "SELECT id, name, price FROM items")
    assert rows == [(item["id"], "nail", 9.5)]


def test_a_database_made_before_migrations_is_upgraded_with_its_rows(tmp_path, monkeypatch, door):
    """items.db files made by the example before it had migrations: the table is kept, the
    idempotency key column added, the rows are still there."""
    path = tmp_path / "old.db"
    with sqlite3.connect(path) as conn:
        conn.execute(
            "CREATE TABLE items (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL,"
            " price REAL NOT NULL, tags TEXT NOT NULL)"
        )
        conn.execute("INSERT INTO items (name, price, tags) VALUES ('saw', 3.5, '[\"old\"]')")
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{path}")
    spec = importlib.util.spec_from_file_location("items_app", APP_FILE)
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, "items_app", module)
    spec.loader.exec_module(module)
    with open_client(module.app, door) as client:
        assert client.get("/items").json() == [
            {"id": 1, "name": "saw", "price": 3.5, "tags": ["old"]}
        ]
        assert create(client, name="new")["id"] == 2


def test_a_retried_post_with_the_same_idempotency_key_makes_one_item(client):
    key = {"Idempotency-Key": "order-17"}
    first = client.post("/items", json={"name": "pen", "price": 1.5}, headers=key)
    again = client.post("/items", json={"name": "pen", "price": 1.5}, headers=key)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert client.get("/items").json() == [first.json()]

    other = client.post("/items", json={"name": "ink", "price": 2.0}, headers=key)
    assert other.status_code == 409
    assert other.json() == {"detail": "This Idempotency-Key was used for another item"}

    # The retry is checked against the request that made the item, not the item as it is.
    item_url = f"/items/{first.json()['id']}"
    changed = client.patch(item_url, json={"price": 3.0}).json()
    retried = client.post("/items", json={"name": "pen", "price": 1.5}, headers=key)
    assert (retried.status_code, retried.json()) == (201, changed)
    client.delete(item_url)
    gone = client.post("/items", json={"name": "pen", "price": 1.5}, headers=key)
    assert gone.status_code == 409
    assert gone.json() == {"detail": "The item made with this Idempotency-Key was deleted"}
    assert client.get("/items").json() == []
    # Without a key, or with another, each POST makes an item.
    create(client, name="pen", price=1.5)
    create(client, name="pen", price=1.5)
    assert len(client.get("/items").json()) == 2


def test_concurrent_posts_with_one_key_make_one_item(client):
    """Retries racing each other: the unique key lets one INSERT in, the others find it."""
    results: list = []
    barrier = threading.Barrier(8)

    def post(n):
        barrier.wait()
        response = client.post(
            "/items", json={"name": "pen", "price": 1.5}, headers={"Idempotency-Key": "race"}
        )
        results.append((response.status_code, response.json()))

    threads = [threading.Thread(target=post, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert len(results) == 8
    assert {status for status, _ in results} == {201}
    assert len({body["id"] for _, body in results}) == 1
    assert len(client.get("/items").json()) == 1


def post_json(client, method, url, body):
    """`body` as JSON text with every non-ASCII character escaped (a lone surrogate has no
    UTF-8 form: only its escape, "\\ud800", can be sent)."""
    headers = {"content-type": "application/json"}
    return client.request(method, url, content=json.dumps(body), headers=headers)


@pytest.mark.parametrize("name", ["a\x00b", "x" * 201])
def test_text_postgresql_cannot_hold_is_a_422(client, name):
    assert_422(post_json(client, "POST", "/items", {"name": name, "price": 1.0}), ["body", "name"])
    body = {"name": "ok", "price": 1.0, "tags": ["nul\x00"]}
    assert_422(post_json(client, "POST", "/items", body), ["body", "tags", 0])
    assert_422(post_json(client, "PUT", "/items/1", body), ["body", "tags", 0])


@pytest.mark.parametrize(
    ("method", "body"),
    [
        ("POST", {"name": "\ud800", "price": 1.0}),
        ("POST", {"name": "ok", "price": 1.0, "tags": ["a\udfffb"]}),
        ("PUT", {"name": "a\udc80", "price": 1.0}),
        ("PATCH", {"tags": ["\ud83d"]}),
    ],
)
def test_a_lone_surrogate_is_a_422(client, method, body):
    url = "/items" if method == "POST" else f"/items/{create(client)['id']}"
    response = post_json(client, method, url, body)
    assert_422(response, ["body"])
    assert "lone surrogate" in response.json()["detail"][0]["msg"]
    # (a surrogate pair, "\\ud83d\\ude00" in the JSON text, is one character, stored as any)
    made = post_json(client, "POST", "/items", {"name": "\U0001f600", "price": 1.0})
    assert made.status_code == 201 and made.json()["name"] == "\U0001f600"


def test_workers_starting_together_migrate_once(database_url, tmp_path):
    """Several processes run the migrations at once on an empty database (the workers of
    `fasterapi run --workers N`, instances behind a load balancer): one migrates, the others
    wait for it and find the work done."""
    script = (
        "import asyncio, sys; sys.path.insert(0, sys.argv[1]); import items_app\n"
        "async def main():\n"
        "    await items_app.db.connect()\n"
        "    await items_app.db.migrate(items_app.HERE / 'migrations')\n"
        "    await items_app.db.disconnect()\n"
        "asyncio.run(main())\n"
    )
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", script, str(EXAMPLES)],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        for _ in range(4)
    ]
    outputs = [proc.communicate(timeout=60)[0].decode() for proc in procs]
    assert [proc.returncode for proc in procs] == [0, 0, 0, 0], outputs


def test_health_and_readiness(client):
    assert client.get("/healthz").json() == {"status": "ok"}
    assert client.get("/readyz").json() == {"status": "ready"}
    paths = client.get("/openapi.json").json()["paths"]
    assert "/healthz" not in paths and "/readyz" not in paths


def test_each_client_is_rate_limited(load_app, make_client, monkeypatch):
    monkeypatch.setenv("RATE_LIMIT", "3/minute")
    client = make_client(load_app())
    for remaining in (2, 1, 0):
        response = client.get("/items")
        assert response.status_code == 200
        assert response.headers["ratelimit-remaining"] == str(remaining)
    refused = client.post("/items", json={"name": "x", "price": 1.0})
    assert refused.status_code == 429
    assert int(refused.headers["retry-after"]) > 0
    assert client.get("/healthz").status_code == 200  # the probes are not limited


def test_an_item_is_cached_until_it_is_written(client):
    item = create(client, name="vise")
    first, again = client.get(f"/items/{item['id']}"), client.get(f"/items/{item['id']}")
    assert (first.headers["x-cache"], again.headers["x-cache"]) == ("MISS", "HIT")
    assert again.json() == item
    etag = again.headers["etag"]
    assert client.get(f"/items/{item['id']}", headers={"If-None-Match": etag}).status_code == 304

    client.patch(f"/items/{item['id']}", json={"price": 20.0})
    after = client.get(f"/items/{item['id']}")
    assert after.headers["x-cache"] == "MISS" and after.json()["price"] == 20.0
    assert after.headers["etag"] != etag

    client.delete(f"/items/{item['id']}")
    assert client.get(f"/items/{item['id']}").status_code == 404
