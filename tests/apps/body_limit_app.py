"""max_body_size on the app, a route, a router and include_router, for
tests/test_max_body_size.py; `wrapped` is the same app behind a middleware (every request on
the ASGI path) and `depends` limits a route whose body a dependency reads."""

from FasterAPI import APIRouter, Depends, Faster, Request

from tests.apps.passthrough import behind_a_middleware


async def raw_body(request: Request) -> int:
    return len(await request.body())


def build() -> Faster:
    app = Faster(max_body_size=100)

    @app.get("/health")
    async def health():
        return {"ok": True}

    @app.post("/app")
    async def app_limit(x: dict):
        return {"n": len(x)}

    @app.post("/route", max_body_size=10)
    async def route_limit(x: dict):
        return {"n": len(x)}

    @app.post("/big", max_body_size=1000)
    async def bigger_than_the_app(x: dict):
        return {"n": len(x)}

    @app.post("/nobody")
    async def no_body_parameter():
        return {"ok": True}

    @app.post("/depends", max_body_size=10)
    async def read_by_a_dependency(size: int = Depends(raw_body)):
        return {"size": size}

    router = APIRouter(max_body_size=20)

    @router.post("/r")
    async def router_limit(x: dict):
        return {"n": len(x)}

    app.include_router(router, prefix="/router")
    included = APIRouter()

    @included.post("/r")
    async def include_limit(x: dict):
        return {"n": len(x)}

    app.include_router(included, prefix="/inc", max_body_size=30)
    return app


app = build()
wrapped = behind_a_middleware(build())
