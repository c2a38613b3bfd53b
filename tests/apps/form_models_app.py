"""Form models, aliases and form limits as FastAPI 0.165 reads them (tests/test_form_models.py)."""

from typing import Annotated, Literal

from FasterAPI import Body, Depends, FastAPI, File, Form, Request, UploadFile
from pydantic import AliasChoices, BaseModel, BeforeValidator, ConfigDict, Field

app = FastAPI()
calls: list[str] = []


@app.post("/validation-alias")
async def validation_alias(p: Annotated[str, Form(alias="p_alias", validation_alias="p_val")]):
    return {"p": p}


@app.post("/alias-choices")
async def alias_choices(
    value: Annotated[int, Form(validation_alias=AliasChoices("first", "second"))],
):
    return value


@app.post("/files")
async def files(p: Annotated[list[bytes], File(validation_alias="p_val")]):
    return {"sizes": [len(f) for f in p]}


class Settings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(validation_alias=AliasChoices("display_name", "name"))
    tags: list[str] = []


@app.post("/optional-model")
async def optional_model(settings: Annotated[Settings | None, Form()] = None):
    return settings


class Person(BaseModel):
    kind: Literal["person"]
    name: str


class Company(BaseModel):
    kind: Literal["company"]
    company_name: str


@app.post("/contact")
async def contact(
    contact: Annotated[Person | Company, Form(discriminator="kind")],
    token: Annotated[str, Form()],
):
    return {"contact": contact, "token": token}


def rename_legacy(data):
    """A validator of the whole union: the form's values, as a dict, before a branch is tried."""
    if "legacy" in data:
        data["name"] = data.pop("legacy")
    return data


@app.post("/renamed-contact")
async def renamed_contact(
    contact: Annotated[Person | Company, BeforeValidator(rename_legacy), Form()],
):
    return contact


class Short(BaseModel):
    name: str


class Long(BaseModel):
    name: str
    count: int


@app.post("/left-to-right")
async def left_to_right(data: Annotated[Short | Long, Field(union_mode="left_to_right"), Form()]):
    return type(data).__name__


@app.post("/nested-discriminated")
async def nested_discriminated(
    contact: Annotated[
        Annotated[Person | Company, Field(discriminator="kind")] | None, Form()
    ] = None,
):
    """Not a form model: a field named `contact` (FastAPI reads it so too)."""
    return contact


@app.post("/limited", form_limits={"max_fields": 1, "max_part_size": 16})
async def limited(text: Annotated[str, Form()]):
    return text


@app.post("/form-again", form_limits={"max_fields": 1})
async def form_again(request: Request, text: Annotated[str, Form()]):
    """request.form() gives the form the route read, within the route's limits (as
    FastAPI's cached form), whatever limits it is asked for."""
    form = await request.form(max_fields=0)
    return form["text"] == text


def read_prefix(file: Annotated[bytes, File()]) -> str:
    return file[:2].decode()


@app.post("/shared-file")
async def shared_file(prefix: Annotated[str, Depends(read_prefix)], file: UploadFile):
    return {"prefix": prefix, "content": (await file.read()).decode()}


def factory() -> int:
    calls.append("factory")
    return 10


@app.post("/body-choices")
def body_choices(
    value: Annotated[
        int | None,
        Body(embed=True, default_factory=factory, validation_alias=AliasChoices("a", "b")),
    ],
):
    return value
