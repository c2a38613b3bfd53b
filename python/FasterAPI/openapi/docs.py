"""The interactive documentation pages: Swagger UI (/docs), its OAuth2 redirect page and
ReDoc (/redoc). Each is a small HTML page that loads the viewer's script and points it at
the app's OpenAPI schema. `get_swagger_ui_html` and `get_redoc_html` load the scripts from
a CDN by default, as FastAPI's do; the app's own pages load the copies vendored in
`static/` (see its README), which `asset_response` serves, so that the pages work with no
network beyond the app (`FastAPI(docs_assets="cdn")` gives FastAPI's CDN pages)."""

from __future__ import annotations

import functools
import html
import json
from pathlib import Path
from typing import Any

from ..encoders import jsonable_encoder
from ..exceptions import HTTPException
from ..responses import HTMLResponse, Response

SWAGGER_JS_URL = "https://cdn.jsdelivr.net/npm/swagger-ui-dist@5/swagger-ui-bundle.js"
SWAGGER_CSS_URL = "https://cdn.jsdelivr.net/npm/swagger-ui-dist@5/swagger-ui.css"
REDOC_JS_URL = "https://cdn.jsdelivr.net/npm/redoc@2/bundles/redoc.standalone.js"
#: The pages' favicon unless told otherwise: FastAPI's, as FastAPI's pages show it.
FAVICON_URL = "https://fastapi.tiangolo.com/img/favicon.png"

#: The vendored viewers' versions (static/README.md): part of their URLs, so that a cached
#: copy is never served after an upgrade.
SWAGGER_UI_VERSION = "5.33.1"
REDOC_VERSION = "2.5.4"
STATIC_DIR = Path(__file__).parent / "static"
#: Where an app serves the vendored files, after `{docs_url}` (or `{redoc_url}`).
STATIC_PATH = "/static"
#: The vendored files a browser may ask for: the name in the URL -> (the file under
#: STATIC_DIR, its media type). Any other name is a 404.
ASSETS: dict[str, tuple[str, str]] = {
    f"swagger-ui-dist@{SWAGGER_UI_VERSION}/swagger-ui-bundle.js": (
        "swagger-ui-dist/swagger-ui-bundle.js",
        "text/javascript; charset=utf-8",
    ),
    f"swagger-ui-dist@{SWAGGER_UI_VERSION}/swagger-ui.css": (
        "swagger-ui-dist/swagger-ui.css",
        "text/css; charset=utf-8",
    ),
    f"swagger-ui-dist@{SWAGGER_UI_VERSION}/favicon-32x32.png": (
        "swagger-ui-dist/favicon-32x32.png",
        "image/png",
    ),
    f"swagger-ui-dist@{SWAGGER_UI_VERSION}/LICENSE": (
        "swagger-ui-dist/LICENSE",
        "text/plain; charset=utf-8",
    ),
    f"redoc@{REDOC_VERSION}/redoc.standalone.js": (
        "redoc/redoc.standalone.js",
        "text/javascript; charset=utf-8",
    ),
    f"redoc@{REDOC_VERSION}/LICENSE": ("redoc/LICENSE", "text/plain; charset=utf-8"),
}
#: The files never change under a URL (it names their version): browsers keep them a year.
ASSET_CACHE_CONTROL = "public, max-age=31536000, immutable"

#: Swagger UI's settings unless `swagger_ui_parameters` says otherwise (FastAPI's defaults).
swagger_ui_default_parameters: dict[str, Any] = {
    "dom_id": "#swagger-ui",
    "layout": "BaseLayout",
    "deepLinking": True,
    "showExtensions": True,
    "showCommonExtensions": True,
}


def _js(value: Any) -> str:
    """`value` as a JavaScript literal that is safe inside a <script> element."""
    return json.dumps(value).replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _js_str(text: str) -> str:
    """`text` as a single-quoted JavaScript string, safe inside a <script> element (the
    quotes FastAPI's page writes its URLs in)."""
    return "'" + _js(text)[1:-1].replace("'", "\\'") + "'"


def _favicon(url: str | None) -> str:
    return f'<link rel="shortcut icon" href="{html.escape(url)}">' if url else ""


def static_prefix(docs_url: str | None, redoc_url: str | None) -> str | None:
    """The path an app serves the vendored files under: `/docs/static` for FastAPI's
    `docs_url`, under `redoc_url` when there is no Swagger UI page, None with neither."""
    page = docs_url or redoc_url
    return page.rstrip("/") + STATIC_PATH if page else None


def local_asset_urls(prefix: str) -> dict[str, str]:
    """The URLs of the vendored files under `prefix` (the root path and `static_prefix`),
    named after the `get_*_html` arguments they are given to."""
    swagger = f"{prefix}/swagger-ui-dist@{SWAGGER_UI_VERSION}"
    return {
        "swagger_js_url": f"{swagger}/swagger-ui-bundle.js",
        "swagger_css_url": f"{swagger}/swagger-ui.css",
        "swagger_favicon_url": f"{swagger}/favicon-32x32.png",
        "redoc_js_url": f"{prefix}/redoc@{REDOC_VERSION}/redoc.standalone.js",
    }


@functools.cache
def _asset_body(file: str) -> bytes:
    """A vendored file's bytes, read once per process."""
    return (STATIC_DIR / file).read_bytes()


def asset_response(name: str) -> Response:
    """The vendored file the URL names (`swagger-ui-dist@5.33.1/swagger-ui-bundle.js`), with
    its media type and a year-long Cache-Control; the app's 404 for any name not in ASSETS."""
    if name not in ASSETS:
        raise HTTPException(status_code=404)
    file, media_type = ASSETS[name]
    headers = {"Cache-Control": ASSET_CACHE_CONTROL, "X-Content-Type-Options": "nosniff"}
    return Response(_asset_body(file), media_type=media_type, headers=headers)


def get_swagger_ui_html(
    *,
    openapi_url: str,
    title: str,
    swagger_js_url: str = SWAGGER_JS_URL,
    swagger_css_url: str = SWAGGER_CSS_URL,
    swagger_favicon_url: str = FAVICON_URL,
    oauth2_redirect_url: str | None = None,
    init_oauth: dict[str, Any] | None = None,
    swagger_ui_parameters: dict[str, Any] | None = None,
) -> HTMLResponse:
    """The Swagger UI page for the schema at `openapi_url`."""
    settings = {**swagger_ui_default_parameters, **(swagger_ui_parameters or {})}
    lines = [f"    url: {_js_str(openapi_url)},"]
    lines += [f"    {_js(k)}: {_js(jsonable_encoder(v))}," for k, v in settings.items()]
    if oauth2_redirect_url:  # on the page's own origin, wherever it is served from
        lines.append(
            f"    oauth2RedirectUrl: window.location.origin + {_js_str(oauth2_redirect_url)},"
        )
    options = "\n".join(lines)
    oauth = f"ui.initOAuth({_js(jsonable_encoder(init_oauth))});" if init_oauth else ""
    page = f"""<!DOCTYPE html>
<html>
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link type="text/css" rel="stylesheet" href="{html.escape(swagger_css_url)}">
{_favicon(swagger_favicon_url)}
<title>{html.escape(title)}</title>
</head>
<body>
<div id="swagger-ui"></div>
<script src="{html.escape(swagger_js_url)}"></script>
<script>
const ui = SwaggerUIBundle({{
{options}
    presets: [SwaggerUIBundle.presets.apis, SwaggerUIBundle.SwaggerUIStandalonePreset],
}});
{oauth}
</script>
</body>
</html>
"""
    return HTMLResponse(page)


def get_redoc_html(
    *,
    openapi_url: str,
    title: str,
    redoc_js_url: str = REDOC_JS_URL,
    redoc_favicon_url: str = FAVICON_URL,
    with_google_fonts: bool = True,
) -> HTMLResponse:
    """The ReDoc page for the schema at `openapi_url`."""
    fonts = (
        '<link href="https://fonts.googleapis.com/css?family=Montserrat:300,400,700|'
        'Roboto:300,400,700" rel="stylesheet">'
        if with_google_fonts
        else ""
    )
    page = f"""<!DOCTYPE html>
<html>
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(title)}</title>
{fonts}
{_favicon(redoc_favicon_url)}
<style>body {{ margin: 0; padding: 0; }}</style>
</head>
<body>
<noscript>ReDoc needs JavaScript to show the API documentation.</noscript>
<redoc spec-url="{html.escape(openapi_url)}"></redoc>
<script src="{html.escape(redoc_js_url)}"></script>
</body>
</html>
"""
    return HTMLResponse(page)


def get_swagger_ui_oauth2_redirect_html() -> HTMLResponse:
    """The page an OAuth2 provider sends the browser back to after Swagger UI's "Authorize":
    it hands the code or token (or the error) to the Swagger UI window that opened it."""
    page = """<!DOCTYPE html>
<html lang="en-US">
<head><title>Swagger UI: OAuth2 Redirect</title></head>
<body>
<script>
"use strict";
function run() {
    const oauth2 = window.opener.swaggerUIRedirectOauth2;
    const sentState = oauth2.state;
    const redirectUrl = oauth2.redirectUrl;
    const fragment = /code|token|error/.test(window.location.hash)
        ? window.location.hash.substring(1)
        : location.search.substring(1);
    const qp = Object.fromEntries(new URLSearchParams(fragment));
    const isValid = qp.state === sentState;
    const flow = oauth2.auth.schema.get("flow");
    if ((flow === "accessCode" || flow === "authorizationCode" || flow === "authorization_code")
            && !oauth2.auth.code) {
        if (!isValid) {
            oauth2.errCb({authId: oauth2.auth.name, source: "auth", level: "warning",
                message: "Authorization may be unsafe: the state sent and received differ."});
        }
        if (qp.code) {
            delete oauth2.state;
            oauth2.auth.code = qp.code;
            oauth2.callback({auth: oauth2.auth, redirectUrl: redirectUrl});
        } else {
            const oauthErrorMsg = qp.error
                ? "[" + qp.error + "]: " + (qp.error_description || "no description") + ". "
                  + (qp.error_uri ? "More info: " + qp.error_uri : "")
                : "The server answered with neither a code nor an error.";
            oauth2.errCb({authId: oauth2.auth.name, source: "auth", level: "error",
                message: oauthErrorMsg});
        }
    } else {
        oauth2.callback({auth: oauth2.auth, token: qp, isValid: isValid,
            redirectUrl: redirectUrl});
    }
    window.close();
}
if (document.readyState !== "loading") {
    run();
} else {
    document.addEventListener("DOMContentLoaded", run);
}
</script>
</body>
</html>
"""
    return HTMLResponse(page)
