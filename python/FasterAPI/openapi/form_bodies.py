"""The request body of a form made of form models, documented as FastAPI 0.165 does.

A form whose parameters include a form model (a pydantic model, or a union of them, read
from the whole form) is documented as a `Body_<operation id>` object: the plain fields are
its properties, and each model is a condition in its `allOf` (the model's `$ref`). An
optional model (`Model | None`) may be left out: its condition is `anyOf` "none of its
fields sent" (`maxProperties: 0` for a model that allows or forbids extra fields, as any
field then sends it) and the model; a required but nullable one says "not absent". A model
whose fields are read by other names than its schema shows (AliasChoices,
populate_by_name) is shown inline with the form's names.
"""

from __future__ import annotations

import copy
import functools
from typing import Any

from .._compiler.form_plan import MODEL, FormPlan, form_field_aliases
from .._types import sequence_item, unwrap_optional
from ..datastructures import UploadFile
from .constants import REF_PREFIX


def form_annotation(annotation: Any) -> Any:
    """A form field's type as the document shows it: bytes (a file's content) as a file, the
    way FastAPI writes both."""
    inner, optional = unwrap_optional(annotation)
    if inner is bytes:
        inner = UploadFile
    elif sequence_item(inner) is bytes:
        inner = list[UploadFile]
    else:
        return annotation
    return inner | None if optional else inner


def form_model_params(plan: Any) -> dict[int, Any]:
    """The form models among a body plan's parameters (by the id of their field)."""
    if not isinstance(plan, FormPlan):
        return {}
    return {id(param.field): param for param in plan.params if param.kind == MODEL}


def form_body(writer: Any, name: str, fields: list[Any], models: dict[int, Any]) -> dict:
    """The `Body_...` schema of a form with form models (FastAPI's `_apply_form_body_schema`);
    `fields` in FastAPI's order, `writer.body_field` makes a field's slot."""
    properties: dict[str, Any] = {}
    required: list[str] = []
    conditions: list[Any] = []
    for f in fields:
        param = models.get(id(f))
        if param is None:
            slot = writer.body_field(f, form_annotation(f.annotation))
            if f.alias in properties:
                conditions.append({"properties": {f.alias: slot}})
            else:
                properties[f.alias] = slot
            if f.required and f.alias not in required:
                required.append(f.alias)
            continue
        form_model = param.model
        slot = writer.body_field(f, f.annotation)
        single = None if form_model.union else _pydantic_model(form_model.models[0])
        slot.transform = functools.partial(
            _model_schema, model=single, optional=form_model.optional
        )
        condition: Any = slot
        if form_model.optional:
            absent = _absent(form_model)
            if f.required:
                conditions.append({"not": absent})
            else:
                condition = {"anyOf": [absent, slot]}
        conditions.append(condition)
    return {
        "properties": properties or None,
        "type": "object",
        "required": required or None,
        "allOf": conditions,
        "title": name,
    }


def has_nullable_model(models: dict[int, Any]) -> bool:
    """Whether a form model may be null (`Model | None`): its form then has a Body_ schema
    even when the model is the whole body, as in FastAPI."""
    return any(param.model.optional for param in models.values())


def _absent(form_model: Any) -> dict[str, Any]:
    """The schema of a form that does not send an optional form model."""
    if form_model.takes_extras:
        return {"maxProperties": 0}
    names = sorted(form_model.own_names)
    return {"not": {"anyOf": [{"required": [name]} for name in names]}} if names else {}


def _pydantic_model(model: Any) -> Any:
    return model if hasattr(model, "model_fields") else None


def _model_schema(
    schema: dict[str, Any], definitions: dict[str, Any], *, model: Any, optional: bool
) -> dict[str, Any]:
    """A form model parameter's schema: no default, no null (absent fields say it), the
    model's schema inline where the form reads its fields by other names."""
    schema = dict(schema)
    schema.pop("default", None)
    if model is not None:
        schema = _with_form_names(schema, definitions, model)
    if optional and "anyOf" in schema:
        schema["anyOf"] = [choice for choice in schema["anyOf"] if choice.get("type") != "null"]
    return schema


def _with_form_names(
    schema: dict[str, Any], definitions: dict[str, Any], model: Any
) -> dict[str, Any]:
    """`schema` with the model's `$ref` replaced by its schema as this form reads it, where a
    field is read by other names than the schema's (FastAPI's `_get_form_model_schema`):
    the property renamed, and a required one with several names any of them."""
    refs = [schema, *schema.get("anyOf", ())]
    ref = next((item for item in refs if "$ref" in item), None)
    if ref is None:
        return schema
    definition = definitions.get(ref["$ref"].removeprefix(REF_PREFIX), {})
    properties = definition.get("properties", {})
    required = definition.get("required", [])
    renamed: dict[str, list[str]] = {}
    for name, info in model.model_fields.items():
        choices = getattr(info.validation_alias, "choices", None)
        shown = choices[0] if choices else info.validation_alias or info.alias or name
        names = form_field_aliases(name, info, model.model_config)
        if (
            isinstance(shown, str)
            and shown in properties
            and (names[0] != shown or (len(names) > 1 and shown in required))
        ):
            renamed[shown] = names
    if not renamed:
        return schema
    inline = copy.deepcopy(definition)
    inline["properties"] = {renamed.get(k, [k])[0]: v for k, v in properties.items()}
    inline["required"] = []
    for name in required:
        names = renamed.get(name, [name])
        if len(names) == 1:
            inline["required"].append(names[0])
        else:
            any_of = {"anyOf": [{"required": [each]} for each in names]}
            inline.setdefault("allOf", []).append(any_of)
    if ref is schema:
        return inline
    return {**schema, "anyOf": [inline if item is ref else item for item in schema["anyOf"]]}
