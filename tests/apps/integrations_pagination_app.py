"""An unchanged FastAPI app paginated with fastapi-pagination, in the drop-in mode: it adds
its page-parameters dependency to the routes returning a Page (and rebuilds them through
`route.app`), for tests/test_integrations.py on both doors."""

import FasterAPI.compat

FasterAPI.compat.install()

from fastapi import FastAPI  # noqa: E402
from fastapi_pagination import Page, add_pagination, paginate  # noqa: E402
from pydantic import BaseModel  # noqa: E402

app = FastAPI()


class Item(BaseModel):
    id: int


@app.get("/items")
def items() -> Page[Item]:
    return paginate([Item(id=i) for i in range(5)])


@app.get("/schema")
def schema() -> dict:
    parameters = app.openapi()["paths"]["/items"]["get"]["parameters"]
    return {"parameters": sorted(p["name"] for p in parameters)}


add_pagination(app)
