"""Routers with their own strict_content_type, and a route class wrapping the request
handling (a custom Request, a header on the response, validation errors caught), for
tests/test_router_options.py through TestClient and on the native server."""

import gzip
from typing import Annotated

from FasterAPI import APIRouter, Body, Depends, FastAPI, HTTPException, Request, Response
from FasterAPI.exceptions import RequestValidationError
from FasterAPI.routing import APIRoute


class GzipRequest(Request):
    """FastAPI's custom-request example: the body is gunzipped when it says so."""

    async def body(self) -> bytes:
        if not hasattr(self, "_body"):
            body = await super().body()
            if "gzip" in self.headers.getlist("content-encoding"):
                body = gzip.decompress(body)
            self._body = body
        return self._body


class WrappingRoute(APIRoute):
    """A route class wrapping the request handling, as FastAPI's docs and plugins do: a
    custom Request, a header on the response, and validation errors caught."""

    def get_route_handler(self):
        original = super().get_route_handler()

        async def handler(request: Request) -> Response:
            request = GzipRequest(request.scope, request.receive)
            try:
                response = await original(request)
            except RequestValidationError as exc:
                body = await request.body()
                detail = {"errors": len(exc.errors()), "body": body.decode()}
                raise HTTPException(422, detail) from exc
            response.headers["x-wrapped"] = type(request).__name__
            return response

        return handler


def wrapped_app() -> FastAPI:
    def dependency():
        return "dep"

    router = APIRouter(route_class=WrappingRoute)

    @router.post("/sum/{label}")
    def total(label: str, numbers: Annotated[list[int], Body()], dep=Depends(dependency)):
        return {"label": label, "sum": sum(numbers), "dep": dep}

    @router.get("/class")
    def request_class(request: Request):
        return type(request).__name__

    app = FastAPI()
    app.include_router(router, prefix="/w")
    return app


def strict_app() -> FastAPI:
    lax = APIRouter(prefix="/lax", strict_content_type=False)
    strict = APIRouter(prefix="/strict")

    @lax.post("/items")
    def lax_items(data: dict):
        return data

    @strict.post("/items")
    def strict_items(data: dict):
        return data

    app = FastAPI()
    app.include_router(lax)
    app.include_router(strict)
    return app


strict = strict_app()
wrapped = wrapped_app()
