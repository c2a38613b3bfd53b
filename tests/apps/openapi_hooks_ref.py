"""One app written against either FastAPI or FasterAPI (`build(lib)`), to compare their
OpenAPI documents: webhooks (`app.webhooks`, with security), callbacks (a route's, a
router's and an include's, with runtime-expression paths), operation ids made by
`generate_unique_id_function` at every level (app, router, include, route, callback
router) or set on a route after it was added, parameters left out of the document (the
operation still answers 422), and computed fields in the request and the response.

tests/apps/openapi_hooks_ref_fastapi.json is FastAPI's document of this app (FastAPI
0.165.0, pydantic 2.14). To make it again, in a virtualenv with fastapi installed:

    python -m tests.apps.openapi_hooks_ref fastapi > tests/apps/openapi_hooks_ref_fastapi.json
"""

import importlib
from datetime import datetime

import pydantic


class Subscription(pydantic.BaseModel):
    username: str
    monthly_fee: float
    start_date: datetime


class Invoice(pydantic.BaseModel):
    id: str
    title: str | None = None
    total: float


class InvoiceEvent(pydantic.BaseModel):
    description: str
    paid: bool


class InvoiceEventReceived(pydantic.BaseModel):
    ok: bool


class Event(pydantic.BaseModel):
    name: str


class Rectangle(pydantic.BaseModel):
    width: int
    length: int

    @pydantic.computed_field
    @property
    def area(self) -> int:
        return self.width * self.length


def tagged_id(route) -> str:
    return f"{route.tags[0] if route.tags else 'none'}-{route.name}"


def named_id(prefix):
    return lambda route: f"{prefix}_{route.name}"


def build(lib):
    app = lib.FastAPI(generate_unique_id_function=tagged_id, separate_input_output_schemas=False)
    token = importlib.import_module(lib.__name__ + ".security").HTTPBearer()

    @app.webhooks.post("new-subscription", dependencies=[lib.Depends(token)])
    def new_subscription(body: Subscription):
        """When a user subscribes, a POST goes to the URL they registered."""

    @app.webhooks.get("renewal", generate_unique_id_function=named_id("hook"), deprecated=True)
    def renewal(user: str):
        pass

    invoice_callbacks = lib.APIRouter(generate_unique_id_function=named_id("cb"))

    @invoice_callbacks.post(
        "{$callback_url}/invoices/{$request.body.id}", response_model=InvoiceEventReceived
    )
    def invoice_notification(body: InvoiceEvent):
        pass

    event_callbacks = lib.APIRouter()

    @event_callbacks.get("{$callback_url}/events/{$request.body.title}")
    def event_callback(event: Event, hidden: str = lib.Query(include_in_schema=False)):
        pass

    router_callbacks = lib.APIRouter()

    @router_callbacks.put("{$request.query.url}/status", status_code=204, tags=["cb"])
    def status_callback(level: int = 0):
        pass

    invoices = lib.APIRouter(
        tags=["invoices"],
        callbacks=router_callbacks.routes,
        generate_unique_id_function=named_id("inv"),
    )

    @invoices.post("/invoices/", callbacks=invoice_callbacks.routes)
    def create_invoice(invoice: Invoice, callback_url: str | None = None):
        return {"msg": "Invoice received"}

    @invoices.get("/invoices/{invoice_id}", generate_unique_id_function=named_id("own"))
    def read_invoice(invoice_id: str):
        return {}

    app.include_router(invoices, callbacks=event_callbacks.routes)

    plain = lib.APIRouter()

    @plain.get("/plain")
    def plain_route():
        return {}

    app.include_router(plain, prefix="/inc", generate_unique_id_function=named_id("inc"))

    @app.get("/hidden", tags=["misc"])
    def hidden_only(secret: str | None = lib.Query(default=None, include_in_schema=False)):
        return {}

    @app.get("/renamed")
    def renamed_later():
        return {}

    for route in app.routes:
        if getattr(route, "path", None) == "/renamed":
            route.operation_id = route.name

    @app.post("/rectangles", tags=["shapes"])
    def rectangles(rectangle: Rectangle) -> list[Rectangle]:
        return [rectangle]

    return app


if __name__ == "__main__":
    import json
    import sys

    print(json.dumps(build(importlib.import_module(sys.argv[1])).openapi(), indent=1))
