"""Webhooks, callbacks and operation ids in the OpenAPI document: `app.webhooks` routes go
under "webhooks", a route's `callbacks=` (its own, its router's, its include's) under the
operation's "callbacks", and `generate_unique_id_function` at every level names the
operations (and the schemas named after them), the same as FastAPI's document of the same
app (tests/apps/openapi_hooks_ref_fastapi.json)."""

import json
import warnings
from pathlib import Path

import FasterAPI
import pytest
from FasterAPI import APIRouter, FastAPI

from tests.apps import openapi_hooks_ref

REFERENCE = Path(__file__).parent / "apps" / "openapi_hooks_ref_fastapi.json"

pytestmark = pytest.mark.fasterapi_only


def reference_app():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # callbacks included twice repeat operation ids
        return openapi_hooks_ref.build(FasterAPI)


def test_document_is_fastapis(make_client):
    app = reference_app()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        document = make_client(app).get("/openapi.json").json()
    assert document == json.loads(REFERENCE.read_text())


def test_webhooks_and_callbacks_are_documented_not_served(make_client):
    client = make_client(reference_app())
    assert client.post("/new-subscription", json={}).status_code == 404
    assert client.get("/renewal").status_code == 404
    created = client.post("/invoices/", json={"id": "a", "total": 1.5})
    assert created.status_code == 200
    assert created.json() == {"msg": "Invoice received"}
    assert client.get("/invoices/a").status_code == 200
    assert client.get("/inc/plain").status_code == 200


def test_callbacks_carry_through_includes_and_router_defaults():
    callbacks = APIRouter()

    @callbacks.post("{$request.body.url}/done")
    def done(status: str):
        pass

    router = APIRouter(callbacks=callbacks.routes)

    @router.post("/jobs")
    def create_job(url: str):
        return {}

    app = FastAPI()
    app.include_router(router, prefix="/v1")
    (route,) = [r for r in app.routes if getattr(r, "path", "") == "/v1/jobs"]
    assert [r.path for r in route.callbacks] == ["{$request.body.url}/done"]
    operation = app.openapi()["paths"]["/v1/jobs"]["post"]
    assert list(operation["callbacks"]) == ["done"]
    assert list(operation["callbacks"]["done"]) == ["{$request.body.url}/done"]


def test_a_served_route_path_still_starts_with_a_slash():
    app = FastAPI()
    with pytest.raises(ValueError, match="must start with '/'"):
        app.get("items")(lambda: None)
    router = APIRouter()
    router.get("items")(lambda: None)  # a router's may not (a webhook's, a callback's)
    with pytest.raises(ValueError, match="must start with '/'"):
        router.add_route("items", lambda request: None)


def test_webhooks_router_can_be_given():
    hooks = APIRouter()

    @hooks.post("ping")
    def ping(count: int):
        pass

    app = FastAPI(webhooks=hooks)
    assert app.webhooks is hooks
    assert list(app.openapi()["webhooks"]) == ["ping"]
