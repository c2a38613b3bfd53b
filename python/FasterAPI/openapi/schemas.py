"""JSON schemas for the OpenAPI document: every parameter, body and response type of an app,
made in one batch so that each model becomes one entry under `components/schemas`.

pydantic's generator describes whatever pydantic can validate (models, dataclasses,
TypedDict, scalars), which gives FastAPI's own output; msgspec's describes msgspec.Struct
types, and everything when pydantic is not installed. A type neither can describe gets the
empty schema `{}` (anything) and a logged warning, never a failed `/openapi.json`.
"""

from __future__ import annotations

import copy
import functools
import logging
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

import msgspec

from .._types import unwrap_optional
from .constants import REF_PREFIX

logger = logging.getLogger("fasterapi.error")


#: Field attributes that go into a schema as they are (the constraints and the docs).
_CONSTRAINTS = ("gt", "ge", "lt", "le", "min_length", "max_length", "pattern")


@dataclass(eq=False)
class Slot:
    """Where a schema goes in the document being built; filled in by SchemaBuilder.fill. A
    `title` is added to a schema that is not a `$ref`, as FastAPI does for parameters and
    body fields."""

    key: int
    title: str | None = None
    #: A schema the user gave (an additional response's) that the generated one is laid over.
    base: dict[str, Any] | None = None
    #: Rewrites the schema made, given the component schemas (a form model's, say).
    transform: Callable[[dict[str, Any], dict[str, Any]], dict[str, Any]] | None = None


def field_attributes(marker: Any, default: Any, required: bool) -> dict[str, Any]:
    """The schema-relevant attributes of a parameter marker (Query(), Body()...): its
    default, description, constraints, examples and extras."""
    attrs: dict[str, Any] = {}
    if not required and getattr(marker, "default_factory", None) is None:
        attrs["default"] = default  # a factory's value is made per request: not shown
    if marker is None:
        return attrs
    for name in ("description", "examples", "json_schema_extra", *_CONSTRAINTS):
        value = getattr(marker, name, None)
        if value is not None:
            attrs[name] = value
    if getattr(marker, "deprecated", None):
        attrs["deprecated"] = True
    return attrs


class SchemaBuilder:
    """Collects (type, mode, attributes) inputs with `add`, makes all their schemas at once
    with `build`, then `fill` puts each schema where its Slot stands in a document."""

    def __init__(self, separate_input_output_schemas: bool = True) -> None:
        #: Whether a model's schema for responses ("serialization" mode) is made apart from
        #: its schema for requests, named `Item-Output` and `Item-Input` where they differ.
        #: Without, every schema is the request's, except those with computed fields (only
        #: a response has them), as FastAPI does.
        self.separate_input_output_schemas = separate_input_output_schemas
        self._inputs: list[tuple[Any, str, dict[str, Any]]] = []
        self._schemas: dict[int, dict[str, Any]] = {}
        self.definitions: dict[str, Any] = {}

    def add(
        self,
        annotation: Any,
        mode: str = "validation",
        attrs: dict[str, Any] | None = None,
        title: str | None = None,
    ) -> Slot:
        """A slot for the schema of `annotation` ("validation" mode for what the client
        sends, "serialization" for what the app answers), with field `attrs`."""
        self._inputs.append((annotation, mode, attrs or {}))
        return Slot(len(self._inputs) - 1, title)

    def build(self) -> None:
        pydantic = _pydantic()
        by_msgspec: list[int] = []
        by_pydantic: list[tuple[int, str, Any]] = []
        for key, (annotation, mode, attrs) in enumerate(self._inputs):
            core = _pydantic_core_schema(pydantic, annotation, attrs) if pydantic else None
            if core is None:
                by_msgspec.append(key)
                continue
            if not self.separate_input_output_schemas and not _has_computed_fields(core):
                mode = "validation"
            by_pydantic.append((key, mode, core))
        if by_pydantic:
            self._build_pydantic(pydantic, by_pydantic)
        if by_msgspec:
            self._build_msgspec(by_msgspec)

    def _build_pydantic(self, pydantic: Any, inputs: list[tuple[int, str, Any]]) -> None:
        try:
            generator = _generator_class()(ref_template=REF_PREFIX + "{model}")
            mapping, definitions = generator.generate_definitions(inputs=inputs)
        except Exception:  # one input fails them all: make each alone, to find it
            if len(inputs) > 1:
                for one in inputs:
                    self._build_pydantic(pydantic, [one])
                return
            key = inputs[0][0]
            logger.warning("no JSON schema for %r", self._inputs[key][0], exc_info=True)
            self._schemas[key] = {}
            return
        for (key, _mode), schema in mapping.items():
            self._schemas[key] = schema
        for definition in definitions.values():
            if isinstance(definition.get("description"), str):  # FastAPI's cut-off
                definition["description"] = definition["description"].split("\f")[0]
        self.definitions.update(definitions)

    def _build_msgspec(self, keys: list[int]) -> None:
        types = [_msgspec_type(*self._inputs[key][::2]) for key in keys]
        try:
            schemas, definitions = msgspec.json.schema_components(
                types, schema_hook=_msgspec_schema_hook, ref_template=REF_PREFIX + "{name}"
            )
        except Exception:
            if len(keys) > 1:
                for key in keys:
                    self._build_msgspec([key])
                return
            logger.warning("no JSON schema for %r", self._inputs[keys[0]][0], exc_info=True)
            self._schemas[keys[0]] = {}
            return
        for key, schema in zip(keys, schemas, strict=True):
            attrs = self._inputs[key][2]
            if "default" in attrs:
                schema["default"] = msgspec.to_builtins(attrs["default"], enc_hook=str)
            if attrs.get("deprecated"):
                schema["deprecated"] = True
            self._schemas[key] = schema
        self.definitions.update(definitions)

    def schema(self, slot: Slot) -> dict[str, Any]:
        schema = dict(self._schemas.get(slot.key, {}))
        if slot.title is not None and "$ref" not in schema:
            schema["title"] = slot.title
        if slot.base:
            schema = deep_update(copy.deepcopy(slot.base), schema)
        if slot.transform is not None:
            schema = slot.transform(schema, self.definitions)
        return schema

    def fill(self, document: Any) -> Any:
        """`document` with every Slot replaced by its schema, and no key whose value is None
        (FastAPI leaves those out too)."""
        if isinstance(document, Slot):
            return self.fill(self.schema(document))
        if isinstance(document, dict):
            return {k: self.fill(v) for k, v in document.items() if v is not None}
        if isinstance(document, list | tuple):
            return [self.fill(v) for v in document]
        return document


def deep_update(target: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    """Lays `extra` over `target` (and returns it): dicts are merged key by key, lists
    appended, anything else replaced."""
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(target.get(key), dict):
            deep_update(target[key], value)
        elif isinstance(value, list) and isinstance(target.get(key), list):
            target[key] = target[key] + value
        else:
            target[key] = value
    return target


@functools.cache
def _generator_class() -> Any:
    """pydantic's JSON Schema generator, with bytes written as FastAPI writes them
    (`contentMediaType: application/octet-stream`, not `format: binary`)."""
    from pydantic.json_schema import GenerateJsonSchema

    class Generator(GenerateJsonSchema):
        def bytes_schema(self, schema: Any) -> Any:
            json_schema = {"type": "string", "contentMediaType": "application/octet-stream"}
            config = self._config
            mode = config.ser_json_bytes if self.mode == "serialization" else config.val_json_bytes
            if mode == "base64":
                json_schema["contentEncoding"] = "base64"
            self.update_with_validations(json_schema, schema, self.ValidationsMapping.bytes)
            return json_schema

    return Generator


def _pydantic() -> Any:
    try:
        import pydantic
    except ImportError:
        return None
    return pydantic


def _pydantic_core_schema(pydantic: Any, annotation: Any, attrs: dict[str, Any]) -> Any:
    """pydantic's core schema of `annotation` as a field with `attrs`, or None when pydantic
    cannot describe it (a msgspec.Struct inside, say)."""
    field = {k: v for k, v in attrs.items() if k != "deprecated"}
    if attrs.get("deprecated"):
        field["deprecated"] = True
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # field attributes a TypeAdapter does not use
            adapter = pydantic.TypeAdapter(Annotated[annotation, pydantic.Field(**field)])
            return adapter.core_schema
    except Exception:
        return None


def _has_computed_fields(core: Any) -> bool:
    """Whether a core schema has a model or dataclass with computed fields, at any depth."""
    if isinstance(core, dict):
        if core.get("computed_fields"):
            return True
        return any(_has_computed_fields(value) for value in core.values())
    if isinstance(core, list):
        return any(_has_computed_fields(value) for value in core)
    return False


def _msgspec_schema_hook(tp: Any) -> dict[str, Any]:
    """The schemas msgspec does not know: an uploaded file's, as FastAPI writes it."""
    from ..datastructures import FILE_SCHEMA, UploadFile

    if tp is UploadFile:
        return dict(FILE_SCHEMA)
    raise NotImplementedError(tp)


def _msgspec_type(annotation: Any, attrs: dict[str, Any]) -> Any:
    """`annotation` with the field's constraints and docs as msgspec.Meta, on the type
    inside an Optional."""
    meta = {k: attrs[k] for k in _CONSTRAINTS if k in attrs}
    for name in ("description", "examples"):
        if name in attrs:
            meta[name] = attrs[name]
    if "json_schema_extra" in attrs and isinstance(attrs["json_schema_extra"], dict):
        meta["extra_json_schema"] = attrs["json_schema_extra"]
    if not meta:
        return annotation
    inner, optional = unwrap_optional(annotation)
    constrained = Annotated[inner, msgspec.Meta(**meta)]  # type: ignore[valid-type]
    return constrained | None if optional else constrained
