"""FileResponse with Range headers (tests/test_file_ranges.py), through TestClient and on the
native server; the files are in the folder named by RANGES_APP_FILES."""

import os
from pathlib import Path

from FasterAPI import FastAPI
from FasterAPI.responses import FileResponse

FILES = Path(os.environ.get("RANGES_APP_FILES", Path(__file__).parent))

app = FastAPI()


@app.get("/files/{name}")
async def file(name: str):
    return FileResponse(FILES / name)


@app.post("/files/{name}")
async def posted_file(name: str):
    return FileResponse(FILES / name)


@app.get("/missing-page/{name}")
async def not_found_page(name: str):
    return FileResponse(FILES / name, status_code=404)
