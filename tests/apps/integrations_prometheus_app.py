"""An unchanged FastAPI app with prometheus-fastapi-instrumentator, in the drop-in mode:
/metrics counts the requests by route template and status, for tests/test_integrations.py
on both doors."""

import FasterAPI.compat

FasterAPI.compat.install()

from fastapi import FastAPI  # noqa: E402
from prometheus_client import CollectorRegistry  # noqa: E402
from prometheus_fastapi_instrumentator import Instrumentator  # noqa: E402

app = FastAPI()


@app.get("/items/{item_id}")
def read_item(item_id: int):
    return {"item_id": item_id}


Instrumentator(registry=CollectorRegistry()).instrument(app).expose(app)
