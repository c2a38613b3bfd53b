"""Response models: a handler's return value validated against the route's response model
and serialized through it, as FastAPI does (`response_model=`, or the return annotation).

`response_serializer(model, ...)` is worked out once, when the route is registered; the
callable it returns (the route's `serialize_response`) is called on each return value that
is not a Response, by Rust (the ASGI front door), the native server's short path and the
dependency solver alike. It returns what the response class then encodes, or raises
ResponseValidationError.

- pydantic models, and dataclasses, TypedDict and other types when pydantic is installed:
  pydantic's TypeAdapter validates (`from_attributes=True`) and dumps (`mode="json"`) with
  the route's include/exclude/by_alias/exclude_* options, as FastAPI does.
- msgspec Structs (and any type that holds one), or any type when pydantic is missing:
  `msgspec.convert(value, model, from_attributes=True, strict=False)`. A returned instance of
  exactly the model's Struct class is not converted at all. The options are applied by
  `_Dump` while turning the result into builtins; without options the result goes to the
  Rust encoder as it is.
"""

from __future__ import annotations

import dataclasses
import inspect
import typing
from collections.abc import Callable
from typing import Any

import msgspec

from .._types import reject_pydantic_v1
from ..exceptions import FastAPIError, ResponseValidationError
from .body import _pydantic, _pydantic_errors
from .msgspec_errors import msgspec_errors

_LOC = ("response",)


def response_serializer(
    model: Any,
    *,
    include: Any = None,
    exclude: Any = None,
    by_alias: bool = True,
    exclude_unset: bool = False,
    exclude_defaults: bool = False,
    exclude_none: bool = False,
    encoded: bool = False,
) -> Callable[[Any], Any] | None:
    """The function that validates and serializes a return value for `model`; None when there
    is no model. With `encoded` (the route answers with the default JSONResponse), a pydantic
    model's serializer writes the JSON itself, as FastAPI's `dump_json` does: it gives a
    `msgspec.Raw`, which the JSON encoder writes as it is."""
    if model is None:
        return None
    reject_pydantic_v1(model)
    options = {
        "include": _incex(include),
        "exclude": _incex(exclude),
        "by_alias": by_alias,
        "exclude_unset": exclude_unset,
        "exclude_defaults": exclude_defaults,
        "exclude_none": exclude_none,
    }
    if not _holds_struct(model):
        pydantic = _pydantic()
        if pydantic is not None:
            try:
                adapter = pydantic.TypeAdapter(model)
            except pydantic.PydanticUserError as exc:
                # a type pydantic cannot take is msgspec's (a plain class; `typing.TypedDict`
                # before Python 3.12); any other mistake (a model not fully defined) is raised
                if not isinstance(exc, pydantic.PydanticSchemaGenerationError) and (
                    exc.code != "typed-dict-version"
                ):
                    raise
                adapter = None
            if adapter is not None:
                return _pydantic_serializer(adapter, pydantic.ValidationError, options, encoded)
    _check_msgspec_type(model)
    return _msgspec_serializer(model, options)


def check_response_model(model: Any) -> None:
    """Refuses, when a route is registered, a model that FastAPI refuses: a `pydantic.v1`
    model anywhere in it (PydanticV1NotSupportedError), or one that neither pydantic nor
    msgspec can validate (FastAPIError)."""
    reject_pydantic_v1(model)
    if _holds_struct(model):
        _check_msgspec_type(model)
        return
    pydantic = _pydantic()
    if pydantic is None:
        _check_msgspec_type(model)
        return
    try:
        pydantic.TypeAdapter(model)
    except pydantic.PydanticSchemaGenerationError:
        _check_msgspec_type(model)


def _check_msgspec_type(model: Any) -> None:
    """Refuses a response model neither pydantic nor msgspec can validate (a plain class, or
    a list of them), with FastAPI's FastAPIError, when the route is registered."""
    try:
        info = msgspec.inspect.type_info(model)
    except (TypeError, NameError) as exc:
        raise FastAPIError(f"Invalid response model {model!r}: {exc}") from exc
    if any(isinstance(node, msgspec.inspect.CustomType) for node in _type_infos(info, set())):
        raise FastAPIError(
            f"Invalid args for response field! Hint: check that {model!r} is a valid pydantic "
            "model or msgspec type. If it is a return annotation that is not one (e.g. "
            "Union[Response, dict, None]), turn off the response model with "
            "response_model=None."
        )


def _type_infos(info: Any, seen: set[int]) -> typing.Iterator[Any]:
    """`info` (a msgspec.inspect.Type) and every Type nested in it."""
    if id(info) in seen:
        return
    seen.add(id(info))
    yield info
    for name in ("item_type", "key_type", "value_type", "types", "item_types", "fields"):
        nested = getattr(info, name, None)
        if isinstance(nested, msgspec.inspect.Type):
            yield from _type_infos(nested, seen)
        elif isinstance(nested, tuple):
            for item in nested:
                node = getattr(item, "type", item)  # a Field's type, or a Type
                if isinstance(node, msgspec.inspect.Type):
                    yield from _type_infos(node, seen)


def _incex(value: Any) -> Any:
    """An include/exclude option as pydantic takes it: a set or a dict (a list becomes a set)."""
    if value is None or isinstance(value, set | dict):
        return value
    return set(value)


def _pydantic_serializer(
    adapter: Any, validation_error: type[Exception], options: dict[str, Any], encoded: bool
) -> Callable[[Any], Any]:
    validate = adapter.validate_python
    dump = adapter.dump_json if encoded else adapter.dump_python
    fast = _core_methods(adapter, encoded)
    if "fallback" in inspect.signature(dump).parameters:  # pydantic 2.7+
        from ..encoders import to_builtin

        # What pydantic cannot serialize (a Struct inside `-> dict`, say) is converted as
        # the encoder would, then serialized by pydantic.
        options = {**options, "fallback": to_builtin}
    if fast is not None:
        validate, dump = fast
    if not encoded:
        options = {**options, "mode": "json"}
    raw = msgspec.Raw if encoded else None

    def serialize(value: Any) -> Any:
        try:
            validated = validate(value, from_attributes=True)
        except validation_error as exc:
            raise ResponseValidationError(_pydantic_errors(exc, _LOC), body=value) from None
        dumped = dump(validated, **options)
        return dumped if raw is None else raw(dumped)

    return serialize


def _core_methods(adapter: Any, encoded: bool) -> tuple[Any, Any] | None:
    """The pydantic-core validator's and serializer's own methods, which the TypeAdapter's
    pass their arguments to (a Python call less each, per response); None while the adapter
    is not built (a forward reference not yet resolved), whose methods then build it."""
    from pydantic_core import SchemaSerializer, SchemaValidator

    try:
        validator, serializer = adapter.validator, adapter.serializer
    except Exception:  # (pydantic's error for a type it cannot build yet)
        return None
    if isinstance(validator, SchemaValidator) and isinstance(serializer, SchemaSerializer):
        return validator.validate_python, serializer.to_json if encoded else serializer.to_python
    return None


def _msgspec_serializer(model: Any, options: dict[str, Any]) -> Callable[[Any], Any]:
    plain = all(not value for name, value in options.items() if name != "by_alias")
    # Without options, what msgspec gives back is encoded as the Rust encoder encodes any
    # Struct (its fields by attribute name), unless a Struct's encoding differs from that.
    dump = None if plain and _encodes_plainly(model) else _Dump(**options)
    exact = model if _is_struct(model) else None
    convert = _converter(model)

    def serialize(value: Any) -> Any:
        if type(value) is exact:  # the Struct itself: nothing to convert
            if dump is None:
                return value
            converted = value
        else:
            converted = convert(value)
        return converted if dump is None else dump(converted, value)

    return serialize


def _converter(model: Any) -> Callable[[Any], Any]:
    """`msgspec.convert(value, model, from_attributes=True, strict=False)`, raising
    ResponseValidationError. msgspec keeps what it works out about a Struct class, but not
    about `list[Item]` or `dict[str, int]`, which it would work out again on every call: those
    are converted as the one field of a Struct made for them, which costs less."""
    convert = msgspec.convert
    if _is_struct(model):

        def convert_struct(value: Any) -> Any:
            try:
                return convert(value, model, strict=False, from_attributes=True)
            except msgspec.ValidationError as exc:
                errors = msgspec_errors(exc, value, _LOC)
                raise ResponseValidationError(errors, body=value) from None

        return convert_struct
    box: Any = msgspec.defstruct("Response", [("value", model)])  # its instances have .value

    def convert_boxed(value: Any) -> Any:
        try:
            return convert({"value": value}, box, strict=False, from_attributes=True).value
        except msgspec.ValidationError as exc:
            errors = msgspec_errors(exc, {"value": value}, ())
            for error in errors:  # the box's field is not part of the location
                error["loc"] = (*_LOC, *error["loc"][1:])
            raise ResponseValidationError(errors, body=value) from None

    return convert_boxed


# -- reading the model's type ----------------------------------------------------------------


def _types_in(tp: Any, seen: set[int]) -> typing.Iterator[Any]:
    """`tp` and every type nested in it (type arguments, a Struct's field types)."""
    if id(tp) in seen:
        return
    seen.add(id(tp))
    yield tp
    for arg in typing.get_args(tp):
        yield from _types_in(arg, seen)
    if _is_struct(tp):
        try:
            fields = msgspec.structs.fields(tp)
        except (NameError, TypeError):  # a forward reference msgspec cannot resolve
            fields = ()
        for field in fields:
            yield from _types_in(field.type, seen)


def _is_struct(tp: Any) -> bool:
    return isinstance(tp, type) and issubclass(tp, msgspec.Struct)


def _holds_struct(model: Any) -> bool:
    """Whether `model` is, or holds, a msgspec Struct (which pydantic cannot validate)."""
    return any(_is_struct(tp) for tp in _types_in(model, set()))


def _encodes_plainly(model: Any) -> bool:
    """Whether every Struct in `model` is encoded by the Rust encoder as msgspec would encode
    it: no renamed fields, tags, omitted defaults, array_like or UNSET fields."""
    for tp in _types_in(model, set()):
        if tp is msgspec.UnsetType:
            return False
        if _is_struct(tp):
            config = tp.__struct_config__
            if (
                tp.__struct_encode_fields__ != tp.__struct_fields__
                or config.tag_field is not None
                or config.omit_defaults
                or config.array_like
            ):
                return False
    return True


# -- options for msgspec-validated values ------------------------------------------------------

_NO_DEFAULT = msgspec.NODEFAULT


class _Dump:
    """Turns a msgspec-validated value into builtins, applying the route's options: Structs
    and dataclasses become dicts (keyed by encoded name when `by_alias`), containers are
    walked, anything else is left to the encoder. `source` is what the handler returned, read
    alongside for `exclude_unset`: a field is unset when the dict it came from lacked it (or
    it is msgspec's UNSET)."""

    def __init__(
        self,
        *,
        include: Any,
        exclude: Any,
        by_alias: bool,
        exclude_unset: bool,
        exclude_defaults: bool,
        exclude_none: bool,
    ) -> None:
        self.include, self.exclude = include, exclude
        self.by_alias = by_alias
        self.exclude_unset = exclude_unset
        self.exclude_defaults = exclude_defaults
        self.exclude_none = exclude_none

    def __call__(self, value: Any, source: Any) -> Any:
        return self.dump(value, source, self.include, self.exclude)

    def dump(self, value: Any, source: Any, include: Any, exclude: Any) -> Any:
        if isinstance(value, msgspec.Struct):
            return self.fields(value, source, include, exclude, _struct_fields(type(value)))
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            return self.fields(value, source, include, exclude, _dataclass_fields(type(value)))
        if isinstance(value, dict):
            out = {}
            for key, item in value.items():
                if _kept(key, include, exclude):
                    inner = _child(source, key, key)
                    out[key] = self.dump(item, inner, _sub(include, key), _sub(exclude, key))
            return out
        if isinstance(value, list | tuple | set | frozenset):
            sources = source if isinstance(source, list | tuple) else ()
            items = []
            for index, item in enumerate(value):
                if _kept(index, include, exclude):
                    inner = sources[index] if index < len(sources) else None
                    items.append(self.dump(item, inner, _sub(include, index), _sub(exclude, index)))
            return items
        return value

    def fields(
        self, value: Any, source: Any, include: Any, exclude: Any, fields: _Fields
    ) -> dict[str, Any] | list[Any]:
        if fields.array_like:  # written as msgspec writes it: the values, in order
            return [self.dump(getattr(value, f[0]), None, None, None) for f in fields.items]
        out: dict[str, Any] = {}
        if fields.tag is not None:
            out[fields.tag[0]] = fields.tag[1]
        given = source if self.exclude_unset and isinstance(source, dict) else None
        for name, encode_name, default, factory in fields.items:
            item = getattr(value, name)
            if item is msgspec.UNSET or not _kept(name, include, exclude):
                continue
            if given is not None and name not in given and encode_name not in given:
                continue
            if item is None and self.exclude_none:
                continue
            if self.exclude_defaults or fields.omit_defaults:
                if default is not _NO_DEFAULT and item == default:
                    continue
                if factory is not _NO_DEFAULT and item == factory():
                    continue
            key = encode_name if self.by_alias else name
            inner = _child(source, name, encode_name)
            out[key] = self.dump(item, inner, _sub(include, name), _sub(exclude, name))
        return out


@dataclasses.dataclass(frozen=True)
class _Fields:
    """A Struct's or dataclass's fields: (name, encoded name, default, default factory)."""

    items: tuple[tuple[str, str, Any, Any], ...]
    tag: tuple[str, Any] | None = None
    omit_defaults: bool = False
    array_like: bool = False


_FIELDS: dict[type, _Fields] = {}


def _struct_fields(cls: type[msgspec.Struct]) -> _Fields:
    fields = _FIELDS.get(cls)
    if fields is None:
        config = cls.__struct_config__
        items = tuple(
            (f.name, f.encode_name, f.default, f.default_factory)
            for f in msgspec.structs.fields(cls)
        )
        tag = (config.tag_field, config.tag) if config.tag_field is not None else None
        fields = _FIELDS[cls] = _Fields(items, tag, config.omit_defaults, config.array_like)
    return fields


def _dataclass_fields(cls: type) -> _Fields:
    fields = _FIELDS.get(cls)
    if fields is None:
        items = tuple(
            (
                f.name,
                f.name,
                _NO_DEFAULT if f.default is dataclasses.MISSING else f.default,
                _NO_DEFAULT if f.default_factory is dataclasses.MISSING else f.default_factory,
            )
            for f in dataclasses.fields(cls)
        )
        fields = _FIELDS[cls] = _Fields(items)
    return fields


def _child(source: Any, name: Any, encode_name: Any) -> Any:
    """What `source` (the returned value) holds for a field, if it can tell."""
    if isinstance(source, dict):
        return source.get(encode_name, source.get(name))
    if source is None or isinstance(source, list | tuple | set | frozenset):
        return None
    return getattr(source, name, None)


def _kept(key: Any, include: Any, exclude: Any) -> bool:
    """Whether `key` passes pydantic-style include/exclude (sets, or dicts of nested ones,
    with "__all__" for every item of a sequence)."""
    if include is not None and key not in include and "__all__" not in include:
        return False
    if exclude is None:
        return True
    if isinstance(exclude, set):
        return key not in exclude
    return exclude.get(key, exclude.get("__all__")) not in (True, ...)  # `...`: all of it


def _sub(spec: Any, key: Any) -> Any:
    """The nested include/exclude for `key`: None (all of it) unless a dict says more."""
    if not isinstance(spec, dict):
        return None
    inner = spec.get(key, spec.get("__all__"))
    return inner if isinstance(inner, set | dict) else None
