"""One `@app.middleware("http")` (it times the request and sets a header on call_next's
response) in front of a JSON route: FasterAPI or FastAPI, by the FRAMEWORK environment
variable ("FasterAPI", the default, or "fastapi"), for benchmarks/http_middleware.py."""

import importlib
import os
import time

FastAPI = importlib.import_module(os.environ.get("FRAMEWORK", "FasterAPI")).FastAPI

app = FastAPI()


@app.middleware("http")
async def timing(request, call_next):
    start = time.perf_counter()
    response = await call_next(request)
    response.headers["x-process-time"] = f"{time.perf_counter() - start:.6f}"
    return response


@app.get("/json")
async def hello():
    return {"message": "Hello, World!"}
