"""Apps with the bundled middleware, written against either FastAPI or FasterAPI
(`build(lib)`), so the same requests can be checked against both.

tests/apps/middleware_ref_fastapi.json holds the answers FastAPI 0.165.0 (Starlette 1.10)
gave to REQUESTS. To make it again, in a virtualenv with fastapi installed:

    python -m tests.apps.middleware_ref fastapi > tests/apps/middleware_ref_fastapi.json
"""

from typing import Annotated


def build(lib):
    """One app per configuration, by name."""
    cors = __import__(lib.__name__ + ".middleware.cors", fromlist=["CORSMiddleware"])
    trusted = __import__(lib.__name__ + ".middleware.trustedhost", fromlist=["x"])
    https = __import__(lib.__name__ + ".middleware.httpsredirect", fromlist=["x"])
    Middleware = __import__(lib.__name__ + ".middleware", fromlist=["Middleware"]).Middleware

    def routes(app):
        @app.get("/items")
        async def items(q: Annotated[str | None, lib.Query()] = None):
            return lib.responses.JSONResponse({"q": q}, headers={"x-total": "1"})

        @app.post("/items")
        async def create():
            return {"created": True}

        return app

    apps = {
        "cors": routes(lib.FastAPI()),
        "cors_any": routes(lib.FastAPI()),
        "cors_regex": routes(lib.FastAPI()),
        "trusted": routes(lib.FastAPI()),
        "https": routes(lib.FastAPI()),
        "listed": routes(
            lib.FastAPI(
                middleware=[
                    Middleware(trusted.TrustedHostMiddleware, allowed_hosts=["example.com"]),
                    Middleware(cors.CORSMiddleware, allow_origins=["https://a.com"]),
                ]
            )
        ),
    }
    apps["cors"].add_middleware(
        cors.CORSMiddleware,
        allow_origins=["https://a.com"],
        allow_methods=["GET", "POST"],
        allow_headers=["X-Custom"],
        expose_headers=["X-Total"],
        max_age=100,
    )
    apps["cors_any"].add_middleware(
        cors.CORSMiddleware,
        allow_origins=["*"],
        allow_methods=["*"],
        allow_headers=["*"],
        allow_credentials=True,
    )
    apps["cors_regex"].add_middleware(
        cors.CORSMiddleware,
        allow_origin_regex=r"https://.*\.example\.org",
        allow_private_network=True,
    )
    apps["trusted"].add_middleware(
        trusted.TrustedHostMiddleware, allowed_hosts=["www.example.com", "*.api.test", "testserver"]
    )
    apps["https"].add_middleware(https.HTTPSRedirectMiddleware)
    return apps


# (app, method, url, request headers): the requests tests/test_middleware.py sends.
REQUESTS = [
    ("cors", "GET", "/items", {}),
    ("cors", "GET", "/items", {"Origin": "https://a.com"}),
    ("cors", "GET", "/items", {"Origin": "https://evil.com"}),
    ("cors", "POST", "/items", {"Origin": "https://a.com", "Cookie": "a=1"}),
    (
        "cors",
        "OPTIONS",
        "/items",
        {"Origin": "https://a.com", "Access-Control-Request-Method": "POST"},
    ),
    (
        "cors",
        "OPTIONS",
        "/items",
        {"Origin": "https://a.com", "Access-Control-Request-Method": "PUT"},
    ),
    (
        "cors",
        "OPTIONS",
        "/items",
        {"Origin": "https://b.com", "Access-Control-Request-Method": "GET"},
    ),
    (
        "cors",
        "OPTIONS",
        "/items",
        {
            "Origin": "https://a.com",
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "x-custom, Content-Type",
        },
    ),
    (
        "cors",
        "OPTIONS",
        "/items",
        {
            "Origin": "https://a.com",
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "X-Other",
        },
    ),
    ("cors", "OPTIONS", "/items", {"Origin": "https://a.com"}),  # not a preflight: 405
    ("cors", "GET", "/nowhere", {"Origin": "https://a.com"}),
    ("cors_any", "GET", "/items", {"Origin": "https://x.com"}),
    ("cors_any", "GET", "/items", {"Origin": "https://x.com", "Cookie": "s=1"}),
    (
        "cors_any",
        "OPTIONS",
        "/items",
        {
            "Origin": "https://x.com",
            "Access-Control-Request-Method": "DELETE",
            "Access-Control-Request-Headers": "X-Anything",
        },
    ),
    ("cors_regex", "GET", "/items", {"Origin": "https://shop.example.org"}),
    ("cors_regex", "GET", "/items", {"Origin": "https://example.org"}),
    (
        "cors_regex",
        "OPTIONS",
        "/items",
        {
            "Origin": "https://a.example.org",
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Private-Network": "true",
        },
    ),
    ("trusted", "GET", "/items", {"Host": "www.example.com"}),
    ("trusted", "GET", "/items?q=1", {"Host": "example.com"}),
    ("trusted", "GET", "/items", {"Host": "v1.api.test:8000"}),
    ("trusted", "GET", "/items", {"Host": "api.test"}),
    ("trusted", "GET", "/items", {"Host": "evil.com"}),
    ("https", "GET", "/items?q=1", {}),
    ("https", "GET", "/items", {"Host": "example.com:8080"}),
    ("https", "GET", "/items", {"Host": "example.com:80"}),
    ("listed", "GET", "/items", {"Host": "example.com", "Origin": "https://a.com"}),
    ("listed", "GET", "/items", {"Host": "other.com", "Origin": "https://a.com"}),
]

#: The response headers compared.
COMPARED = ("access-control-", "vary", "location", "content-type")


def answer(client, method, url, headers):
    """(status, body text, the compared headers) of one request."""
    response = client.request(method, url, headers=headers, follow_redirects=False)
    kept = {name: value for name, value in response.headers.items() if name.startswith(COMPARED)}
    return [response.status_code, response.text, kept]


if __name__ == "__main__":  # prints FastAPI's (or FasterAPI's) answers as JSON
    import importlib
    import json
    import sys

    lib = importlib.import_module(sys.argv[1])
    client_class = importlib.import_module(sys.argv[1] + ".testclient").TestClient
    importlib.import_module(sys.argv[1] + ".responses")
    apps = build(lib)
    answers = []
    for name, method, url, headers in REQUESTS:
        with client_class(apps[name]) as client:
            answers.append(answer(client, method, url, headers))
    print(json.dumps(answers, indent=1))
