"""`behind_a_middleware(app)`: the app with a user middleware that changes nothing, so that
every request takes the ASGI path (native server, Rust front door) instead of the short one."""

from FasterAPI import Faster, Request


def behind_a_middleware(app: Faster) -> Faster:
    @app.middleware("http")
    async def passthrough(request: Request, call_next):
        return await call_next(request)

    return app
