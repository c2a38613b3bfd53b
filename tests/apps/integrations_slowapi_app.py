"""An unchanged FastAPI app rate-limited with slowapi, in the drop-in mode: a route limited
to 2 requests a minute by its decorator, the others to 3 by SlowAPIMiddleware's default, for
tests/test_integrations.py on both doors."""

import FasterAPI.compat

FasterAPI.compat.install()

from fastapi import FastAPI, Request  # noqa: E402
from slowapi import Limiter, _rate_limit_exceeded_handler  # noqa: E402
from slowapi.errors import RateLimitExceeded  # noqa: E402
from slowapi.middleware import SlowAPIMiddleware  # noqa: E402
from slowapi.util import get_remote_address  # noqa: E402

limiter = Limiter(key_func=get_remote_address, default_limits=["3/minute"])
app = FastAPI()
app.state.limiter = limiter
app.add_exception_handler(RateLimitExceeded, _rate_limit_exceeded_handler)
app.add_middleware(SlowAPIMiddleware)


@app.get("/limited")
@limiter.limit("2/minute")
async def limited(request: Request):
    return {"ok": True}


@app.get("/default")
async def default(request: Request):
    return {"ok": True}
