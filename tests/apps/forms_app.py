"""Form fields and file uploads (tests/test_forms.py), served through TestClient, on the
native server (`fasterapi run`, real HTTP) and under uvicorn."""

import enum
from typing import Annotated, Literal

import msgspec
import pydantic
from FasterAPI import BackgroundTasks, Depends, FastAPI, File, Form, Request, UploadFile

app = FastAPI()

#: The files the last upload request got, to check they are closed once it is answered.
uploads: list[UploadFile] = []


class Color(enum.Enum):
    red = "red"
    blue = "blue"


class Profile(pydantic.BaseModel):
    name: str
    age: int = pydantic.Field(0, ge=0)
    tags: list[str] = []


class Signup(msgspec.Struct):
    email: str
    age: int = 0
    topics: list[str] = []


def describe(file: UploadFile) -> dict:
    file.file.seek(0)
    data = file.file.read()
    file.file.seek(0)
    return {
        "filename": file.filename,
        "content_type": file.content_type,
        "size": file.size,
        "content": data.decode("latin-1"),
    }


def doubled(value):
    return 0 if value is None else int(value) * 2


Doubled = Annotated[int | None, pydantic.BeforeValidator(doubled)]


@app.post("/validated-defaults")
async def validated_defaults(
    sent: Annotated[Doubled, Form()] = 10,
    default: Annotated[Doubled, Form(validate_default=True)] = 10,
    kept: Annotated[Doubled, Form()] = 10,
):
    """A form field's validators run on what is sent, and on the default only with
    validate_default=True (tests/test_forms.py)."""
    return {"sent": sent, "default": default, "kept": kept}


@app.get("/health")
async def health():
    return {"ok": True}


@app.post("/login")
async def login(
    username: Annotated[str, Form()],
    password: Annotated[str, Form(min_length=3)],
    remember: Annotated[bool, Form()] = False,
):
    return {"username": username, "password": password, "remember": remember}


@app.post("/scalars")
async def scalars(
    n: Annotated[int, Form(ge=1)],
    ratio: Annotated[float, Form(lt=10)] = 1.0,
    code: Annotated[str, Form(pattern="^[a-z]+$", max_length=5)] = "abc",
    color: Annotated[Color, Form()] = Color.red,
    mode: Annotated[Literal["a", "b"], Form()] = "a",
    note: Annotated[str | None, Form(alias="Note")] = None,
):
    return {"n": n, "ratio": ratio, "code": code, "color": color, "mode": mode, "note": note}


@app.post("/lists")
async def lists(
    tags: Annotated[list[str], Form()] = [],  # noqa: B006 - FastAPI's style
    ids: Annotated[list[int] | None, Form()] = None,
):
    return {"tags": tags, "ids": ids}


@app.post("/upload")
async def upload(file: UploadFile, note: Annotated[str, Form()] = ""):
    uploads[:] = [file]
    content = await file.read()
    return {
        **describe(file),
        "read": len(content),
        "rolled": file.file._rolled,
        "headers": dict(file.headers),
        "note": note,
    }


@app.post("/uploads")
async def many_uploads(files: list[UploadFile], raw: Annotated[bytes, File()]):
    uploads[:] = files
    return {"files": [describe(f) for f in files], "raw": raw.decode()}


@app.post("/maybe")
async def maybe(
    file: UploadFile | None = None,
    blobs: Annotated[list[bytes] | None, File()] = None,
):
    return {
        "file": None if file is None else file.filename,
        "blobs": None if blobs is None else [b.decode() for b in blobs],
    }


@app.get("/uploads/closed")
async def uploads_closed():
    return {"closed": [f.file.closed for f in uploads]}


@app.post("/profile")
async def profile(data: Annotated[Profile, Form()]):
    return data


@app.post("/signup")
async def signup(data: Annotated[Signup, Form()]):
    return data


def current_user(
    username: Annotated[str, Form()], token: Annotated[str, Form(min_length=2)], q: int = 0
):
    return {"username": username, "q": q}


@app.post("/with-deps")
async def with_deps(
    user: Annotated[dict, Depends(current_user)],
    tasks: BackgroundTasks,
    extra: Annotated[int, Form()] = 1,
    z: int = 0,
):
    return {"user": user, "extra": extra, "z": z}


@app.post("/raw-form")
async def raw_form(request: Request):
    async with request.form() as form:
        items = [
            [key, value if isinstance(value, str) else describe(value)]
            for key, value in form.multi_items()
        ]
        files = [v for _, v in form.multi_items() if isinstance(v, UploadFile)]
    return {"items": items, "closed": [f.file.closed for f in files]}


@app.post("/json")
async def json_body(item: dict):
    return item
