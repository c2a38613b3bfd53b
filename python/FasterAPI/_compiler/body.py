"""A route's body plan (`BodyPlan`, its `BodyField`s and their `Validator`s), compiled once
when the route is registered: each request's body is decoded as JSON and validated into the
declared types with FastAPI's 422 errors. Reading the body is FasterAPI._http.body's.

msgspec.Struct bodies decode straight from bytes with msgspec; pydantic models
validate with pydantic-core; dataclasses, TypedDict and other types go through
pydantic's TypeAdapter when pydantic is installed, else msgspec.
"""

from __future__ import annotations

import copy
import json
import sys
from dataclasses import dataclass, field
from typing import Any

import msgspec

from .._types import unwrap_optional
from ..exceptions import HTTPException
from .msgspec_errors import msgspec_errors

#: Where a value is in the request, as an error's `loc` gives it: `("body", "name")`.
Loc = tuple[str | int, ...]


def _pydantic() -> Any:
    """pydantic, imported on first need: an optional extra, and a big import whose objects
    every garbage collection would otherwise walk."""
    try:
        import pydantic
    except ImportError:
        return None
    return pydantic


def _pydantic_fast(model: Any) -> Any:
    """What `from_json` does for a pydantic model, when all goes well, in one call: JSON
    decoded by msgspec, then validated as `model.model_validate(value, from_attributes=True)`
    does. It raises otherwise (bytes msgspec does not read, invalid data), and the route's
    run then reads the body the long way, which words the errors."""
    decode = msgspec.json.decode
    validate = model.__pydantic_validator__.validate_python

    def fast(raw: bytes) -> Any:
        return validate(decode(raw), from_attributes=True)

    return fast


def load_json(raw: bytes) -> tuple[Any, list[dict[str, Any]]]:
    """JSON bytes decoded as FastAPI decodes a body (Starlette's `json.loads`), with msgspec
    first as the fast way: `(value, [])`, or `(None, [json_invalid error])` for a syntax error
    (FastAPI's 422, with json's position and message), or HTTPException 400 for bytes that
    are not text at all or nest too deep, as FastAPI answers them. Never a 500."""
    try:
        return msgspec.json.decode(raw), []
    except (msgspec.DecodeError, RecursionError):
        pass  # json words the error (or accepts what msgspec does not: NaN, deeper nesting)
    try:
        return json.loads(raw), []
    except json.JSONDecodeError as exc:
        return None, [
            {
                "type": "json_invalid",
                "loc": ("body", exc.pos),
                "msg": "JSON decode error",
                "input": {},
                "ctx": {"error": exc.msg},
            }
        ]
    except (ValueError, RecursionError):  # not UTF-8/16/32, or nested past the stack
        raise HTTPException(400, "There was an error parsing the body") from None


class Validator:
    """Validates a decoded value (or raw JSON bytes) into one declared type."""

    def __init__(self, annotation: Any) -> None:
        self.annotation = annotation
        inner, optional = unwrap_optional(annotation)
        self.inner = inner
        #: None is valid (`X | None`).
        self.optional = optional
        self.is_struct = isinstance(inner, type) and issubclass(inner, msgspec.Struct)
        pydantic = sys.modules.get("pydantic")  # a pydantic model means it is imported
        self.is_pydantic = (
            pydantic is not None
            and isinstance(inner, type)
            and issubclass(inner, pydantic.BaseModel)
        )
        self.adapter = None
        if not self.is_struct and not self.is_pydantic:
            pydantic = _pydantic()
        self.pydantic: Any = pydantic  # the module, when the type is pydantic's
        if not self.is_struct and not self.is_pydantic and pydantic is not None:
            try:
                self.adapter = pydantic.TypeAdapter(annotation)
            except pydantic.PydanticUserError as exc:
                # msgspec types inside, or a `typing.TypedDict` before Python 3.12 (pydantic
                # wants typing_extensions'): msgspec validates it; other mistakes are raised.
                if not isinstance(exc, pydantic.PydanticSchemaGenerationError) and (
                    exc.code != "typed-dict-version"
                ):
                    raise
                self.adapter = None

    def from_json(self, raw: bytes, loc: Loc) -> tuple[Any, list[dict[str, Any]]]:
        """Decodes and validates JSON bytes in one step (the fast path for a whole-body Struct)."""
        if self.is_struct:
            try:
                return msgspec.json.decode(raw, type=self.annotation, strict=False), []
            except msgspec.ValidationError as exc:
                value, errors = load_json(raw)  # the JSON itself may be broken further on
                return None, errors or msgspec_errors(exc, value, loc)
            except (msgspec.DecodeError, RecursionError):
                pass
        value, errors = load_json(raw)
        if errors:
            return None, errors
        return self.from_python(value, loc)

    def from_python(self, value: Any, loc: Loc) -> tuple[Any, list[dict[str, Any]]]:
        if value is None and self.optional:
            return None, []
        if self.is_pydantic:
            try:
                return self.inner.model_validate(value, from_attributes=True), []
            except self.pydantic.ValidationError as exc:
                return None, _pydantic_errors(exc, loc)
        if self.adapter is not None:
            try:
                return self.adapter.validate_python(value, from_attributes=True), []
            except self.pydantic.ValidationError as exc:
                return None, _pydantic_errors(exc, loc)
        if isinstance(value, bytes) and self.is_struct:
            return None, [
                {
                    "type": "model_attributes_type",
                    "loc": loc,
                    "msg": "Input should be a valid dictionary or object to extract fields from",
                    "input": value.decode("utf-8", "replace"),
                }
            ]
        try:
            return msgspec.convert(value, self.annotation, strict=False), []
        except msgspec.ValidationError as exc:
            return None, msgspec_errors(exc, value, loc)
        except UnicodeEncodeError:  # a lone surrogate (`"\\ud800"` in the JSON) read as text
            return None, [
                {
                    "type": "string_unicode",
                    "loc": loc,
                    "msg": "Input should be a valid string, unable to parse raw data as a "
                    "unicode string",
                    "input": value,
                }
            ]


def _pydantic_errors(exc: Any, loc: Loc) -> list[dict[str, Any]]:
    errors: list[dict[str, Any]] = exc.errors(include_url=False)
    for err in errors:
        err["loc"] = (*loc, *err["loc"])
        if isinstance(err.get("input"), bytes):  # a body that is not JSON, echoed as text
            err["input"] = err["input"].decode("utf-8", "replace")
    return errors


def request_aliases(name: str, marker: Any) -> list[str]:
    """The keys a body parameter is read by, in order of preference, as FastAPI's: its
    `validation_alias` (each of an AliasChoices' names), else its `alias`, else its name."""
    validation_alias = getattr(marker, "validation_alias", None)
    if isinstance(validation_alias, str):
        return [validation_alias]
    choices = getattr(validation_alias, "choices", None)
    if choices and all(isinstance(choice, str) for choice in choices):
        return list(choices)
    return [getattr(marker, "alias", None) or name]


def missing(loc: Loc) -> dict[str, Any]:
    """FastAPI's error for a required value not sent."""
    return {"type": "missing", "loc": loc, "msg": "Field required", "input": None}


@dataclass
class BodyField:
    name: str
    #: The first of `aliases`: the name the OpenAPI schema and a missing value's error give.
    alias: str
    annotation: Any
    required: bool
    default: Any
    embed: bool = False
    #: Its Body() marker, if any (media type, title, examples for the OpenAPI schema).
    marker: Any = None
    #: Makes the default each time the value is absent (`Body(default_factory=...)`).
    default_factory: Any = None
    #: Validates the default too (`validate_default=True`, the marker's or a Field()'s).
    validate_default: bool = False
    #: The keys it is read by, the first one sent winning (`request_aliases`); [alias] if empty.
    aliases: list[str] = field(default_factory=list)
    #: The type as declared, without Annotated metadata or the marker's constraints (what
    #: FastAPI's field_info.annotation is); `annotation` if not given.
    declared: Any = None
    #: The Annotated metadata it was declared with (validators, a pydantic Field()).
    metadata: tuple[Any, ...] = ()
    validator: Validator = field(init=False)

    def __post_init__(self) -> None:
        self.validator = Validator(self.annotation)
        if self.declared is None:
            self.declared = self.annotation
        if not self.aliases:
            self.aliases = [self.alias]

    def absent(self, loc: Loc, kwargs: dict[str, Any]) -> list[dict[str, Any]]:
        """Puts the default into `kwargs` for a value not sent; `[missing]` if required."""
        if self.required:
            return [missing(loc)]
        if self.default_factory is not None:
            default = self.default_factory()
        else:
            default = copy.deepcopy(self.default)
        if self.validate_default:
            default, errors = self.validator.from_python(default, loc)
            if errors:
                return errors
        kwargs[self.name] = default
        return []

    def pick(self, data: Any) -> str | None:
        """The first of the aliases `data` (a dict, or a FormData) has, or None."""
        return next((alias for alias in self.aliases if alias in data), None)


@dataclass
class BodyPlan:
    """The body parameters of a route; `embed` means the body is an object keyed by their names.
    Fields that share a name (a handler's and a dependency's) all get the same part."""

    fields: list[BodyField]
    embed: bool
    #: Not a form (FasterAPI._compiler.form_plan.FormPlan): Rust passes `parse` the is-JSON flag.
    form = False
    #: Decodes and validates JSON bytes straight into the one body parameter (a msgspec
    #: Struct), where there is such a decoder; else None and `parse` reads the body.
    fast: Any = field(init=False)
    fast_name: str = field(init=False)

    def __post_init__(self) -> None:
        first = self.fields[0]
        self.fast_name = first.name
        self.fast = None
        if not self.embed and len(self.fields) == 1 and first.validator.is_struct:
            self.fast = msgspec.json.Decoder(first.annotation, strict=False).decode
        elif not self.embed and len(self.fields) == 1 and first.validator.is_pydantic:
            if not first.validator.optional:
                self.fast = _pydantic_fast(first.validator.inner)

    def parse(self, raw: bytes, is_json: bool, kwargs: dict[str, Any]) -> list[dict[str, Any]]:
        """Validates the body into `kwargs`; returns the errors (empty when valid)."""
        errors: list[dict[str, Any]] = []
        if not self.embed:  # one name (several fields: the handler's and dependencies')
            for f in self.fields:
                if not raw:
                    errors += f.absent(("body",), kwargs)
                    continue
                value, errs = (
                    f.validator.from_json(raw, ("body",))
                    if is_json
                    else f.validator.from_python(raw, ("body",))
                )
                errors += errs
                if not errs:
                    kwargs[f.name] = value
            return errors
        if not raw:
            data: Any = None
        elif is_json:
            data, errors = load_json(raw)
            if errors:
                return errors
        else:
            data = raw
        errors = []
        for f in self.fields:
            if raw and is_json and not isinstance(data, dict):  # a JSON list, scalar or null
                errors.append(missing(("body", f.alias)))
                continue
            alias = f.pick(data) if isinstance(data, dict) else None
            if alias is None:
                errors += f.absent(("body", f.alias), kwargs)
                continue
            value, errs = f.validator.from_python(data[alias], ("body", alias))
            errors += errs
            if not errs:
                kwargs[f.name] = value
        return errors
