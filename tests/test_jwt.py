"""FasterAPI.contrib.jwt: JWT access tokens on PyJWT, issued at a login route and verified by
a dependency (the docs' OAuth2 password-flow tutorial), through both doors."""

from datetime import timedelta
from typing import Annotated

import pytest
from FasterAPI import Depends, FastAPI, HTTPException, Security
from FasterAPI.contrib.jwt import JWTTokens
from FasterAPI.security import HTTPBearer, OAuth2PasswordBearer, OAuth2PasswordRequestForm

pytestmark = pytest.mark.fasterapi_only

SECRET = "a-test-secret-of-32-bytes-at-least"
tokens = JWTTokens(SECRET, expires=timedelta(minutes=30))
oauth2 = OAuth2PasswordBearer(tokenUrl="token", scopes={"items:read": "", "items:write": ""})
USERS = {"alice": ("wonderland", ["items:read", "items:write"]), "bob": ("builder", ["items:read"])}


@pytest.fixture(scope="module")
def app():
    app = FastAPI()

    @app.post("/token")
    async def login(form: Annotated[OAuth2PasswordRequestForm, Depends()]):
        user = USERS.get(form.username)
        if user is None or user[0] != form.password:
            raise HTTPException(400, "Incorrect username or password")
        granted = [scope for scope in form.scopes if scope in user[1]]
        token = tokens.issue(form.username, scopes=granted)
        return {"access_token": token, "token_type": "bearer"}

    @app.get("/me")
    async def me(claims: Annotated[dict, Security(tokens.claims(oauth2))]):
        return {"user": claims["sub"], "scope": claims.get("scope", "")}

    @app.post("/items")
    async def add(claims: Annotated[dict, Security(tokens.claims(oauth2), scopes=["items:write"])]):
        return {"added_by": claims["sub"]}

    @app.get("/bearer")
    async def bearer(claims: Annotated[dict, Depends(tokens.claims(HTTPBearer()))]):
        return {"user": claims["sub"]}

    return app


def login(client, user: str, password: str, scopes: str = "items:read items:write") -> str:
    form = {"username": user, "password": password, "scope": scopes}
    response = client.post("/token", data=form)
    assert response.status_code == 200, response.text
    return response.json()["access_token"]


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_login_then_the_token_opens_the_routes_its_scopes_allow(client):
    alice, bob = login(client, "alice", "wonderland"), login(client, "bob", "builder")
    assert client.get("/me", headers=bearer(alice)).json() == {
        "user": "alice",
        "scope": "items:read items:write",
    }
    assert client.post("/items", headers=bearer(alice)).json() == {"added_by": "alice"}
    assert client.get("/bearer", headers=bearer(bob)).json() == {"user": "bob"}
    refused = client.post("/items", headers=bearer(bob))  # bob was not granted items:write
    assert (refused.status_code, refused.json()) == (401, {"detail": "Not enough permissions"})
    assert refused.headers["www-authenticate"] == 'Bearer scope="items:write"'
    wrong = client.post("/token", data={"username": "bob", "password": "nope"})
    assert wrong.status_code == 400


def test_expired_tampered_foreign_and_missing_tokens_get_401(client):
    good = login(client, "alice", "wonderland")
    expired = tokens.issue("alice", expires=timedelta(seconds=-5))
    header, payload, signature = good.split(".")
    flipped = signature[:-2] + ("A" if signature[-2] != "A" else "B") + signature[-1]
    foreign = JWTTokens("another-secret-of-32-bytes-at-least").issue("alice")
    unsigned = f"eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.{payload}."  # {"alg": "none"}
    cases = [
        (expired, "Token has expired"),
        (f"{header}.{payload}.{flipped}", "Could not validate credentials"),
        (foreign, "Could not validate credentials"),
        (unsigned, "Could not validate credentials"),
        ("not-a-jwt", "Could not validate credentials"),
    ]
    for token, detail in cases:
        response = client.get("/me", headers=bearer(token))
        assert (response.status_code, response.json()) == (401, {"detail": detail}), token
        assert response.headers["www-authenticate"] == "Bearer"
    missing = client.get("/me")
    assert (missing.status_code, missing.json()) == (401, {"detail": "Not authenticated"})


def test_issuer_audience_and_bad_settings():
    strict = JWTTokens(SECRET, issuer="https://auth.example", audience="api")
    token = strict.issue("carol", role="admin")
    claims = strict.verify(token)
    assert (claims["sub"], claims["iss"], claims["aud"], claims["role"]) == (
        "carol",
        "https://auth.example",
        "api",
        "admin",
    )
    with pytest.raises(HTTPException) as caught:
        strict.verify(tokens.issue("carol"))  # no iss nor aud
    assert caught.value.status_code == 401
    with pytest.raises(ValueError, match="secret"):
        JWTTokens("")
    with pytest.raises(ValueError, match="none"):
        JWTTokens(SECRET, algorithm="none")


def test_the_openapi_document_names_the_oauth2_scheme(app):
    document = app.openapi()
    assert document["paths"]["/me"]["get"]["security"] == [{"OAuth2PasswordBearer": []}]
    assert document["paths"]["/items"]["post"]["security"] == [
        {"OAuth2PasswordBearer": ["items:write"]}
    ]
    assert "token" not in str(document["paths"]["/me"]["get"].get("parameters", []))


def test_keys_subjects_claims_and_optional_authentication(make_client):
    with pytest.raises(ValueError, match="not a HS256 key"):
        JWTTokens("-----BEGIN PUBLIC KEY-----\nMFkw\n-----END PUBLIC KEY-----")
    with pytest.raises(ValueError, match="HS999"):
        JWTTokens(SECRET, algorithm="HS999")
    with pytest.raises(ValueError, match="public_key|cryptography"):  # (which is an extra)
        JWTTokens(SECRET, algorithm="ES256")
    with pytest.raises(TypeError, match="list of scopes"):
        tokens.issue("alice", scopes="items:write")
    with pytest.raises(ValueError, match="scope"):
        tokens.issue("alice", scope="admin")
    assert tokens.verify(tokens.issue(42))["sub"] == "42"  # written as a string
    optional = OAuth2PasswordBearer(tokenUrl="token", auto_error=False)
    app = FastAPI()

    @app.get("/maybe")
    async def maybe(claims: Annotated[dict | None, Security(tokens.claims(optional))]):
        return {"user": claims and claims["sub"]}

    @app.get("/scoped")
    async def scoped(
        claims: Annotated[dict, Security(tokens.claims(oauth2), scopes=["items:read"])],
    ):
        return claims["sub"]

    client = make_client(app)
    assert client.get("/maybe").json() == {"user": None}
    assert client.get("/maybe", headers=bearer(tokens.issue("dan"))).json() == {"user": "dan"}
    import jwt

    listed = jwt.encode(  # another issuer's token, its scopes as a list
        {"sub": "erin", "exp": 2**32, "scope": ["items:read"]}, SECRET, algorithm="HS256"
    )
    assert client.get("/scoped", headers=bearer(listed)).json() == "erin"
    expired = client.get("/scoped", headers=bearer(tokens.issue("dan", expires=timedelta(-1))))
    assert expired.status_code == 401
    assert expired.headers["www-authenticate"] == 'Bearer scope="items:read"'
