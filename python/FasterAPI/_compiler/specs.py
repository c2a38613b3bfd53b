"""The specs Rust reads to extract a path, query, header, cookie or form parameter
(`_core.Dispatcher` compiles them into its plans): where the value is sent and under which
key, whether it is required and its default, and its kind (a scalar Rust coerces and
checks, a choice of enum or literal values, a converter, or a pydantic validator Rust
calls). FasterAPI._compiler.signature makes them for a route, FasterAPI._compiler.form_plan
for a form's fields."""

from __future__ import annotations

import dataclasses
import enum
import inspect
import re
import sys
import types
import typing
from collections.abc import Callable, Mapping, Sequence
from typing import Annotated, Any, Literal, NotRequired, TypedDict, cast, get_args, get_origin

import msgspec

from .. import params as p
from .._types import is_subclass, sequence_item, unwrap_optional
from .body import _pydantic
from .converters import CONVERTERS
from .param_models import (
    Default,
    ModelValidator,
    ParamValidator,
    constrained,
    field_aliases,
    field_annotation_is_sequence,
    param_model,
)

SCALARS = {str: "str", int: "int", float: "float", bool: "bool", bytes: "bytes"}


class ParamSpec(TypedDict):
    """One parameter of a route's plan, as Rust reads it (crates/fasterapi-py/src/route/plan.rs
    reads these keys and no others)."""

    #: The handler's keyword argument.
    name: str
    source: Literal["path", "query", "header", "cookie", "form"]
    #: The name it is sent by (a header's in lower case).
    key: str
    #: The name an error's `loc` gives it.
    loc_name: str
    #: A list of the values sent (a query's `?a=1&a=2`), else the last one.
    many: bool
    required: bool
    #: The value when it is not sent and not required.
    default: Any
    #: How Rust reads it: coerced to a scalar, one of `choices`, by `converter`, or by
    #: `validate` (a validator object of FasterAPI._compiler.param_models).
    kind: Literal["str", "int", "float", "bool", "bytes", "convert", "choice", "validate"]
    gt: NotRequired[float | None]
    ge: NotRequired[float | None]
    lt: NotRequired[float | None]
    le: NotRequired[float | None]
    min_length: NotRequired[int | None]
    max_length: NotRequired[int | None]
    pattern: NotRequired[str | None]
    converter: NotRequired[Callable[[str], Any]]
    #: `(text sent, value given)` pairs of an enum's or a Literal's values.
    choices: NotRequired[list[tuple[str, Any]]]
    choice_error: NotRequired[str]
    expected: NotRequired[str]
    validate: NotRequired[Any]


def scalar_kind(tp: Any) -> dict[str, Any] | None:
    """The plan's `kind` (and its extras) for a scalar type, or None if not a scalar."""
    if tp is Any or tp is inspect.Parameter.empty:
        return {"kind": "str"}
    if tp in SCALARS:
        return {"kind": SCALARS[tp]}
    if tp in CONVERTERS:
        return {"kind": "convert", "converter": CONVERTERS[tp]}
    if is_subclass(tp, enum.Enum):
        members = list(tp)
        return _choice([(str(m.value), m) for m in members], [m.value for m in members], "enum")
    if get_origin(tp) is Literal:
        values = get_args(tp)
        return _choice([(str(v), v) for v in values], values, "literal_error")
    return None


def _choice(options: list[tuple[str, Any]], values: Any, error: str) -> dict[str, Any]:
    shown = [repr(v) for v in values]
    expected = shown[0] if len(shown) == 1 else ", ".join(shown[:-1]) + " or " + shown[-1]
    return {"kind": "choice", "choices": options, "choice_error": error, "expected": expected}


def is_complex(annotation: Any) -> bool:
    """Whether a parameter of this type is read from the body when nothing says where
    from (FastAPI's `field_annotation_is_complex`): models, mappings, dataclasses,
    sequences and msgspec Structs, also in a union or Annotated; anything else (str,
    EmailStr, UUID, `int | str`...) is a query parameter."""
    origin = get_origin(annotation)
    if origin is Annotated:
        return is_complex(get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType):
        return any(is_complex(arg) for arg in get_args(annotation))
    for tp in (annotation, origin):
        if dataclasses.is_dataclass(tp) or is_subclass(tp, msgspec.Struct | Mapping):
            return True
        if is_subclass(tp, Sequence) and not is_subclass(tp, str | bytes):
            return True
        if is_subclass(tp, list | set | frozenset | tuple):
            return True
    pydantic = sys.modules.get("pydantic")
    return pydantic is not None and is_subclass(annotation, pydantic.BaseModel)


def is_scalar_sequence(annotation: Any) -> bool:
    """Whether a query parameter of this type is a sequence of scalars (FastAPI's
    `field_annotation_is_scalar_sequence`), `list[int] | None` too."""
    origin = get_origin(annotation)
    if origin is Annotated:
        return is_scalar_sequence(get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType):
        found = False
        for arg in get_args(annotation):
            if is_scalar_sequence(arg):
                found = True
            elif is_complex(arg):
                return False
        return found
    return field_annotation_is_sequence(annotation) and not any(
        is_complex(arg) for arg in get_args(annotation)
    )


def check_readable(name: str, source: str, annotation: Any) -> None:
    """FastAPI's registration check: a path parameter is a scalar; a query parameter a
    scalar, a sequence of them or a model (`Model | None` too)."""
    if source == "path" and is_complex(annotation):
        raise AssertionError("Path params must be of one of the supported types")
    if source == "query" and is_complex(annotation):
        pydantic = sys.modules.get("pydantic")
        model = pydantic is not None and is_subclass(
            unwrap_optional(annotation)[0], pydantic.BaseModel
        )
        if not model and not is_scalar_sequence(annotation):
            raise AssertionError(f"Query parameter {name!r} must be one of the supported types")


#: The marker options the Rust plan checks itself, by kind; others take pydantic.
RUST_OPTIONS = {
    "int": {"gt", "ge", "lt", "le"},
    "float": {"gt", "ge", "lt", "le"},
    "str": {"min_length", "max_length", "pattern"},
}


ALL_RUST_OPTIONS = ("gt", "ge", "lt", "le", "min_length", "max_length", "pattern")


def merged(marker: p.Param, metadata: tuple[Any, ...]) -> tuple[Any, Any, Any, bool | None]:
    """(default factory, alias, validation alias, validate_default) of a parameter: pydantic's
    Field() in Annotated[...] may give them; the marker's own win, as FastAPI merges them."""
    fields = [m for m in metadata if hasattr(m, "default_factory") and hasattr(m, "metadata")]
    factory, alias = marker.default_factory, marker.alias
    validation_alias, validate_default = marker.validation_alias, marker.validate_default
    for found in reversed(fields):
        factory = factory or found.default_factory
        if not marker.aliases_given:
            alias = alias or found.alias
            validation_alias = validation_alias or found.validation_alias
        if validate_default is None:
            validate_default = found.validate_default
    return factory, alias, validation_alias, validate_default


def request_key(name: str, source: str, marker: p.Param, alias: Any, validation_alias: Any) -> str:
    """The name a parameter is sent by: its validation alias or alias, else its name (a
    header's with dashes for underscores)."""
    found = validation_alias if isinstance(validation_alias, str) else None
    found = found or alias
    if found:
        return found
    if source == "header" and getattr(marker, "convert_underscores", True):
        return name.replace("_", "-")
    return name


def param_spec(
    name: str,
    source: str,
    annotation: Any,
    marker: p.Param | None,
    default: Any,
    metadata: tuple[Any, ...] = (),
    path_names: set[str] = frozenset(),  # type: ignore[assignment]
) -> ParamSpec:
    """The Rust plan's spec of a path, query, header or cookie parameter: read and checked
    by Rust when it can, else (parameter models, alias choices, types and options only
    pydantic has, `metadata` such as validators) by a pydantic validator it calls."""
    marker = marker or MARKERS[source]()
    tp, _ = unwrap_optional(annotation)
    item = sequence_item(tp)
    kind = scalar_kind(item if item is not None else tp)
    factory, alias, validation_alias, validate_default = merged(marker, metadata)
    if source == "path":  # of alias choices, the one this route's path names; else the alias
        choices = getattr(validation_alias, "choices", None) or ()
        if all(isinstance(choice, str) for choice in choices):
            validation_alias = next((c for c in choices if c in path_names), validation_alias)
        if not isinstance(validation_alias, str):
            validation_alias = None
    key = request_key(name, source, marker, alias, validation_alias)
    required = source == "path" or (default is p.Required and factory is None)
    default = None if default is p.Required else default
    spec = {
        "name": name,
        "source": source,
        "key": key.lower() if source == "header" else key,
        "loc_name": key,
        "many": item is not None,
        "required": required,
        "default": default,
    }
    absent = Default(required, default, factory, bool(validate_default))
    model = param_model(annotation, marker, metadata)
    check_readable(name, source, annotation)
    if model is not None:
        validate = ModelValidator(source, annotation, model, marker, absent)
        return cast(ParamSpec, {**spec, "kind": "validate", "validate": validate})
    pydantic = _pydantic()
    # A list's constraints are the list's (its length), as pydantic checks them; without
    # pydantic, Rust checks each item.
    checked = RUST_OPTIONS.get(kind["kind"], set()) if kind and item is None else set()
    plain = (
        kind is not None
        and (item is None or (get_origin(tp) or tp) in (list, Sequence))  # sets: pydantic
        and not metadata
        and (validation_alias is None or isinstance(validation_alias, str))
        and (set(marker.field_options()) <= checked or pydantic is None)
        and not isinstance(marker.pattern, re.Pattern)
        and not validate_default
        and (factory is None or pydantic is None)
    )
    if plain and kind is not None:  # (plain has a kind: said again for mypy)
        if factory is not None:  # without pydantic: one default, made now
            spec["default"] = factory()
        options = {option: getattr(marker, option) for option in ALL_RUST_OPTIONS}
        return cast(ParamSpec, {**spec, **options, **kind})
    if pydantic is None:  # what the Rust plan cannot read, pydantic validates
        raise TypeError(f"parameter {name!r}: {annotation!r} cannot be read from the {source}")
    full = Annotated[(annotation, *metadata)] if metadata else annotation
    aliases = field_aliases(name, key, validation_alias, None)
    validator = ParamValidator(source, constrained(full, marker), aliases, absent)
    return cast(ParamSpec, {**spec, "kind": "validate", "validate": validator})


#: The marker of a parameter declared without one, by where it is read from.
MARKERS: dict[str, Any] = {"path": p.Path, "query": p.Query}
