"""`FormPlan`: what a route does with its body when its body parameters include Form() or
File() (or an UploadFile). Rust calls `parse(raw, content_type, kwargs)`; the form is parsed
by `_core.FormReader`, scalar fields checked there as query parameters are (their specs come
from FasterAPI._compiler.specs), and files, form models and other types made and validated
here. As in FastAPI, an empty text field or an empty file input (no filename, no bytes)
counts as absent, a parameter given several values gets the last one, and a list gets them
all."""

from __future__ import annotations

import functools
import sys
import types
from dataclasses import dataclass
from typing import Annotated, Any, Union, get_args, get_origin

import msgspec

from .. import _core
from .. import params as p
from .._form_limits import DEFAULT_FORM_LIMITS, _FormLimits
from .._http.forms import FILES_KEY, _close_uploads, _form_data
from .._types import is_subclass, sequence_item, unwrap_optional
from ..datastructures import FormData, UploadFile
from ..exceptions import HTTPException
from .body import BodyField, Validator, request_aliases
from .specs import param_spec, scalar_kind

# What a form parameter is, which decides how its value is read.
TEXT = "text"  # a scalar or a list of them: coerced in Rust
FILE = "file"  # UploadFile, or a list of them
BYTES = "bytes"  # File() on bytes: the file's content
MODEL = "model"  # Form() on a pydantic model or msgspec.Struct: its fields from the form
OTHER = "other"  # anything else, validated from the text value(s)


def _is_empty_file(value: Any) -> bool:
    """A file input left empty: browsers send it with no filename and no bytes."""
    return isinstance(value, UploadFile) and value.filename == "" and value.size == 0


def _absent_text(value: Any) -> bool:
    return value is None or value == "" or _is_empty_file(value)


def _plain(annotation: Any) -> tuple[Any, bool]:
    """The annotation without the constraints the signature compiler attached, and whether it is
    Optional."""
    inner, optional = unwrap_optional(annotation)
    if get_origin(inner) is Annotated:
        inner = get_args(inner)[0]
    return inner, optional


def _is_model(tp: Any) -> bool:
    if is_subclass(tp, msgspec.Struct):
        return True
    pydantic = sys.modules.get("pydantic")
    return pydantic is not None and is_subclass(tp, pydantic.BaseModel)


def is_upload(annotation: Any) -> bool:
    """UploadFile, Optional or a list of them: a parameter read from an uploaded file."""
    tp, _ = unwrap_optional(annotation)
    item = sequence_item(tp)
    return is_subclass(item if item is not None else tp, UploadFile)


@dataclass
class _ModelField:
    """A field of a form model: the form keys it is read by (the first one sent wins), and
    whether it takes all of a key's values (a list) or one."""

    aliases: list[str]
    many: bool


def _model_form_fields(model: Any) -> list[_ModelField]:
    """The fields of a pydantic model or msgspec.Struct, as a form gives them."""
    if is_subclass(model, msgspec.Struct):
        return [
            _ModelField([f.encode_name], _is_sequence(f.type))
            for f in msgspec.structs.fields(model)
        ]
    return [
        _ModelField(
            form_field_aliases(name, info, model.model_config), _is_sequence(info.annotation)
        )
        for name, info in model.model_fields.items()
    ]


def form_field_aliases(name: str, info: Any, config: Any) -> list[str]:
    """The form keys a pydantic model field is read by, as FastAPI's: its validation alias
    (or AliasChoices' names), else its alias, else its name; its name too (last) if the
    model validates by name, only its name if not by alias. A field holding a model or a
    dict is read by its aliases alone."""
    aliases = request_aliases(name, info)
    if isinstance(info.annotation, type) and issubclass(info.annotation, dict | _pydantic_model()):
        return aliases
    if config.get("validate_by_alias") is False:
        return [name]
    by_name = config.get("validate_by_name", config.get("populate_by_name", False))
    return [*aliases, name] if by_name and name not in aliases else aliases


def _pydantic_model() -> Any:
    return sys.modules["pydantic"].BaseModel


def _is_sequence(annotation: Any) -> bool:
    return sequence_item(unwrap_optional(annotation)[0]) is not None


def _form_models(annotation: Any) -> list[Any]:
    """The models a Form() parameter of this declared type is made of, from the whole form,
    as FastAPI's `_get_form_models`: [Model] for a model (or `Model | None`), every member
    of a union of two or more pydantic models (each maybe Annotated, None allowed among
    them); [] for any other type."""
    tp = _plain_union(annotation)
    args = get_args(tp) if get_origin(tp) in (Union, types.UnionType) else ()
    if len(args) == 2 and type(None) in args:
        single = next(arg for arg in args if arg is not type(None))
    else:
        single = tp
    if _is_model(single):
        return [single]
    models = []
    for arg in args:
        if arg is type(None):
            continue
        if get_origin(arg) is Annotated:
            arg = get_args(arg)[0]
        if "pydantic" not in sys.modules or not is_subclass(arg, _pydantic_model()):
            return []
        models.append(arg)
    return models if len(models) > 1 else []


class _FormModel:
    """How a form model parameter (or a union of them) is read from the form: a model from
    its own fields' values (each by the first of its aliases sent) and the form's other keys
    (for the model's `extra` policy); a union from all the form's keys, each member picking
    its own fields out of them as it is tried."""

    def __init__(self, f: BodyField, models: list[Any]) -> None:
        self.field = f
        self.union = len(models) > 1
        self.models = models
        self.fields = [] if self.union else _model_form_fields(models[0])
        #: Absent (its default) unless the form has one of these keys...
        self.own_names = {
            alias
            for model in models
            for item in _model_form_fields(model)
            for alias in item.aliases
        }
        #: ... or any key at all, for a model that allows or forbids extra fields.
        self.takes_extras = any(_extra_policy(model) in ("allow", "forbid") for model in models)
        self.optional = type(None) in get_args(_plain_union(f.declared))
        self.validator = _union_validator(f, models) if self.union else f.validator

    def value(self, form: FormData) -> dict[str, Any] | None:
        """What the parameter is validated from, or None if the form does not give it."""
        if self.optional and not (
            self.own_names.intersection(form) or (self.takes_extras and form.multi_items())
        ):
            return None
        return _model_values(self.fields, form)


def _plain_union(annotation: Any) -> Any:
    return get_args(annotation)[0] if get_origin(annotation) is Annotated else annotation


def _extra_policy(model: Any) -> Any:
    if is_subclass(model, msgspec.Struct):
        return "forbid" if model.__struct_config__.forbid_unknown_fields else "ignore"
    return model.model_config.get("extra")


def _model_values(fields: list[_ModelField], form: FormData) -> dict[str, Any]:
    """A model's values in a form, as FastAPI extracts them: for each field, the first of its
    aliases the form gives a value for (an empty one is none); then every key no field asked
    for, with its value (a list if sent several times)."""
    values: dict[str, Any] = {}
    asked: set[str] = set()
    for item in fields:
        for alias in item.aliases:
            asked.add(alias)
            found, value = _sent(form, [alias], item.many)
            if found is not None:
                values[alias] = value
                break
    grouped: dict[str, list[Any]] = {}
    for key, value in form.multi_items():
        if key not in asked:
            grouped.setdefault(key, []).append(value)
    for key, items in grouped.items():
        values[key] = items[0] if len(items) == 1 else items
    return values


def _union_validator(f: BodyField, models: list[Any]) -> Validator:
    """Validates a union of form models (with its Form(discriminator=..., union_mode=...)):
    each member is tried with its own fields picked out of the form's values, and named by
    its model (or its Tag) in errors."""
    from pydantic import BeforeValidator, Field, Tag

    choices: list[Any] = []
    for choice in get_args(_plain_union(f.declared)):
        if choice is type(None):
            choices.append(choice)
            continue
        model, metadata = choice, []
        if get_origin(choice) is Annotated:
            model, *metadata = get_args(choice)
        tag = next((m for m in reversed(metadata) if isinstance(m, Tag)), Tag(model.__name__))
        normalize = BeforeValidator(functools.partial(_normalize_form_model, model=model))
        choices.append(Annotated[choice, normalize, tag])
    annotation: Any = Union[tuple(choices)]  # noqa: UP007
    if f.metadata:  # its validators and Field() (union_mode...) apply to the whole union
        annotation = Annotated[(annotation, *f.metadata)]
    options = {
        name: value
        for name in ("discriminator", "union_mode")
        if (value := _marker_option(f.marker, name)) is not None
    }
    if options:
        annotation = Annotated[annotation, Field(**options)]
    return Validator(annotation)


def _marker_option(marker: Any, name: str) -> Any:
    """A keyword of a Form() marker that FasterAPI passes on to pydantic (None if not set)."""
    return getattr(marker, name, None)


def _normalize_form_model(value: Any, *, model: Any) -> Any:
    """A union member's values from all the form's (a dict of key -> value or list): its
    own fields picked as for a model alone; a None or empty list a validator put is kept."""
    if not isinstance(value, dict):
        return value
    form = FormData(
        [
            (key, item)
            for key, items in value.items()
            for item in (items if isinstance(items, list) else [items])
        ]
    )
    normalized = _model_values(_model_form_fields(model), form)
    for key, item in value.items():
        if item is None or (isinstance(item, list) and not item):
            normalized[key] = item
    return normalized


@dataclass
class _Param:
    """A form parameter as `FormPlan.parse` reads it."""

    field: BodyField
    kind: str
    many: bool
    optional: bool
    #: How a form model (or a union of them) is read.
    model: _FormModel | None = None


def param_name(f: BodyField) -> str:
    """The name of a body field's parameter (its key without the dependency's suffix)."""
    return f.name.partition("@")[0]


def _should_embed(params: list[_Param]) -> bool:
    """FastAPI's `_should_embed_body_fields` for a form: one parameter name (a handler's and
    its dependencies' alike) that is a form model, or a union of them, with the same type
    wherever it appears, is the whole body; anything else is embedded."""
    first = params[0]
    if len({param_name(param.field) for param in params}) > 1 or first.kind != MODEL:
        return True
    declared = first.field.declared
    return any(param.kind != MODEL or param.field.declared != declared for param in params[1:])


class FormPlan:
    """The body parameters of a form route, read from the form by their aliases (a form model
    from the whole form). FasterAPI._runtime.runner calls `parse(raw, content_type, kwargs)`."""

    #: Rust passes `parse` the Content-Type header rather than the is-JSON flag.
    form = True
    fast = None

    def __init__(self, fields: list[BodyField]) -> None:
        self.fields = fields
        self.fast_name = fields[0].name
        self.params = [self._classify(f) for f in fields]
        #: Whether the document shows the body as an object of the parameters (else the one
        #: form model, or union of them, is the whole body), as FastAPI decides it.
        self.embed = _should_embed(self.params)
        specs = []
        for param in self.params:
            if param.kind == TEXT:
                f = param.field
                default = p.Required if f.required else f.default
                spec = param_spec(f.alias, "form", _plain(f.annotation)[0], f.marker, default)
                specs.append(
                    {
                        **spec,
                        "name": f.name,
                        "key": f.alias,
                        "loc_name": f.alias,
                        "required": f.required,
                    }
                )
        self._text_index = {
            param.field.alias: i for i, param in enumerate(self.params) if param.kind == TEXT
        }
        self._needs_items = any(param.kind != TEXT for param in self.params)
        self._specs = specs
        self.media_type = _media_type(fields)
        self.limit({})

    def limit(self, form_limits: _FormLimits) -> None:
        """Reads forms within `form_limits` (the route's, FasterAPI._form_limits), Starlette's
        defaults for those it does not set."""
        self.limits: _FormLimits = {**DEFAULT_FORM_LIMITS, **form_limits}
        self.reader = _core.FormReader(self._specs, self._needs_items, **self.limits)

    @staticmethod
    def _classify(f: BodyField) -> _Param:
        tp, optional = _plain(f.annotation)
        item = sequence_item(tp)
        many = item is not None
        base = item if many else tp
        marker = f.marker
        if is_subclass(base, UploadFile):
            kind = FILE
        elif isinstance(marker, p.File) and base is bytes:
            kind = BYTES
        elif isinstance(marker, p.Form) and not marker.embed and _form_models(f.declared):
            return _Param(f, MODEL, False, optional, _FormModel(f, _form_models(f.declared)))
        elif (
            marker is not None
            and len(f.aliases) == 1
            and f.default_factory is None
            and scalar_kind(base) is not None
        ):
            kind = TEXT  # read in Rust, by its one alias
        else:
            kind = OTHER
        return _Param(f, kind, many, optional)

    def parse(
        self, raw: bytes | FormData, content_type: bytes | None, kwargs: dict[str, Any]
    ) -> list[Any]:
        """Reads the form (its body, or the FormData a FormStream made of it as it arrived)
        into `kwargs`; returns the validation errors, in the parameters' order. A malformed
        form, or one over a limit, is an HTTPException(400)."""
        if isinstance(raw, FormData):
            form = raw
            _check_limits(form, self.limits)
            texts = [(k, v) for k, v in form.multi_items() if isinstance(v, str)]
            errors = self.reader.read_texts(texts, kwargs)
            if not self._needs_items:  # the handler takes no file: none is kept
                _close_uploads(form.multi_items())
                return errors or []
        else:
            if not isinstance(raw, bytes):
                raw = bytes(raw)
            try:
                items, errors = self.reader.read(raw, content_type, kwargs)
            except _core.FormError as exc:
                raise HTTPException(400, str(exc)) from None
            if items is None:  # text parameters only: Rust did it all
                return errors or []
            form = _form_data(items, raw)
        files = [value for _, value in form.multi_items() if isinstance(value, UploadFile)]
        if files:
            kwargs[FILES_KEY] = files
        found: dict[int, list[dict[str, Any]]] = {}
        for err in errors or ():
            found.setdefault(self._text_index.get(err["loc"][1], 0), []).append(err)
        try:
            for i, param in enumerate(self.params):
                if param.kind != TEXT:
                    found[i] = self._read(param, form, kwargs)
        except BaseException:
            for file in files:
                file.file.close()
            raise
        return [err for i in range(len(self.params)) for err in found.get(i, ())]

    def _read(self, param: _Param, form: FormData, kwargs: dict[str, Any]) -> list[Any]:
        f = param.field
        if param.kind == MODEL:
            value = param.model.value(form)  # type: ignore[union-attr]
            if value is None:
                return f.absent(("body",), kwargs)
            result, errors = param.model.validator.from_python(value, ("body",))  # type: ignore[union-attr]
            if not errors:
                kwargs[f.name] = result
            return _with_files_shown(errors)
        alias, value = _sent(form, f.aliases, param.many)
        if alias is None:
            return f.absent(("body", f.alias), kwargs)
        loc: tuple[Any, ...] = ("body", alias)
        if param.kind == OTHER:
            result, errors = f.validator.from_python(value, loc)
        elif param.many:
            converted = [_file_value(param.kind, v, (*loc, i)) for i, v in enumerate(value)]
            errors = [e for _, e in converted if e is not None]
            result = [v for v, _ in converted]
        else:
            result, error = _file_value(param.kind, value, loc)
            errors = [error] if error is not None else []
        if not errors:
            kwargs[f.name] = result
        return _with_files_shown(errors)


def _with_files_shown(errors: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The errors, each UploadFile in their inputs (an extra field a model forbids, say)
    replaced by what FastAPI's encoder shows of one: its filename, size and headers."""
    for error in errors:
        error["input"] = _shown(error.get("input"))
    return errors


def _shown(value: Any) -> Any:
    if isinstance(value, UploadFile):
        return {"filename": value.filename, "size": value.size, "headers": dict(value.headers)}
    if isinstance(value, dict):
        return {key: _shown(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_shown(item) for item in value]
    return value


def _check_limits(form: FormData, limits: _FormLimits) -> None:
    """HTTPException(400) if a form parsed as it arrived (with Starlette's default limits)
    is over the route's own limits, worded as Starlette words them."""
    items = form.multi_items()
    files = sum(isinstance(value, UploadFile) for _, value in items)
    if files > limits["max_files"]:
        max_files = limits["max_files"]
        raise HTTPException(400, f"Too many files. Maximum number of files is {max_files}.")
    if len(items) - files > limits["max_fields"]:
        max_fields = limits["max_fields"]
        raise HTTPException(400, f"Too many fields. Maximum number of fields is {max_fields}.")
    size = limits["max_part_size"]
    if any(isinstance(value, str) and len(value.encode()) > size for _, value in items):
        raise HTTPException(400, f"Part exceeded maximum size of {size // 1024}KB.")


def file_bytes(upload: UploadFile) -> bytes:
    """An uploaded file's content from where it is read up to, for a `bytes` parameter; the
    file is left where it was, for the other parameters that read it."""
    position = upload.file.tell()
    try:
        return upload.file.read()
    finally:
        upload.file.seek(position)


def _file_value(kind: str, value: Any, loc: tuple[Any, ...]) -> tuple[Any, dict[str, Any] | None]:
    """An UploadFile parameter's value (an error for text), or a bytes one's (a file's content
    or the text's UTF-8)."""
    if kind == BYTES:
        if isinstance(value, UploadFile):
            return file_bytes(value), None
        return value.encode(), None
    if isinstance(value, UploadFile):
        return value, None
    return None, {
        "type": "value_error",
        "loc": loc,
        "msg": f"Value error, Expected UploadFile, received: {type(value)}",
        "input": value,
        "ctx": {"error": {}},
    }


def _sent(form: FormData, aliases: list[str], many: bool) -> tuple[str | None, Any]:
    """`(alias, value)` for the first of `aliases` the form has a value for (all of them, a
    list, if `many`), as FastAPI reads them: an empty text field or file input is not one.
    `(None, None)` if none."""
    for alias in aliases:
        if many:
            values = [v for v in form.getlist(alias) if not _is_empty_file(v)]
            if values:
                return alias, values
        else:
            value = form.get(alias)
            if not _absent_text(value):
                return alias, value
    return None, None


def _media_type(fields: list[BodyField]) -> str:
    """The request body's media type in the OpenAPI document, as FastAPI picks it: multipart
    if a parameter is a file, else the Form() markers' (multipart if any says so)."""
    markers = [f.marker for f in fields]
    if any(isinstance(m, p.File) for m in markers):
        return "multipart/form-data"
    media_types = {m.media_type for m in markers if isinstance(m, p.Form)}
    if "multipart/form-data" in media_types:
        return "multipart/form-data"
    if len(media_types) == 1:
        return media_types.pop()
    return "application/x-www-form-urlencoded"
