"""An app that is its own OAuth2 provider, for the browser test of Swagger UI's "Authorize"
and /docs/oauth2-redirect (tests/test_docs_browser.py): the authorization-code flow of
OAuth2AuthorizationCodeBearer, with both of its URLs routes of this app.

- GET oauth/authorize answers with a redirect to `redirect_uri`, with a fresh code and the
  `state` it was given (a provider would ask the user to log in first; this one says yes);
- POST oauth/token takes the code (once) as Swagger UI posts it and answers with a token;
- GET /me echoes the Authorization header it got and the client the token was given to;
- GET /oauth/issued lists what was issued, for the test to compare with what the browser did.

The URLs in the scheme are relative, so the flow works wherever the app is served: `app` is
served at the root and, as a sub-application whose root_path is /api, under /api."""

import secrets
from typing import Annotated
from urllib.parse import urlencode

from FasterAPI import Depends, FastAPI, Form, HTTPException, Request
from FasterAPI.responses import RedirectResponse
from FasterAPI.security import OAuth2AuthorizationCodeBearer

scheme = OAuth2AuthorizationCodeBearer(
    authorizationUrl="oauth/authorize",
    tokenUrl="oauth/token",
    scopes={"items:read": "read the items"},
)


def make_app(title: str) -> FastAPI:
    app = FastAPI(title=title)
    #: code -> (client_id, redirect_uri) until it is exchanged; token -> client_id.
    codes: dict[str, tuple[str, str]] = {}
    tokens: dict[str, str] = {}
    #: What was asked for and issued, in order: ("authorize", query) and ("token", form).
    issued: list[dict[str, str]] = []

    @app.get("/oauth/authorize", include_in_schema=False)
    async def authorize(
        response_type: str, client_id: str, redirect_uri: str, state: str, scope: str = ""
    ) -> RedirectResponse:
        if response_type != "code":
            raise HTTPException(400, "unsupported response_type")
        code = secrets.token_urlsafe(16)
        codes[code] = (client_id, redirect_uri)
        issued.append(
            {
                "step": "authorize",
                "client_id": client_id,
                "state": state,
                "scope": scope,
                "redirect_uri": redirect_uri,
                "code": code,
            }
        )
        query = urlencode({"code": code, "state": state})
        return RedirectResponse(f"{redirect_uri}?{query}", status_code=302)

    @app.post("/oauth/token", include_in_schema=False)
    async def token(
        grant_type: Annotated[str, Form()],
        code: Annotated[str, Form()],
        redirect_uri: Annotated[str, Form()],
        client_id: Annotated[str, Form()],
    ) -> dict[str, str]:
        granted = codes.pop(code, None)
        if grant_type != "authorization_code" or granted != (client_id, redirect_uri):
            raise HTTPException(400, "invalid_grant")
        access_token = secrets.token_urlsafe(24)
        tokens[access_token] = client_id
        issued.append(
            {"step": "token", "client_id": client_id, "code": code, "access_token": access_token}
        )
        return {"access_token": access_token, "token_type": "bearer"}

    @app.get("/oauth/issued", include_in_schema=False)
    async def what_was_issued() -> list[dict[str, str]]:
        return issued

    @app.get("/me")
    async def me(request: Request, token: Annotated[str, Depends(scheme)]) -> dict[str, str]:
        if token not in tokens:
            raise HTTPException(401, "unknown token", headers={"WWW-Authenticate": "Bearer"})
        return {"authorization": request.headers["authorization"], "client_id": tokens[token]}

    return app


#: The app at the root, with a second one mounted under /api.
app = make_app("OAuth")
app.mount("/api", make_app("OAuth under /api"))
