"""The app as a plain ASGI app under real servers (uvicorn, hypercorn), over real HTTP."""

import pytest

from tests.support.servers import ASGI_SERVERS, running_server, stop

SERVERS = ASGI_SERVERS


@pytest.fixture(scope="module", params=SERVERS)
def server(request, tmp_path_factory):
    with running_server(request.param, tmp_path_factory.mktemp(request.param)) as info:
        yield info


def test_health(server):
    response = server["client"].get("/health")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {"ok": True}


def test_lifespan_startup_ran(server):
    assert server["client"].get("/lifespan").json() == {"started": True}
    assert server["events"].read_text().splitlines() == ["startup"]


def test_path_and_query_params(server):
    response = server["client"].get("/items/5", params={"q": "hello"})
    assert response.status_code == 200
    assert response.json() == {"item_id": 5, "q": "hello"}


def test_path_param_validation(server):
    response = server["client"].get("/items/abc")
    assert response.status_code == 422
    assert response.json() == {
        "detail": [
            {
                "type": "int_parsing",
                "loc": ["path", "item_id"],
                "msg": "Input should be a valid integer, unable to parse string as an integer",
                "input": "abc",
            }
        ]
    }


def test_post_model(server):
    response = server["client"].post("/items", json={"name": "Widget", "price": 9.5})
    assert response.status_code == 201
    assert response.json() == {"name": "Widget", "price": 9.5}


def test_post_model_missing_field(server):
    response = server["client"].post("/items", json={"name": "Widget"})
    assert response.status_code == 422
    assert response.json() == {
        "detail": [
            {
                "type": "missing",
                "loc": ["body", "price"],
                "msg": "Field required",
                "input": {"name": "Widget"},
            }
        ]
    }


def test_http_exception(server):
    response = server["client"].get("/items/404")
    assert response.status_code == 404
    assert response.json() == {"detail": "Item not found"}
    assert response.headers["x-error"] == "1"


def test_not_found_and_method_not_allowed(server):
    client = server["client"]
    response = client.get("/nope")
    assert response.status_code == 404
    assert response.json() == {"detail": "Not Found"}
    response = client.delete("/items")
    assert response.status_code == 405
    assert response.json() == {"detail": "Method Not Allowed"}
    assert "POST" in {m.strip() for m in response.headers["allow"].split(",")}


def test_sync_route(server):
    assert server["client"].get("/sync", params={"n": "21"}).json() == {"n": 42}


def test_keep_alive_many_requests(server):
    client = server["client"]
    for i in range(50):
        assert client.get(f"/items/{i}").json() == {"item_id": i, "q": None}


@pytest.mark.parametrize("name", SERVERS)
def test_lifespan_shutdown_runs_on_terminate(name, tmp_path):
    with running_server(name, tmp_path) as info:
        assert info["client"].get("/lifespan").json() == {"started": True}
        stop(info["proc"])
        assert info["proc"].returncode is not None
    assert info["events"].read_text().splitlines() == ["startup", "shutdown"]
