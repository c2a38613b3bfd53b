"""Forms made of form models, written against either FastAPI or FasterAPI (`build(lib)`), to
compare their OpenAPI documents: optional models (alone, required but nullable, beside a
field), several models with an optional one that forbids extras, unions of models (optional
too), a nested discriminated union (a plain field), and a model whose fields the form reads
by other names (populate_by_name, AliasChoices).

tests/apps/form_models_ref_fastapi.json is FastAPI's document of this app (FastAPI 0.165.0).
To make it again, in a virtualenv with fastapi and python-multipart installed, from the
repository's root:

    python -m tests.apps.form_models_ref fastapi > tests/apps/form_models_ref_fastapi.json
"""

from typing import Annotated, Literal

from pydantic import AliasChoices, BaseModel, ConfigDict, Field


class Profile(BaseModel):
    name: str
    age: int
    tags: list[str] = Field(default_factory=list)


class Closed(BaseModel):
    model_config = ConfigDict(extra="forbid")
    token: str


class Second(BaseModel):
    value: int = 0


class Aliased(BaseModel):
    model_config = ConfigDict(populate_by_name=True)
    value: int = Field(alias="first")
    other: str = Field("x", validation_alias=AliasChoices("other_name", "other"))


class TextForm(BaseModel):
    kind: Literal["text"] = "text"
    value: str


class ListForm(BaseModel):
    kind: Literal["list"]
    value: list[str]
    enabled: bool = False


def build(lib):
    Form = lib.Form
    app = lib.FastAPI(title="Form models", version="1.0.0")

    @app.post("/optional")
    def optional(profile: Annotated[Profile | None, Form()] = None): ...

    @app.post("/nullable")
    def nullable(profile: Annotated[Profile | None, Form()]): ...

    @app.post("/beside")
    def beside(
        token: Annotated[str, Form()], profile: Annotated[Profile | None, Form()] = None
    ): ...

    @app.post("/several")
    def several(
        profile: Annotated[Profile, Form()],
        second: Annotated[Second, Form()],
        closed: Annotated[Closed | None, Form()] = None,
    ): ...

    @app.post("/aliased")
    def aliased(first: Annotated[Aliased, Form()], second: Annotated[Second, Form()]): ...

    @app.post("/union")
    def union(data: Annotated[TextForm | ListForm, Form()]): ...

    @app.post("/optional-union")
    def optional_union(data: Annotated[TextForm | ListForm | None, Form()] = None): ...

    @app.post("/nested-discriminated")
    def nested_discriminated(
        data: Annotated[
            Annotated[TextForm | ListForm, Field(discriminator="kind")] | None, Form()
        ] = None,
    ): ...

    return app


if __name__ == "__main__":
    import importlib
    import json
    import sys

    print(json.dumps(build(importlib.import_module(sys.argv[1])).openapi(), indent=1))
