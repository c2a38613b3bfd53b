"""The four benchmark endpoints for FasterAPI, with a pydantic BaseModel for POST /items.

The same endpoints as fasterapi_app.py (built by its make_app) except for the model, so the two
show what the model library costs (and this one is the closest like-for-like with the FastAPI
peer app).
"""

from fasterapi_app import make_app
from pydantic import BaseModel


class Item(BaseModel):
    name: str
    price: float
    tags: list[str] = []


app = make_app(Item)
