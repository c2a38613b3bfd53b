"""One form app written against either FastAPI or FasterAPI (`build(lib)`), to compare their
OpenAPI documents: form fields with constraints, aliases, titles, descriptions, examples and
defaults, UploadFile, lists of files, bytes with File(), optional files, a form model,
multipart picked by a Form() marker, and form fields of a dependency.

tests/apps/openapi_forms_ref_fastapi.json is FastAPI's document of this app (FastAPI 0.165.0,
pydantic 2.14, python-multipart 0.0.34). To make it again, in a virtualenv with fastapi and
python-multipart installed, from the repository's root:

    python -m tests.apps.openapi_forms_ref fastapi > tests/apps/openapi_forms_ref_fastapi.json
"""

from typing import Annotated

import pydantic


class Profile(pydantic.BaseModel):
    """Who you are."""

    name: str = pydantic.Field(max_length=20)
    age: int = pydantic.Field(0, ge=1)
    tags: list[str] = []


def build(lib):
    Form, File, UploadFile, Depends = lib.Form, lib.File, lib.UploadFile, lib.Depends
    app = lib.FastAPI(title="Forms", version="1.0.0")

    def paging(page: Annotated[int, Form(ge=1)] = 1, size: int = 10):
        return page

    @app.post("/login", tags=["auth"])
    async def login(
        username: Annotated[str, Form(examples=["ann"])],
        password: Annotated[str, Form(min_length=3, description="secret")],
        remember: Annotated[bool, Form()] = False,
        scope: Annotated[str, Form(pattern="^[a-z ]*$")] = "",
    ):
        return {}

    @app.post("/upload")
    async def upload(file: UploadFile, note: Annotated[str | None, Form(alias="Note")] = None):
        return {}

    @app.post("/uploads")
    async def uploads(
        files: list[UploadFile],
        raw: Annotated[bytes, File(description="raw bytes")],
        tags: Annotated[list[str], Form()] = [],  # noqa: B006 - FastAPI's style
        ids: Annotated[list[int] | None, Form()] = None,
    ):
        return {}

    @app.post("/maybe")
    async def maybe(
        f: UploadFile | None = None,
        blobs: Annotated[list[bytes] | None, File()] = None,
        described: Annotated[UploadFile | None, File(description="optional")] = None,
    ):
        return {}

    @app.post("/profile")
    async def profile(data: Annotated[Profile, Form()]):
        return {}

    @app.put("/one")
    async def one(title: Annotated[str, Form(title="The title", max_length=10)]):
        return {}

    @app.post("/multipart-text")
    async def multipart_text(
        a: Annotated[str, Form(media_type="multipart/form-data")],
        b: Annotated[float, Form(gt=0, le=9.5)] = 1.5,
    ):
        return {}

    @app.post("/paged")
    async def paged(
        q: str,
        page: Annotated[int, Depends(paging)],
        name: Annotated[str, Form()] = "x",
    ):
        return {}

    return app


if __name__ == "__main__":
    import importlib
    import json
    import sys

    print(json.dumps(build(importlib.import_module(sys.argv[1])).openapi(), indent=1))
