"""A form route with a file, for tests/test_uploads.py: it reports what it received (size,
SHA-256, whether the file spilled to disk), so the test can check big uploads arrive whole
while the server never holds them in memory."""

import hashlib

from FasterAPI import Faster, File, Form, UploadFile

app = Faster()


@app.get("/health")
async def health():
    return {"ok": True}


@app.post("/upload")
async def upload(name: str = Form(), file: UploadFile = File()):
    digest = hashlib.sha256()
    size = 0
    while chunk := await file.read(1 << 20):
        digest.update(chunk)
        size += len(chunk)
    return {
        "name": name,
        "filename": file.filename,
        "size": size,
        "sha256": digest.hexdigest(),
        "on_disk": getattr(file.file, "_rolled", False),
    }
