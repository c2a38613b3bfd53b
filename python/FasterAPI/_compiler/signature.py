"""Compiles a handler's signature, and its dependencies', once at registration, into the
plan Rust executes.

FastAPI's inference rules: a name in the path is a path parameter; an UploadFile (or a
list of them) is a File(); models, mappings, dataclasses and sequences are the body;
anything else (str, int, Enums, Literals, UUID, EmailStr, `int | str`...) is a query
parameter. Path(), Query(), Header(), Cookie(), Body(), Form() and File() override that, as
defaults or inside Annotated[...] (`Query()` on a list reads every value sent). A body with a
Form() or File() parameter is a form (FasterAPI._compiler.form_plan).

A path, query, header or cookie parameter Rust can read itself (scalars and lists of them,
with the usual constraints) is checked in Rust; parameter models, alias choices and what
only pydantic reads are validated by FasterAPI._compiler.param_models, which Rust calls.
"""

from __future__ import annotations

import copy
import inspect
import re
import types
import typing
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Annotated, Any, get_args, get_origin

import msgspec

from .. import params as p
from .._starlette import special_parameter
from .._types import is_subclass, reject_pydantic_v1, unwrap_optional
from ..background import BackgroundTasks
from ..dependencies.models import Dependant, cache_key, call_name, called_function, check_scopes
from ..requests import HTTPConnection, Request
from ..responses import Response
from ..security import SecurityScopes
from ..websockets import WebSocket
from .body import BodyField, BodyPlan, _pydantic, request_aliases
from .form_plan import FormPlan, is_upload
from .param_models import (
    ModelValidator,
    field_info,
)
from .specs import MARKERS, ParamSpec, is_complex, merged, param_spec

#: Starlette's path convertors that change the type of a `request.path_params` value.
_PATH_CONVERTORS: dict[str, Any] = {"int": int, "float": float, "uuid": uuid.UUID}


@dataclass
class Plan:
    """What a route needs per request: specs for the Rust plan, the body, injections, and the
    dependency graph when there is one to solve."""

    params: list[ParamSpec] = field(default_factory=list)
    body: BodyPlan | FormPlan | None = None
    request_params: list[str] = field(default_factory=list)
    response_params: list[str] = field(default_factory=list)
    path_names: set[str] = field(default_factory=set)
    #: Path parameter name -> the key its value has among the extracted values.
    path_keys: dict[str, str] = field(default_factory=dict)
    #: The handler's Dependant, if serving the route takes the dependency solver.
    dependant: Dependant | None = None
    #: The handler's Dependant, always (for the OpenAPI schema).
    root: Dependant | None = None

    #: Matches a request's path (below its root path), capturing the parameters as sent.
    path_pattern: re.Pattern[str] | None = None
    #: Path parameter name -> its Starlette convertor ("str", "path", "int", ...).
    path_convertors: dict[str, str] = field(default_factory=dict)

    def path_params(self, scope: dict[str, Any], values: dict[str, Any]) -> dict[str, Any]:
        """`request.path_params`, as Starlette gives them: the path's parameters as sent
        (strings; `{x:int}`, `{x:float}` and `{x:uuid}` converted); the extracted values
        if the path cannot be matched."""
        if self.path_pattern is not None:
            path, root = scope.get("path", ""), scope.get("root_path", "")
            if root and path.startswith(root):
                path = path[len(root) :]
            match = self.path_pattern.fullmatch(path)
            if match is not None:
                try:
                    return {
                        name: _PATH_CONVERTORS.get(convertor, str)(match[name])
                        for name, convertor in self.path_convertors.items()
                    }
                except ValueError:  # not what the convertor reads: the values then
                    pass
        return {name: values.get(key) for name, key in self.path_keys.items()}

    def match_paths(self, path: str) -> None:
        """Compiles `path_pattern` for a route path such as `/items/{id}/{rest:path}`."""
        parts, position = [], 0
        for found in re.finditer(r"{([^}:]+)(?::([^}]*))?}", path):
            parts.append(re.escape(path[position : found.start()]))
            name, convertor = found[1], found[2] or "str"
            self.path_convertors[name] = convertor
            parts.append(f"(?P<{name}>{'.*' if convertor == 'path' else '[^/]*'})")
            position = found.end()
        parts.append(re.escape(path[position:]))
        try:
            self.path_pattern = re.compile("".join(parts))
        except re.error:  # a name that is no group name: the values are used instead
            self.path_pattern = None


def path_param_names(path: str) -> set[str]:
    """The parameter names in a FastAPI path: `{id}`, `{rest:path}`."""
    names = set()
    for piece in path.split("{")[1:]:
        names.add(piece.split("}", 1)[0].split(":", 1)[0])
    return names


def compile_endpoint(
    endpoint: Any,
    path: str,
    dependencies: Sequence[p.Depends] = (),
    overrides: Mapping[Any, Any] | None = None,
    websocket: bool = False,
) -> Plan:
    """The plan of a route: its handler's parameters and, through `Depends`, those of every
    dependency, flattened into one list for Rust to extract; `dependencies` are the route's
    `dependencies=[...]`, run first; `overrides` replace dependencies (app.dependency_overrides);
    a `websocket` route always goes through the dependency solver, which gives it its WebSocket."""
    return _Compiler(path, overrides or {}, websocket).compile(endpoint, dependencies)


def body_plan(fields: list[BodyField]) -> BodyPlan | FormPlan | None:
    """What reads a request body made of `fields` (a route's, its dependencies' included):
    a form, or JSON (an object of them when there are several, or one says `embed`)."""
    if any(isinstance(f.marker, p.Form) for f in fields):
        return FormPlan(fields)
    if not fields:
        return None
    embed = len({f.alias for f in fields}) > 1 or any(f.embed for f in fields)
    return BodyPlan(fields, embed)


def dependency_graph(
    path: str, depends: p.Depends, scopes: list[str], name: str | None = None
) -> Dependant:
    """One dependency's graph (`depends`, used by parameter `name` of a route at `path`
    that requires the OAuth `scopes`), compiled as a route's dependencies are:
    FastAPI's `get_dependant`."""
    return _Compiler(path, {}).dependency(depends, None, scopes, name)


class _Compiler:
    """Walks the handler's signature and, depth first, its dependencies'. Each dependency is
    compiled once per route (per set of security scopes); its request values get keys of
    their own (`name@n`), so the handler's and each dependency's are validated separately,
    as FastAPI does."""

    def __init__(self, path: str, overrides: Mapping[Any, Any], websocket: bool = False) -> None:
        self.path = path
        self.websocket = websocket
        self.plan = Plan(path_names=path_param_names(path))
        self.body_fields: list[BodyField] = []
        self.overrides = overrides
        self.nodes: dict[Any, Dependant] = {}
        self.chain: list[Any] = []  # the dependencies being compiled, to name a cycle
        self.count = 0

    def compile(self, endpoint: Any, dependencies: Sequence[p.Depends]) -> Plan:
        root = Dependant(endpoint, scope="function", path=self.path)
        for depends in dependencies:
            root.dependencies.append(self.dependency(depends, None, [], None))
        self.fill(root, key_suffix="")
        plan = self.plan
        plan.body = body_plan(self.body_fields)
        for spec in plan.params:
            if spec["source"] == "path":
                plan.path_keys.setdefault(spec["key"], spec["name"])
        # `{$request.body.url}`: a runtime expression (a callback's path), not a parameter.
        missing = {n for n in plan.path_names - plan.path_keys.keys() if not n.startswith("$")}
        if missing:
            raise TypeError(
                f"{call_name(endpoint)}: path {self.path!r} names {sorted(missing)} "
                "but the handler takes no such parameters"
            )
        # A form route takes the solver, which closes its uploaded files after the response.
        solve = self.websocket or root.needs_solving() or isinstance(plan.body, FormPlan)
        plan.dependant = root if solve else None
        plan.root = root
        plan.match_paths(self.path)
        return plan

    def dependency(
        self, depends: p.Depends, annotation: Any, scopes: list[str], name: str | None
    ) -> Dependant:
        """The use of a dependency by parameter `name` (None: by `dependencies=[...]`); its
        callable is compiled once per route and set of OAuth scopes."""
        call = depends.dependency if depends.dependency is not None else annotation
        if call is None or not callable(call):
            raise TypeError(f"{depends!r} needs a callable, or a class as the annotation")
        call = self.overrides.get(call, call)
        own = list(depends.scopes or []) if isinstance(depends, p.Security) else []
        if call in self.chain:
            cycle = self.chain[self.chain.index(call) :] + [call]
            raise TypeError("dependency cycle: " + " -> ".join(call_name(c) for c in cycle))
        key = cache_key(call, [*scopes, *own])
        node = self.nodes.get(key)
        if node is None:
            node = Dependant(call, own_oauth_scopes=own, parent_oauth_scopes=scopes, path=self.path)
            self.chain.append(call)
            self.count += 1
            self.fill(node, key_suffix=f"@{self.count}")
            self.chain.pop()
            self.nodes[key] = node
        use = node.use(name, depends)
        check_scopes(use)
        return use

    def check_special(self, call: Any, name: str, special: str) -> None:
        """Refuses, at registration, what a route of this kind cannot give."""
        # A Response on a WebSocket route is never sent, but a dependency shared with HTTP
        # routes (one that sets a cookie, say) still gets one, as in FastAPI.
        wrong = {"request"} if self.websocket else {"websocket"}
        if special in wrong:
            kind = "a WebSocket route" if self.websocket else "an HTTP route"
            hint = " (use WebSocket, or HTTPConnection for both)" if self.websocket else ""
            raise TypeError(
                f"{call_name(call)}: parameter {name!r} asks for a {special.capitalize()}, "
                f"which {kind} has none of{hint}"
            )

    def fill(self, dependant: Dependant, key_suffix: str) -> None:
        """Sorts the parameters of `dependant.call` into request values, dependencies and
        injected objects; the root (the handler) has no key suffix."""
        call, root = dependant.call, not key_suffix
        hints = _hints(call)
        # after the dependencies', as FastAPI validates them
        specs: list[ParamSpec] = []
        body_fields: list[BodyField] = []
        for param in _parameters(call):
            if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
                continue
            annotation, marker, metadata = _split_annotated(_annotation(param, hints))
            reject_pydantic_v1(annotation)
            default = _marker_in_field(param.default)
            _check_markers(param.name, marker, default)
            if isinstance(default, p.Param | p.Depends):
                marker, default = default, getattr(default, "default", p.Required)
            if isinstance(marker, p.Depends):
                sub = self.dependency(marker, annotation, dependant.scopes, param.name)
                dependant.dependencies.append(sub)
                continue
            special = _special(annotation)
            if special is not None:
                self.check_special(call, param.name, special)
                dependant.specials.append((param.name, special))
                if root and special == "request":
                    self.plan.request_params.append(param.name)
                elif root and special == "response":
                    self.plan.response_params.append(param.name)
                continue
            if default is inspect.Parameter.empty:
                default = p.Required
            if marker is None and is_upload(annotation):
                marker = p.File()
            key = param.name + key_suffix
            source = _source(param.name, annotation, marker, self.plan.path_names)
            if source == "body":
                if self.websocket:
                    raise TypeError(
                        f"{call_name(call)}: parameter {param.name!r} would be read from the "
                        "body, which a WebSocket route has none of; receive it as a message"
                    )
                field = _body_field(param.name, key, annotation, marker, default, metadata)
                body_fields.append(field)
            else:
                spec = param_spec(
                    param.name, source, annotation, marker, default, metadata, self.plan.path_names
                )
                specs.append({**spec, "name": key})
                documented = Annotated[(annotation, *metadata)] if metadata else annotation
                doc_marker = _doc_marker(marker or MARKERS[source](), metadata)
                dependant.params.extend(_param_docs(spec, documented, doc_marker))
            dependant.args.append((param.name, key))
        self.plan.params.extend(specs)
        self.body_fields.extend(body_fields)
        dependant.body_params = body_fields


def _annotation(param: inspect.Parameter, hints: dict[str, Any]) -> Any:
    """A parameter's resolved annotation; for a signature made by hand (a pydantic model's,
    used as a dependency), the type it gives, when the function it describes has none."""
    if param.name in hints:
        return hints[param.name]
    given = param.annotation
    return Any if given is inspect.Parameter.empty or isinstance(given, str) else given


def _marker_in_field(default: Any) -> Any:
    """A parameter's default; for a pydantic model's field declared `page: int = Query(1)`
    (the model used as a dependency, as fastapi-pagination's Params is), pydantic's
    signature gives a FieldInfo around the marker: the marker itself."""
    inner = getattr(default, "default", None)
    if isinstance(inner, p.Param | p.Depends) and type(default).__name__ == "FieldInfo":
        return inner
    return default


def _check_markers(name: str, marker: Any, default: Any) -> None:
    """FastAPI's errors (AssertionError, as its) for a marker both in Annotated[...] and as
    the default, or a default set inside Annotated[...]."""
    if isinstance(default, p.Depends):
        if isinstance(marker, p.Depends):
            raise AssertionError(
                f"Cannot specify `Depends` in `Annotated` and default value together for {name!r}"
            )
        if marker is not None:
            raise AssertionError(
                "Cannot specify a FastAPI annotation in `Annotated` and `Depends` as a"
                f" default value together for {name!r}"
            )
    elif isinstance(default, p.Param) and isinstance(marker, p.Param):
        raise AssertionError(
            f"Cannot specify FastAPI annotations in `Annotated` and default value together for"
            f" {name!r}"
        )
    elif isinstance(marker, p.Param) and marker.default is not p.Required:
        raise AssertionError(
            f"`{type(marker).__name__}` default value cannot be set in `Annotated` for {name!r}."
            " Set the default value with `=` instead."
        )


@dataclass
class ParamDoc:
    """A path, query, header or cookie parameter as the OpenAPI schema documents it."""

    source: str
    #: The name the client sends it by: the alias, or the parameter's name (a header's with
    #: dashes for underscores).
    name: str
    annotation: Any
    #: The parameter's marker (Query()...), or a model field's documentation as one.
    marker: p.Param | types.SimpleNamespace | None
    required: bool
    default: Any


def _parameters(call: Any) -> list[inspect.Parameter]:
    try:
        return list(inspect.signature(call).parameters.values())
    except (TypeError, ValueError):  # a builtin without a signature takes nothing we give
        return []


def _hints(call: Any) -> dict[str, Any]:
    """The resolved annotations of what calling `call` runs; a type alias (`type X = ...`)
    is what it stands for."""
    target = called_function(call)
    try:
        hints = typing.get_type_hints(target, include_extras=True)
    except TypeError:  # a builtin or a slot wrapper
        return {}
    except NameError:  # a name only type checkers import (`if TYPE_CHECKING:`), say
        hints = _hints_one_by_one(target)
    return {
        name: getattr(hint, "__value__", hint) if _is_type_alias(hint) else hint
        for name, hint in hints.items()
    }


def _hints_one_by_one(target: Any) -> dict[str, Any]:
    """The annotations of `target` that resolve; one that names what cannot be found (the
    return annotation, usually) is left out, as FastAPI does."""
    globalns = getattr(inspect.unwrap(target), "__globals__", {})
    hints: dict[str, Any] = {}
    for name, annotation in getattr(target, "__annotations__", {}).items():
        holder = types.SimpleNamespace(__annotations__={name: annotation}, __globals__=globalns)
        try:
            hints.update(typing.get_type_hints(holder, include_extras=True))
        except (NameError, TypeError):
            pass
    return hints


def _is_type_alias(hint: Any) -> bool:
    """A `type X = ...` alias (typing's, or typing_extensions' before Python 3.12)."""
    return type(hint).__name__ == "TypeAliasType" and hasattr(hint, "__value__")


def _special(annotation: Any) -> str | None:
    """What an annotation asks to be given instead of a request value, if anything."""
    if is_subclass(annotation, WebSocket):
        return "websocket"
    if is_subclass(annotation, Request):
        return "request"
    if annotation is HTTPConnection:
        return "connection"
    if is_subclass(annotation, Response):
        return "response"
    if is_subclass(annotation, BackgroundTasks):
        return "background"
    if is_subclass(annotation, SecurityScopes):
        return "security_scopes"
    return special_parameter(annotation)  # Starlette's own classes


def _split_annotated(annotation: Any) -> tuple[Any, p.Param | p.Depends | None, tuple[Any, ...]]:
    """`Annotated[T, ..., marker]` as (T, its last FasterAPI marker, the other metadata:
    pydantic's Field(), validators...)."""
    if get_origin(annotation) is not Annotated:
        return annotation, None, ()
    args = get_args(annotation)
    markers = [a for a in args[1:] if isinstance(a, p.Param | p.Depends)]
    marker = markers[-1] if markers else None
    metadata = []
    for arg in args[1:]:
        if isinstance(arg, p.Param) and arg is not marker and arg.field_options():
            metadata.append(field_info(arg))  # an earlier marker's constraints still hold
        elif not isinstance(arg, p.Param | p.Depends):
            metadata.append(arg)
    return args[0], marker, tuple(metadata)


def _source(name: str, annotation: Any, marker: p.Param | None, path_names: set[str]) -> str:
    if name in path_names:
        return "path"
    if marker is not None:
        return marker.source or "query"  # the base Param reads the query, as FastAPI's
    return "body" if is_complex(annotation) else "query"


_DOCS = ("title", "description", "examples", "deprecated", "json_schema_extra")


def _doc_marker(marker: p.Param, metadata: tuple[Any, ...]) -> p.Param:
    """The marker as documented: what it leaves unsaid (title, description, examples...)
    said by a pydantic Field() in Annotated[...], as FastAPI merges them."""
    fields = [m for m in metadata if hasattr(m, "default_factory") and hasattr(m, "metadata")]
    if not fields:
        return marker
    merged = copy.copy(marker)
    for name in _DOCS:
        for found in reversed(fields):
            if getattr(merged, name, None) is None and getattr(found, name, None) is not None:
                setattr(merged, name, getattr(found, name))
    return merged


def _param_docs(spec: ParamSpec, annotation: Any, marker: p.Param | None) -> list[ParamDoc]:
    """How a parameter is documented: as itself, or a parameter model as its fields (none
    required when the model is optional and not required), each titled after its alias and
    shown or hidden with the model."""
    validate = spec.get("validate")
    if not isinstance(validate, ModelValidator):
        # Of alias choices, the first is documented.
        name = validate.aliases[0][1] if validate is not None else spec["loc_name"]
        doc = ParamDoc(spec["source"], name, annotation, marker, spec["required"], spec["default"])
        return [doc]
    docs = []
    optional = validate.optional and not spec["required"]
    infos = validate.model.model_fields.values()
    for model_field, info in zip(validate.fields, infos, strict=True):
        alias, name = model_field.aliases[0]
        doc_annotation = info.annotation
        if info.metadata:
            doc_annotation = Annotated[(info.annotation, *info.metadata)]
        field_marker = types.SimpleNamespace(
            title=info.title or alias.title().replace("_", " "),
            description=info.description,
            examples=info.examples,
            json_schema_extra=info.json_schema_extra,
            deprecated=info.deprecated,
            include_in_schema=getattr(marker, "include_in_schema", True),
        )
        required = info.is_required() and not optional
        default = None if info.is_required() or info.default_factory else info.default
        docs.append(ParamDoc(spec["source"], name, doc_annotation, field_marker, required, default))
    return docs


def _body_field(
    name: str,
    key: str,
    annotation: Any,
    marker: p.Param | None,
    default: Any,
    metadata: tuple[Any, ...],
) -> BodyField:
    embed = isinstance(marker, p.Body) and marker.embed
    factory, alias, validation_alias, validate_default = merged(marker or p.Body(), metadata)
    declared = annotation
    if metadata:  # validators, Field() options: pydantic's
        annotation = Annotated[(annotation, *metadata)]
    named = types.SimpleNamespace(alias=alias, validation_alias=validation_alias)
    aliases = request_aliases(name, named)
    return BodyField(
        name=key,
        declared=declared,
        metadata=metadata,
        alias=aliases[0],
        aliases=aliases,
        annotation=_constrained(annotation, marker),
        required=default is p.Required and factory is None,
        default=None if default is p.Required else default,
        default_factory=factory,
        validate_default=bool(validate_default),
        embed=embed,
        marker=marker,
    )


_CONSTRAINTS = ("gt", "ge", "lt", "le", "min_length", "max_length", "pattern")


def _constrained(annotation: Any, marker: p.Param | None) -> Any:
    """`annotation` with the marker's constraints (`Body(gt=0)`) attached for whichever of
    msgspec and pydantic validates it (pydantic gets its other Field() options too: strict,
    fail_fast...); None stays allowed for an Optional."""
    options = marker.field_options() if marker is not None else {}
    found = {k: v for k, v in options.items() if k in _CONSTRAINTS}
    metadata: list[Any] = []
    if found:
        pattern = found.get("pattern")
        if isinstance(pattern, re.Pattern):
            found["pattern"] = pattern.pattern
        metadata.append(msgspec.Meta(**found))
    if marker is not None and options and _pydantic() is not None:
        metadata.append(field_info(marker))
    if not metadata:
        return annotation
    inner, optional = unwrap_optional(annotation)
    constrained = Annotated[(inner, *metadata)]  # type: ignore[valid-type]
    return constrained | None if optional else constrained
