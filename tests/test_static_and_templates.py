"""StaticFiles, Jinja2Templates and url_for (tests/apps/site_app.py), through both doors, and
over raw sockets on the native server, where raw paths that try to leave the static folder are
sent as they are."""

import pytest
from FasterAPI import FastAPI, Request, TestClient
from FasterAPI.routing import NoMatchFound
from FasterAPI.staticfiles import StaticFiles
from FasterAPI.templating import Jinja2Templates

from tests.apps import site_app
from tests.support.doors import open_client
from tests.support.raw_http import exchange, request
from tests.support.servers import native_server


@pytest.fixture(scope="module")
def app():
    return site_app.app


def test_a_static_file(client):
    response = client.get("/static/app.css")
    assert response.status_code == 200
    assert response.text == "body { color: teal; }\n"
    assert response.headers["content-type"] == "text/css; charset=utf-8"
    assert response.headers["content-length"] == str(len(response.content))
    etag = response.headers["etag"]
    assert client.get("/static/app.css", headers={"if-none-match": etag}).status_code == 304
    assert client.head("/static/app.css").content == b""
    assert client.get("/static/a%20b.txt").text == "spaced\n"


def test_folders_serve_their_index_and_missing_pages_the_404_page(client):
    redirect = client.get("/static/docs", follow_redirects=False)
    assert redirect.status_code == 307
    assert redirect.headers["location"] == "http://testserver/static/docs/"
    assert client.get("/static/docs/").text == "<h1>Docs</h1>\n"
    missing = client.get("/static/nothing.css")
    assert (missing.status_code, missing.text) == (404, "<h1>No such page</h1>\n")


def test_methods_other_than_get_and_head_are_405(client):
    response = client.post("/static/app.css")
    assert (response.status_code, response.json()) == (405, {"detail": "Method Not Allowed"})
    assert response.headers["allow"] == "GET, HEAD"


def test_without_html_a_missing_file_is_a_json_404(make_client, tmp_path):
    (tmp_path / "sub").mkdir()
    app = FastAPI()
    app.mount("/files", StaticFiles(directory=tmp_path))
    client = make_client(app)
    for path in ("/files/none.txt", "/files/sub", "/files/"):
        response = client.get(path)
        assert (response.status_code, response.json()) == (404, {"detail": "Not Found"}), path


def test_a_missing_folder_is_an_error_at_start(tmp_path):
    with pytest.raises(RuntimeError, match="does not exist"):
        StaticFiles(directory=tmp_path / "nope")


def test_packages_statics(make_client, tmp_path, monkeypatch):
    package = tmp_path / "shop_assets"
    (package / "statics").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "statics" / "logo.svg").write_text("<svg/>")
    monkeypatch.syspath_prepend(str(tmp_path))
    app = FastAPI()
    app.mount("/assets", StaticFiles(packages=["shop_assets"]))
    client = make_client(app)
    response = client.get("/assets/logo.svg")
    assert (response.text, response.headers["content-type"]) == ("<svg/>", "image/svg+xml")


def test_templates_with_url_for_escaping_and_context_processors(client):
    response = client.get("/items/7")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert response.text == (
        "<title>Item 7</title>"
        '<link href="http://testserver/static/app.css">'
        '<a href="http://testserver/items/7">Item 7</a>'
        "<p>&lt;b&gt;hi&lt;/b&gt; shop at testserver</p>"
    )


@pytest.mark.fasterapi_only  # Starlette 1.x no longer takes the name first
def test_the_older_template_response_call(client):
    assert client.get("/old-style").text.startswith("<title>Old</title>")


def test_url_path_for_routes_and_mounts():
    app = site_app.app
    assert app.url_path_for("read_item", item_id=3) == "/items/3"
    assert app.url_path_for("static", path="css/x.css") == "/static/css/x.css"
    with pytest.raises(NoMatchFound, match='"read_item" and params "wrong"'):
        app.url_path_for("read_item", wrong=1)
    with pytest.raises(NoMatchFound):
        app.url_path_for("nothing")


def test_template_response_keeps_template_and_context(make_client, tmp_path):
    (tmp_path / "hello.txt").write_text("Hello {{ name }}")
    templates = Jinja2Templates(directory=tmp_path)
    app = FastAPI()

    @app.get("/")
    async def hello(request: Request):
        response = templates.TemplateResponse(
            request, "hello.txt", {"name": "Ann"}, status_code=201
        )
        assert response.template.name == "hello.txt"
        assert response.context["name"] == "Ann" and response.context["request"] is request
        return response

    client = make_client(app)
    response = client.get("/")
    assert (response.status_code, response.text) == (201, "Hello Ann")


# -- the native server ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with native_server(tmp_path_factory.mktemp("site"), app="site") as server:
        yield server


@pytest.mark.fasterapi_only
@pytest.mark.parametrize(
    "path",
    [
        "/static/../secret.txt",
        "/static/%2e%2e/secret.txt",
        "/static/..%2fsecret.txt",
        "/static/docs/../../secret.txt",
        "/static//etc/passwd",
        "/static/%2fetc%2fpasswd",
    ],
)
def test_native_paths_out_of_the_folder_are_not_served(server, path):
    status, _, body = exchange(server, request("GET", path))
    assert b"do not serve" not in body
    assert b"root:" not in body
    assert status in (404, 400), (status, body)


def test_static_files_crafted_paths_and_a_root_mount(door, tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "index.html").write_text("sub index")
    (tmp_path / "index.html").write_text("home")
    app = FastAPI()

    @app.get("/api")
    async def api():
        return "api"

    app.mount("/", StaticFiles(directory=tmp_path, html=True), name="site")
    with open_client(app, door) as client:
        assert client.get("/api").json() == "api"
        assert client.get("/").text == "home"
        assert client.get("/a%00b").status_code == 404
        redirect = client.get("//evil.com/../sub", follow_redirects=False)
        assert redirect.status_code == 307
        assert redirect.headers["location"].startswith("http://testserver/")


def mounted_page_app(folder):
    """An app whose page links, with url_for, to a route of an app mounted at /v1."""
    (folder / "page.html").write_text("{{ url_for('v1:item', item_id=1) }}")
    templates = Jinja2Templates(directory=folder)
    sub = FastAPI()

    @sub.get("/items/{item_id}", name="item")
    async def item(item_id: int):
        return item_id

    app = FastAPI()
    app.mount("/v1", sub, name="v1")

    @app.get("/page")
    async def page(request: Request):
        return templates.TemplateResponse(request, "page.html", {"x": 1})

    return app


def test_url_for_a_route_of_a_mounted_app(make_client, tmp_path):
    response = make_client(mounted_page_app(tmp_path)).get("/page")
    assert response.text == "http://testserver/v1/items/1"


# ASGI door only: response.template and .context are TestClient's.
def test_template_responses_give_testclient_their_template_and_context(tmp_path):
    with TestClient(mounted_page_app(tmp_path)) as client:
        response = client.get("/page")
    assert response.template.name == "page.html"
    assert response.context["x"] == 1
