"""Path, query, header and cookie parameters that pydantic validates: parameter models
(`Annotated[Model, Query()]`, FastAPI 0.115+), parameters read by alias choices, and types
the Rust plan does not parse itself (`int | str`, EmailStr, constrained sets...).

The Rust plan hands such a parameter's validator every `(name, value)` pair of its source
(header names lowercased); the validator picks its values out as FastAPI does
(`fastapi.dependencies.utils.request_params_to_args`) and validates them with pydantic,
returning `(value, errors)` with FastAPI's error dicts.
"""

from __future__ import annotations

import collections
import collections.abc
import copy
import types
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated, Any, Union, get_args, get_origin

from .. import params as p
from .._types import unwrap_optional
from .body import Loc, _pydantic, _pydantic_errors

_SEQUENCES = (list, set, frozenset, tuple, collections.deque, collections.abc.Sequence)


def field_annotation_is_sequence(annotation: Any) -> bool:
    """Whether a parameter of this type takes every value sent for it (a list, set, tuple...,
    also inside Annotated or a union), as FastAPI decides it."""
    origin = get_origin(annotation)
    if origin is Annotated:
        return field_annotation_is_sequence(get_args(annotation)[0])
    if origin in (Union, types.UnionType):
        return any(field_annotation_is_sequence(arg) for arg in get_args(annotation))
    return any(
        isinstance(tp, type) and issubclass(tp, _SEQUENCES) and not issubclass(tp, str | bytes)
        for tp in (annotation, origin)
    )


class Received:
    """The values a request sends for one source, looked up as Starlette does: the last
    repeated query parameter, form field and cookie, the first header (by any case of its
    name). An empty form field is an absent one, as FastAPI reads forms."""

    def __init__(self, pairs: list[tuple[str, str]], source: str) -> None:
        self.source = source
        self.headers = source == "header"
        self.form = source == "form"
        #: Query parameters, headers and form fields may repeat (a list gets them all).
        self.multi = source in ("query", "header", "form")
        self.values: dict[str, list[str]] = {}
        for name, value in pairs:
            self.values.setdefault(name, []).append(value)

    def key(self, name: str) -> str:
        return name.lower() if self.headers else name

    def __contains__(self, name: str) -> bool:
        return self.key(name) in self.values

    def get(self, name: str) -> str | None:
        found = self.values.get(self.key(name))
        if not found:
            return None
        return found[0] if self.headers else found[-1]

    def getlist(self, name: str) -> list[str]:
        return list(self.values.get(self.key(name), ()))

    def value(self, name: str, sequence: bool) -> Any:
        """The value of `name` for a field (all of them for a list field), or Required when
        there is none (nor an empty list)."""
        value = self.getlist(name) if sequence and self.multi else self.get(name)
        if value is None or (sequence and len(value) == 0) or (self.form and value == ""):
            return p.Required
        return value

    def extras(self, processed: set[str]) -> Iterator[tuple[str, Any]]:
        """The values not read by a model's fields: one value, or the list of a repeated one."""
        for name, values in self.values.items():
            if name in processed:
                continue
            if self.multi:
                yield name, values[0] if len(values) == 1 else values
            else:
                yield name, values[-1]


def field_aliases(
    name: str, alias: str | None, validation_alias: Any, config: Any, convert: bool = False
) -> list[tuple[str, str]]:
    """The (validation alias, request key) pairs a field is read by, in preference order
    (FastAPI's `_get_param_aliases`): its alias choices, its alias or name (with dashes for
    underscores in a header model when `convert`), and its name too when the model's config
    validates by name."""
    pydantic = _pydantic()
    main = validation_alias if isinstance(validation_alias, str) and validation_alias else None
    main = main or alias or name
    request = main.replace("_", "-") if convert and main == name else main
    aliases = [(main, request)]
    if isinstance(validation_alias, pydantic.AliasPath):
        return aliases
    if isinstance(validation_alias, pydantic.AliasChoices):
        choices = validation_alias.choices
        if any(isinstance(choice, pydantic.AliasPath) for choice in choices):
            return aliases
        aliases = [(choice, choice) for choice in choices]
    config = config or {}
    by_alias = config.get("validate_by_alias")
    by_name = config.get("validate_by_name", config.get("populate_by_name", False))
    if by_alias is False or by_name:
        request_name = name.replace("_", "-") if convert else name
        if by_alias is False:
            return [(name, request_name)]
        if name not in [a for a, _ in aliases]:
            aliases.append((name, request_name))
    return aliases


def _pick(aliases: list[tuple[str, str]], received: Received) -> tuple[str, str]:
    """The first alias the request sends, else the first one."""
    return next((pair for pair in aliases if pair[1] in received), aliases[0])


def _is_json(metadata: Any) -> bool:
    pydantic = _pydantic()
    return any(type(item) is pydantic.Json for item in metadata or ())


@dataclass
class Default:
    """What a parameter is when the request does not send it: a `missing` error if it is
    required, else its default (a copy, or what its factory makes, per request), validated
    only if asked to (validate_default)."""

    required: bool
    default: Any = None
    factory: Any = None
    validate: bool = False

    def absent(self, adapter: Any, loc: Loc) -> tuple[Any, list[dict[str, Any]]]:
        if self.required:
            return None, [_missing(loc)]
        value = self.factory() if self.factory is not None else copy.deepcopy(self.default)
        if not self.validate:
            return value, []
        return _validate(adapter, value, loc)


class ParamValidator:
    """One parameter (not a model) validated by pydantic: its value is found by its aliases
    and validated with its type and the marker's Field() options."""

    def __init__(
        self, source: str, annotation: Any, aliases: list[tuple[str, str]], default: Default
    ) -> None:
        self.source, self.aliases, self.default = source, aliases, default
        self.adapter = _pydantic().TypeAdapter(annotation)
        self.sequence = field_annotation_is_sequence(annotation) and not _is_json(
            getattr(annotation, "__metadata__", None)
        )

    def __call__(self, pairs: list[tuple[str, str]]) -> tuple[Any, list[dict[str, Any]]]:
        received = Received(pairs, self.source)
        _, alias = _pick(self.aliases, received)
        loc = ("body" if received.form else self.source, alias)  # a form field's is the body
        value = received.value(alias, self.sequence)
        if value is p.Required:
            return self.default.absent(self.adapter, loc)
        return _validate(self.adapter, value, loc)


@dataclass
class ModelField:
    """A field of a parameter model, as the request is searched for it."""

    name: str
    aliases: list[tuple[str, str]]
    sequence: bool


class ModelValidator:
    """A parameter model (`Annotated[Model, Query()]`, `Model | None` too): its fields are
    read from the request by their aliases; what is left over goes to the model too, which
    ignores, keeps or refuses it by its `extra` config. An optional model none of whose
    fields is sent (nor, for extra="allow"/"forbid", anything at all) is its default."""

    def __init__(
        self, source: str, annotation: Any, model: Any, marker: p.Param, default: Default
    ) -> None:
        self.source, self.model, self.default = source, model, default
        self.optional = unwrap_optional(annotation)[1]
        self.adapter = _pydantic().TypeAdapter(annotation)
        convert = source == "header" and getattr(marker, "convert_underscores", True)
        config = model.model_config
        self.extra_policy = config.get("extra")
        self.loc_by_alias = config.get("loc_by_alias", True)
        self.fields = []
        for name, info in model.model_fields.items():
            field_convert = source == "header" and getattr(info, "convert_underscores", convert)
            aliases = field_aliases(name, info.alias, info.validation_alias, config, field_convert)
            sequence = field_annotation_is_sequence(info.annotation) and not _is_json(info.metadata)
            self.fields.append(ModelField(name, aliases, sequence))

    def __call__(self, pairs: list[tuple[str, str]]) -> tuple[Any, list[dict[str, Any]]]:
        received = Received(pairs, self.source)
        data: dict[str, Any] = {}
        processed: set[str] = set()
        own = False
        renamed: dict[str, str] = {}  # field name -> the header name it was read by
        for field in self.fields:
            own = own or any(request in received for _, request in field.aliases)
            alias, request = _pick(field.aliases, received)
            value = received.value(request, field.sequence)
            if value is not p.Required:
                data[alias] = value
            processed.add(received.key(request))
            if received.headers:
                # An unconverted field name is no extra header either.
                processed.update(a.lower() for a, r in field.aliases if a != r)
                if alias != request:
                    renamed[field.name] = request
        data.update(received.extras(processed))
        loc = (self.source,)
        if self.optional and not (own or (self.extra_policy in ("allow", "forbid") and data)):
            return self.default.absent(self.adapter, loc)
        value, errors = _validate(self.adapter, data, loc)
        if renamed and self.loc_by_alias:  # the header names the client sent
            for error in errors:
                where = error["loc"]
                if len(where) > 1 and where[1] in renamed:
                    error["loc"] = (where[0], renamed[where[1]], *where[2:])
        return value, errors


def _missing(loc: Loc) -> dict[str, Any]:
    return {"type": "missing", "loc": loc, "msg": "Field required", "input": None}


def _validate(adapter: Any, value: Any, loc: Loc) -> tuple[Any, list[dict[str, Any]]]:
    pydantic = _pydantic()
    try:
        return adapter.validate_python(value, from_attributes=True), []
    except pydantic.ValidationError as exc:
        return None, _pydantic_errors(exc, loc)


def param_model(annotation: Any, marker: p.Param | None, metadata: tuple[Any, ...] = ()) -> Any:
    """The pydantic model of a parameter model (`Model` or `Model | None` as a Query(),
    Header() or Cookie()), or None; `Json[Model]` is one parameter, not a model's fields."""
    pydantic = _pydantic()
    if pydantic is None or not isinstance(marker, p.Query | p.Header | p.Cookie):
        return None
    if _is_json(metadata):
        return None
    inner, _ = unwrap_optional(annotation)
    if isinstance(inner, type) and issubclass(inner, pydantic.BaseModel):
        return inner
    return None


def field_info(marker: p.Param) -> Any:
    """The marker's pydantic Field() options as a FieldInfo (not Field(): it refuses a
    compiled pattern)."""
    from pydantic.fields import FieldInfo

    return FieldInfo(**marker.field_options())


def constrained(annotation: Any, marker: p.Param | None) -> Any:
    """`annotation` with the marker's pydantic Field() options, for a TypeAdapter."""
    if marker is None or not marker.field_options():
        return annotation
    return Annotated[annotation, field_info(marker)]
