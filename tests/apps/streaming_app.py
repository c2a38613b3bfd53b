"""Bodies streamed to a route on the native server (tests/test_native_streaming.py): handlers
given the Request, which read a large or chunked body as it arrives, or not at all."""

import asyncio

from FasterAPI import FastAPI, Request, UploadFile
from FasterAPI.requests import ClientDisconnect

app = FastAPI()
#: What the handlers saw: how many streams their clients left in the middle of (the server
#: cancels the handler, as for any request whose client left).
seen = {"disconnected": 0}


@app.post("/count")
async def count(request: Request):
    total = pieces = 0
    async for chunk in request.stream():
        total += len(chunk)
        pieces += 1
    return {"total": total, "pieces": pieces}


@app.post("/ignore")
async def ignore(request: Request):
    return {"ignored": True}


@app.post("/tiny", max_body_size=10)
async def tiny(request: Request):
    return {"size": len(await request.body())}


@app.post("/limited", max_body_size=300_000)
async def limited(request: Request):
    return {"size": len(await request.body())}


@app.post("/left")
async def left(request: Request):
    try:
        async for _chunk in request.stream():
            pass
    except (ClientDisconnect, asyncio.CancelledError):
        seen["disconnected"] += 1
        raise
    return {}


@app.post("/upload")
async def upload(request: Request, file: UploadFile):
    if request.headers.get("x-body"):
        await request.body()  # the form was read as it arrived: "Stream consumed", a 500
    form = await request.form()  # the form as read
    return {"size": len(await file.read()), "same": form["file"] is file}


@app.get("/seen")
async def report():
    return seen
