"""app.frontend() / APIRouter.frontend(), as FastAPI 0.165 serves a static frontend build: at
low priority (routes, mounts and slash redirects first), the longest frontend path first,
with the fallback pages for missing paths and the router's dependencies; through both
doors."""

from pathlib import Path

import pytest
from FasterAPI import APIRouter, Depends, FastAPI, HTTPException
from FasterAPI.testclient import TestClient

from tests.apps import routing_app
from tests.support.doors import open_client

HTML = {"accept": "text/html"}


def build(tmp_path: Path, files: dict[str, str]) -> Path:
    dist = tmp_path / "dist"
    dist.mkdir(parents=True)
    for name, content in files.items():
        (dist / name).parent.mkdir(parents=True, exist_ok=True)
        (dist / name).write_text(content)
    return dist


@pytest.fixture(scope="module")
def client(door):
    with open_client(routing_app.app, door, follow_redirects=False) as client:
        yield client


def test_files_index_and_folder_redirect(client):
    assert client.get("/").text == "app shell"
    response = client.get("/assets/app.js")
    assert (response.status_code, response.text) == (200, "console.log('ok')")
    assert {"etag", "last-modified"} <= set(response.headers)
    response = client.get("/about")
    assert (response.status_code, response.headers["location"]) == (
        307,
        "http://testserver/about/",
    )
    assert client.get("/about/").text == "about"


def test_routes_and_slash_redirects_come_first(client):
    assert client.get("/users").json() == ["u"]
    assert client.get("/items").status_code == 307  # not the frontend's index page
    assert client.get("/items", headers=HTML).headers["location"].endswith("/items/")


def test_index_fallback_only_for_navigation(client):
    assert client.get("/dashboard/settings", headers=HTML).text == "app shell"
    xhtml = {"accept": "application/xhtml+xml;q=0.9"}
    assert client.get("/dashboard", headers=xhtml).text == "app shell"
    for accept in ("*/*", "application/json", "text/html;q=0", "text/html; q=0, */*"):
        response = client.get("/assets/missing.js", headers={"accept": accept})
        assert response.status_code == 404
        assert response.json() == {"detail": "Not Found"}
    assert client.get("/dashboard.js").json() == {"detail": "Not Found"}


def test_other_methods_405_for_files_and_404_otherwise(client):
    assert client.post("/assets/app.js").status_code == 405
    assert client.post("/").status_code == 405
    assert client.delete("/dashboard", headers=HTML).status_code == 404


def test_head(client):
    response = client.head("/assets/app.js")
    assert (response.status_code, response.content) == (200, b"")
    assert response.headers["content-length"] == "17"


def test_router_dependencies_guard_its_frontend(client):
    assert client.get("/admin/").status_code == 401
    response = client.get("/admin/", headers={"cookie": "session=ok"})
    assert response.text == "app shell"


def test_auto_fallback_prefers_404_html(make_client, tmp_path):
    dist = build(tmp_path, {"index.html": "shell", "404.html": "missing"})
    app = FastAPI()
    app.frontend("/", directory=dist)
    response = make_client(app).get("/nowhere", headers=HTML)
    assert (response.status_code, response.text) == (404, "missing")


def test_no_fallback_is_the_apps_404(make_client, tmp_path):
    dist = build(tmp_path, {"index.html": "shell"})
    app = FastAPI()
    app.frontend("/", directory=dist, fallback=None)
    response = make_client(app).get("/nowhere", headers=HTML)
    assert (response.status_code, response.json()) == (404, {"detail": "Not Found"})


def test_longest_path_wins_and_include_prefixes_apply(make_client, tmp_path):
    site = build(tmp_path / "site", {"index.html": "site"})
    admin = build(tmp_path / "admin", {"index.html": "admin"})
    child = APIRouter()
    child.frontend("/", directory=admin, fallback="index.html")
    parent = APIRouter(prefix="/parent")
    parent.include_router(child, prefix="/child")
    app = FastAPI()
    app.frontend("/", directory=site, fallback="index.html")
    app.include_router(parent)
    client = make_client(app)
    assert client.get("/parent/child/settings", headers=HTML).text == "admin"
    assert client.get("/parent/children", headers=HTML).text == "site"  # segment boundary


def test_dependencies_run_in_include_order_and_overrides_apply(make_client, tmp_path):
    dist = build(tmp_path, {"index.html": "shell"})
    calls = []

    def record(name):
        def dependency():
            calls.append(name)

        return dependency

    child = APIRouter(dependencies=[Depends(record("child"))])
    child.frontend("/ui", directory=dist)
    forbidden = record("forbidden")
    app = FastAPI(dependencies=[Depends(forbidden)])
    app.include_router(child, dependencies=[Depends(record("include"))])
    app.dependency_overrides[forbidden] = record("override")
    assert make_client(app).get("/ui/").text == "shell"
    assert calls == ["override", "include", "child"]


def test_a_route_raising_404_is_not_replaced_by_the_fallback(make_client, tmp_path):
    dist = build(tmp_path, {"index.html": "shell"})
    app = FastAPI()

    @app.get("/api/users")
    def users():
        raise HTTPException(404, "api missing")

    app.frontend("/", directory=dist, fallback="index.html")
    response = make_client(app).get("/api/users", headers=HTML)
    assert response.json() == {"detail": "api missing"}


def test_paths_outside_the_folder_are_not_served(make_client, tmp_path):
    dist = build(tmp_path, {"index.html": "shell"})
    (tmp_path / "secret.txt").write_text("secret")
    app = FastAPI()
    app.frontend("/", directory=dist)
    client = make_client(app)
    for path in ("/../secret.txt", "/%2e%2e/secret.txt", "/..%2fsecret.txt"):
        response = client.get(path)
        assert response.status_code == 404
        assert "secret" not in response.text


def test_arguments_are_checked(tmp_path, monkeypatch):  # the last error: raised in process
    dist = build(tmp_path, {"asset.txt": "ok"})
    app = FastAPI()
    with pytest.raises(AssertionError, match="fallback"):
        app.frontend("/", directory=dist, fallback="nope")
    with pytest.raises(AssertionError):
        app.frontend("", directory=dist)
    with pytest.raises(AssertionError):
        app.frontend("app", directory=dist)
    with pytest.raises(RuntimeError, match="index.html"):
        app.frontend("/", directory=dist, fallback="index.html")
    monkeypatch.delenv("FASTAPI_ENV", raising=False)
    with pytest.raises(RuntimeError, match="does not exist"):
        app.frontend("/", directory=tmp_path / "missing")
    monkeypatch.setenv("FASTAPI_ENV", "development")
    with pytest.warns(UserWarning, match="does not exist") as warned:
        app.frontend("/late", directory=tmp_path / "missing")
    assert warned[0].filename == __file__
    with pytest.raises(RuntimeError, match="does not exist"):
        TestClient(app).get("/late/x.js")
