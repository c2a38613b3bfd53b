"""Slash redirects and frontends, for tests/test_redirect_slashes.py and
tests/test_frontend.py: the frontend build is tests/apps/frontend_dist, served at / and, behind
a session cookie, at /admin."""

from pathlib import Path

from FasterAPI import APIRouter, Depends, FastAPI, HTTPException, Request


def require_session(request: Request) -> None:
    if request.cookies.get("session") != "ok":
        raise HTTPException(401)


app = FastAPI()


@app.get("/items/")
def items():
    return ["a", "b"]


@app.get("/users")
def users():
    return ["u"]


router = APIRouter(prefix="/api")


@router.get("/things/")
def things():
    return ["t"]


app.include_router(router)
DIST = Path(__file__).parent / "frontend_dist"
app.frontend("/", directory=DIST, fallback="index.html")

admin = APIRouter(dependencies=[Depends(require_session)])
admin.frontend("/", directory=DIST)
app.include_router(admin, prefix="/admin")

no_redirects = FastAPI(redirect_slashes=False)
no_redirects.include_router(router)
