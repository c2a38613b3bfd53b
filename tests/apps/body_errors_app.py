"""Routes with a body of every kind, for tests/test_body_errors.py: malformed bodies must get
FastAPI's 422 or 400, never a 500, on every door."""

import dataclasses
from typing import TypedDict

import msgspec
from FasterAPI import Body, Faster
from pydantic import BaseModel


class Item(msgspec.Struct):
    a: int


class Model(BaseModel):
    a: int


@dataclasses.dataclass
class Data:
    a: int


class Typed(TypedDict):
    a: int


app = Faster()


@app.get("/health")
async def health():
    return {"ok": True}


@app.post("/struct")
async def struct_body(x: Item):
    return {"a": x.a}


@app.post("/model")
async def model_body(x: Model):
    return {"a": x.a}


@app.post("/dataclass")
async def dataclass_body(x: Data):
    return {"a": x.a}


@app.post("/typeddict")
async def typeddict_body(x: Typed):
    return {"a": x["a"]}


@app.post("/dict")
async def dict_body(x: dict):
    return {"keys": len(x)}


@app.post("/list")
async def list_body(x: list[int] = Body()):
    return {"n": len(x)}


@app.post("/embedded")
async def embedded_body(x: Item, y: int = Body()):
    return {"a": x.a, "y": y}
