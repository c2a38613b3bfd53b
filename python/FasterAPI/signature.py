"""Compiles a handler's signature, once at registration, into the plan Rust executes.

FastAPI's inference rules: a name in the path is a path parameter; scalars, Enums,
Literals and lists of them are query parameters; anything else (models, dicts) is the
body. Path(), Query(), Header(), Cookie() and Body() override that, as defaults or
inside Annotated[...].
"""

from __future__ import annotations

import enum
import inspect
import typing
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal, get_args, get_origin

from . import params as p
from ._converters import CONVERTERS
from ._types import is_subclass, sequence_item, unwrap_optional
from .body import BodyField, BodyPlan
from .requests import Request
from .responses import Response

_SCALARS = {str: "str", int: "int", float: "float", bool: "bool", bytes: "bytes"}


@dataclass
class Plan:
    """What a route needs per request: specs for the Rust plan, the body, injections."""

    params: list[dict[str, Any]] = field(default_factory=list)
    body: BodyPlan | None = None
    request_params: list[str] = field(default_factory=list)
    response_params: list[str] = field(default_factory=list)
    path_names: set[str] = field(default_factory=set)


def path_param_names(path: str) -> set[str]:
    """The parameter names in a FastAPI path: `{id}`, `{rest:path}`."""
    names = set()
    for piece in path.split("{")[1:]:
        names.add(piece.split("}", 1)[0].split(":", 1)[0])
    return names


def compile_endpoint(endpoint: Any, path: str) -> Plan:
    plan = Plan(path_names=path_param_names(path))
    hints = typing.get_type_hints(endpoint, include_extras=True)
    body_fields: list[BodyField] = []
    for param in inspect.signature(endpoint).parameters.values():
        if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
            continue
        annotation = hints.get(param.name, Any)
        annotation, marker = _split_annotated(annotation)
        default = param.default
        if isinstance(default, p.Param):
            marker, default = default, default.default
        elif marker is not None and marker.default is not p.Required:
            raise TypeError(
                f"{endpoint.__qualname__}: parameter {param.name!r} sets its default in "
                "Annotated[...]; give it as the parameter's default (`= value`) instead"
            )
        if default is inspect.Parameter.empty:
            default = p.Required
        if is_subclass(annotation, Request):
            plan.request_params.append(param.name)
            continue
        if is_subclass(annotation, Response):
            plan.response_params.append(param.name)
            continue
        source = _source(param.name, annotation, marker, plan.path_names)
        if source == "body":
            body_fields.append(_body_field(param.name, annotation, marker, default))
        else:
            plan.params.append(_param_spec(param.name, source, annotation, marker, default))
    if body_fields:
        embed = len(body_fields) > 1 or any(f.embed for f in body_fields)
        plan.body = BodyPlan(body_fields, embed)
    missing = plan.path_names - {s["name"] for s in plan.params if s["source"] == "path"}
    if missing:
        raise TypeError(
            f"{endpoint.__qualname__}: path {path!r} names {sorted(missing)} "
            "but the handler takes no such parameters"
        )
    return plan


def _split_annotated(annotation: Any) -> tuple[Any, p.Param | None]:
    if get_origin(annotation) is not Annotated:
        return annotation, None
    args = get_args(annotation)
    markers = [a for a in args[1:] if isinstance(a, p.Param)]
    return args[0], (markers[-1] if markers else None)


def _scalar_kind(tp: Any) -> dict[str, Any] | None:
    """The plan's `kind` (and its extras) for a scalar type, or None if not a scalar."""
    if tp is Any or tp is inspect.Parameter.empty:
        return {"kind": "str"}
    if tp in _SCALARS:
        return {"kind": _SCALARS[tp]}
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


def _is_scalar_or_sequence(tp: Any) -> bool:
    tp, _ = unwrap_optional(tp)
    item = sequence_item(tp)
    return _scalar_kind(item if item is not None else tp) is not None


def _source(name: str, annotation: Any, marker: p.Param | None, path_names: set[str]) -> str:
    if name in path_names:
        return "path"
    if marker is not None:
        return marker.source
    return "query" if _is_scalar_or_sequence(annotation) else "body"


def _param_spec(
    name: str, source: str, annotation: Any, marker: p.Param | None, default: Any
) -> dict[str, Any]:
    marker = marker or {"path": p.Path, "query": p.Query}[source]()
    tp, _ = unwrap_optional(annotation)
    item = sequence_item(tp)
    kind = _scalar_kind(item if item is not None else tp)
    if kind is None:
        raise TypeError(f"parameter {name!r}: {annotation!r} cannot be read from the {source}")
    key = marker.alias or name
    if source == "header" and not marker.alias and getattr(marker, "convert_underscores", True):
        key = name.replace("_", "-")
    if source == "header":
        key = key.lower()
    required = default is p.Required and marker.default_factory is None
    if source == "path":
        required = True
    if marker.default_factory is not None:
        default = marker.default_factory()
    return {
        "name": name,
        "source": source,
        "key": key,
        "loc_name": marker.alias or (key if source == "header" else name),
        "many": item is not None,
        "required": required,
        "default": None if default is p.Required else default,
        "gt": marker.gt,
        "ge": marker.ge,
        "lt": marker.lt,
        "le": marker.le,
        "min_length": marker.min_length,
        "max_length": marker.max_length,
        "pattern": marker.pattern,
        **kind,
    }


def _body_field(name: str, annotation: Any, marker: p.Param | None, default: Any) -> BodyField:
    embed = isinstance(marker, p.Body) and marker.embed
    if marker is not None and marker.default_factory is not None:
        default = marker.default_factory()
    return BodyField(
        name=name,
        alias=(marker.alias if marker else None) or name,
        annotation=annotation,
        required=default is p.Required,
        default=None if default is p.Required else default,
        embed=embed,
    )
