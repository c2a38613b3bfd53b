"""Starlette-style routes (`app.add_route`, `@app.route`), `request.stream()` and
`request.is_disconnected()`, for tests/test_request_extras.py."""

from FasterAPI import APIRouter, FastAPI, Request
from FasterAPI.responses import JSONResponse, PlainTextResponse


def extras_app():
    app = FastAPI()

    async def metrics(request: Request):
        return PlainTextResponse(f"requests_total 1\npath {request.url.path}\n")

    def sync_page(request: Request):
        return PlainTextResponse("sync " + request.method)

    app.add_route("/metrics", metrics)
    app.add_route("/page", sync_page, methods=["GET", "POST"], name="page")

    router = APIRouter(prefix="/r")

    @router.route("/echo", methods=["PUT"])
    async def echo(request: Request):
        return JSONResponse({"length": len(await request.body())})

    app.include_router(router)

    @app.post("/upload")
    async def upload(request: Request):
        pieces = [len(piece) async for piece in request.stream()]
        return {"total": sum(pieces), "pieces": len(pieces) > 0}

    @app.get("/alive")
    async def alive(request: Request):
        return {"disconnected": await request.is_disconnected()}

    return app
