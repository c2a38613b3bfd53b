"""The documentation pages' own assets: /docs and /redoc load Swagger UI and ReDoc from the
copies the app serves under /docs/static/ (FasterAPI.openapi.docs, vendored in
FasterAPI/openapi/static/), named by version, with a year-long Cache-Control; HEAD works and
any other name is a 404; `docs_assets="cdn"` gives FastAPI's CDN pages; the root path is put
in front of every URL. Run through both doors. tests/test_docs_browser.py opens the pages in
a real browser."""

import hashlib
import re

import pytest
from FasterAPI import FastAPI
from FasterAPI.openapi import docs
from FasterAPI.testclient import TestClient

pytestmark = pytest.mark.fasterapi_only  # docs_assets and the vendored files are FasterAPI's

SWAGGER = f"/docs/static/swagger-ui-dist@{docs.SWAGGER_UI_VERSION}"
REDOC = f"/docs/static/redoc@{docs.REDOC_VERSION}"
#: What each vendored URL serves: its media type and the SHA-256 that static/README.md lists.
ASSETS = {
    f"{SWAGGER}/swagger-ui-bundle.js": (
        "text/javascript; charset=utf-8",
        "050bc415ee7048dcd881682678f720264e7da5e373f7461d7c58c755305255f7",
    ),
    f"{SWAGGER}/swagger-ui.css": (
        "text/css; charset=utf-8",
        "1ac324f7dcd27e4b9386b4bd6421271ec147e922a22c05ba24b11515e9aa6321",
    ),
    f"{SWAGGER}/favicon-32x32.png": (
        "image/png",
        "3ed612f41e050ca5e7000cad6f1cbe7e7da39f65fca99c02e99e6591056e5837",
    ),
    f"{REDOC}/redoc.standalone.js": (
        "text/javascript; charset=utf-8",
        "dcaf76612bc4a3fbcc923a8966dee2f6146a5f32e5ce1b6f02dd60cbbf89500b",
    ),
}


def make_app(**options) -> FastAPI:
    app = FastAPI(title="Shop", **options)

    @app.get("/items")
    async def items() -> list[str]:
        return []

    return app


def page_urls(html: str) -> list[str]:
    """The URLs a page loads: its scripts, stylesheets and icon."""
    return re.findall(r'(?:src|href)="([^"]+)"', html)


def test_the_pages_load_only_the_apps_own_files(make_client):
    client = make_client(make_app())
    swagger = client.get("/docs").text
    assert page_urls(swagger) == [
        f"{SWAGGER}/swagger-ui.css",
        f"{SWAGGER}/favicon-32x32.png",
        f"{SWAGGER}/swagger-ui-bundle.js",
    ]
    assert "url: '/openapi.json'" in swagger
    redoc = client.get("/redoc").text
    assert page_urls(redoc) == [f"{REDOC}/redoc.standalone.js"]  # no Google fonts, no icon
    assert 'spec-url="/openapi.json"' in redoc
    redirect = client.get("/docs/oauth2-redirect")
    assert redirect.status_code == 200
    assert "window.opener.swaggerUIRedirectOauth2" in redirect.text
    assert "http" not in redirect.text  # inline: nothing to load


@pytest.mark.parametrize("url", sorted(ASSETS))
def test_each_asset_is_served_whole_with_its_type_and_a_long_cache(make_client, url):
    client = make_client(make_app())
    media_type, digest = ASSETS[url]
    response = client.get(url)
    assert response.status_code == 200
    assert response.headers["content-type"] == media_type
    assert response.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert hashlib.sha256(response.content).hexdigest() == digest
    head = client.head(url)
    assert head.status_code == 200
    assert head.content == b""
    assert head.headers["content-length"] == str(len(response.content))
    assert head.headers["content-type"] == media_type


def test_the_licenses_are_served_beside_the_files(make_client):
    client = make_client(make_app())
    swagger = client.get(f"{SWAGGER}/LICENSE")
    assert swagger.status_code == 200 and "Apache License" in swagger.text
    redoc = client.get(f"{REDOC}/LICENSE")
    assert redoc.status_code == 200 and "MIT License" in redoc.text


@pytest.mark.parametrize(
    "name",
    [
        "swagger-ui-bundle.js",  # unversioned
        "swagger-ui-dist@0.0.1/swagger-ui-bundle.js",  # another version
        f"swagger-ui-dist@{docs.SWAGGER_UI_VERSION}/swagger-ui-bundle.js.map",
        f"swagger-ui-dist@{docs.SWAGGER_UI_VERSION}/../../docs.py",
        "%2e%2e/%2e%2e/docs.py",
        "README.md",
        "",
    ],
)
def test_any_other_name_is_a_404(make_client, name):
    client = make_client(make_app())
    response = client.get(f"/docs/static/{name}")
    assert response.status_code == 404
    assert "cache-control" not in response.headers
    assert client.head(f"/docs/static/{name}").status_code == 404


def test_the_assets_answer_only_get_and_head(make_client):
    client = make_client(make_app())
    response = client.post(f"{SWAGGER}/swagger-ui.css")
    assert response.status_code == 405
    assert set(response.headers["allow"].replace(" ", "").split(",")) == {"GET", "HEAD"}


def test_cdn_gives_fastapis_pages_and_no_asset_route(make_client):
    app = make_app(docs_assets="cdn")
    client = make_client(app)
    swagger = client.get("/docs").text
    assert page_urls(swagger) == [docs.SWAGGER_CSS_URL, docs.FAVICON_URL, docs.SWAGGER_JS_URL]
    redoc = client.get("/redoc").text
    assert docs.REDOC_JS_URL in page_urls(redoc)
    assert "fonts.googleapis.com" in redoc
    assert client.get(f"{SWAGGER}/swagger-ui.css").status_code == 404
    assert "/docs/static/{name:path}" not in [route.path for route in app.routes]


def test_the_pages_keep_what_fastapis_tests_look_for(make_client):
    """FastAPI's own suite (make compat) looks for these in the default pages."""
    client = make_client(make_app())
    assert "swagger-ui-dist" in client.get("/docs").text
    assert "redoc@2" in client.get("/redoc").text


def test_with_no_swagger_ui_page_the_assets_are_under_redoc(make_client):
    client = make_client(make_app(docs_url=None))
    assert client.get("/docs").status_code == 404
    url = f"/redoc/static/redoc@{docs.REDOC_VERSION}/redoc.standalone.js"
    assert page_urls(client.get("/redoc").text) == [url]
    assert client.get(url).status_code == 200


def test_with_no_page_there_is_no_asset_route():
    for app in (make_app(docs_url=None, redoc_url=None), make_app(openapi_url=None)):
        paths = [route.path for route in app.routes]
        assert not [path for path in paths if "static" in path]
        assert TestClient(app).get(f"{SWAGGER}/swagger-ui.css").status_code == 404


def test_the_root_path_is_put_in_front_of_every_url():
    client = TestClient(make_app(), root_path="/api")
    swagger = client.get("/docs").text
    assert page_urls(swagger) == [
        f"/api{SWAGGER}/swagger-ui.css",
        f"/api{SWAGGER}/favicon-32x32.png",
        f"/api{SWAGGER}/swagger-ui-bundle.js",
    ]
    assert "url: '/api/openapi.json'" in swagger
    assert page_urls(client.get("/redoc").text) == [f"/api{REDOC}/redoc.standalone.js"]
    assert client.get(f"{SWAGGER}/swagger-ui.css").status_code == 200


def test_the_docs_assets_option_is_checked():
    with pytest.raises(ValueError, match='docs_assets must be "local" or "cdn"'):
        FastAPI(docs_assets="offline")  # type: ignore[arg-type]


def test_get_swagger_ui_html_keeps_fastapis_cdn_defaults():
    page = docs.get_swagger_ui_html(openapi_url="/openapi.json", title="T").body.decode()
    assert page_urls(page) == [docs.SWAGGER_CSS_URL, docs.FAVICON_URL, docs.SWAGGER_JS_URL]
    assert docs.SWAGGER_JS_URL.startswith("https://cdn.jsdelivr.net/npm/swagger-ui-dist@5/")
