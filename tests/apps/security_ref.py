"""Security schemes written against either FastAPI or FasterAPI (`build(lib)`): every scheme
class and the password flow's login forms, scopes along nested `Security(...)` chains,
several schemes on one route, schemes from a router's dependencies, `auto_error=False`. The
app answers with what each dependency gave, so the same requests can be checked against both
frameworks.

tests/apps/security_ref_fastapi.json is FastAPI's OpenAPI document of this app (FastAPI
0.165.0). To make it again, in a virtualenv with fastapi installed:

    python -m tests.apps.security_ref fastapi > tests/apps/security_ref_fastapi.json
"""

from typing import Annotated


def build(lib):
    sec = __import__(lib.__name__ + ".security", fromlist=["OAuth2PasswordBearer"])
    Depends, Security = lib.Depends, lib.Security

    oauth2 = sec.OAuth2PasswordBearer(
        tokenUrl="token", scopes={"me": "Read yourself", "items": "Read items"}
    )
    basic = sec.HTTPBasic(realm="shop")
    bearer = sec.HTTPBearer(bearerFormat="JWT", description="A JWT", auto_error=False)
    key_header = sec.APIKeyHeader(name="X-API-Key")
    key_query = sec.APIKeyQuery(name="api_key", auto_error=False)
    key_cookie = sec.APIKeyCookie(name="session", scheme_name="SessionCookie")
    openid = sec.OpenIdConnect(openIdConnectUrl="https://example.com/.well-known/openid")
    code = sec.OAuth2AuthorizationCodeBearer(
        authorizationUrl="https://example.com/auth",
        tokenUrl="https://example.com/token",
        refreshUrl="https://example.com/refresh",
        scopes={"read": "Read"},
    )
    digest = sec.HTTPDigest()

    def current_user(scopes: sec.SecurityScopes, token: Annotated[str, Depends(oauth2)]):
        return {"token": token, "scopes": scopes.scopes}

    def active_user(user: Annotated[dict, Security(current_user, scopes=["me"])]):
        return user

    app = lib.FastAPI(title="Secure", version="1")

    @app.get("/me")
    async def me(user: Annotated[dict, Security(active_user, scopes=["items"])]):
        return user

    @app.get("/basic")
    async def with_basic(credentials: Annotated[sec.HTTPBasicCredentials, Depends(basic)]):
        return {"username": credentials.username, "password": credentials.password}

    @app.get("/bearer")
    async def with_bearer(
        credentials: Annotated[sec.HTTPAuthorizationCredentials | None, Depends(bearer)],
    ):
        if credentials is None:
            return {"anonymous": True}
        return {"scheme": credentials.scheme, "credentials": credentials.credentials}

    @app.get("/keys")
    async def with_keys(
        header: Annotated[str, Depends(key_header)],
        query: Annotated[str | None, Depends(key_query)],
        cookie: Annotated[str, Depends(key_cookie)],
    ):
        return {"header": header, "query": query, "cookie": cookie}

    @app.get("/openid")
    async def with_openid(authorization: Annotated[str, Depends(openid)]):
        return {"authorization": authorization}

    @app.get("/code")
    async def with_code(token: Annotated[str, Security(code, scopes=["read"])]):
        return {"token": token}

    @app.get("/digest")
    async def with_digest(
        credentials: Annotated[sec.HTTPAuthorizationCredentials, Depends(digest)],
    ):
        return {"credentials": credentials.credentials}

    @app.post("/token")
    async def login(form: Annotated[sec.OAuth2PasswordRequestForm, Depends()]):
        return {
            "access_token": form.username + ":" + form.password,
            "scopes": form.scopes,
            "grant_type": form.grant_type,
            "client": [form.client_id, form.client_secret],
        }

    @app.post("/token-strict")
    async def login_strict(form: Annotated[sec.OAuth2PasswordRequestFormStrict, Depends()]):
        return {"access_token": form.username, "grant_type": form.grant_type}

    admin = lib.APIRouter(prefix="/admin", dependencies=[Depends(key_header)])

    @admin.get("/stats")
    async def stats(user: Annotated[dict, Security(current_user, scopes=["items"])]):
        return user

    app.include_router(admin)
    return app


if __name__ == "__main__":
    import importlib
    import json
    import sys

    print(json.dumps(build(importlib.import_module(sys.argv[1])).openapi(), indent=1))
