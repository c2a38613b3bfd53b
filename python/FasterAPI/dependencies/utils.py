"""What tools and plugins import from `fastapi.dependencies.utils`: resolving a callable's
annotations, and its dependency graph compiled as FasterAPI compiles a route's
(`get_dependant`, `get_parameterless_sub_dependant`)."""

from __future__ import annotations

import inspect
import types
import typing
from collections.abc import Callable
from typing import Any, Literal

from .._compiler.signature import body_plan, dependency_graph
from ..concurrency import DependencyConcurrency
from ..datastructures import UploadFile
from ..params import Depends, Security
from .models import Dependant


def get_typed_annotation(annotation: Any, globalns: dict[str, Any]) -> Any:
    """`annotation` resolved in `globalns` if it is a string ("None" is None)."""
    if isinstance(annotation, str):
        holder = types.SimpleNamespace(__annotations__={"a": annotation}, __globals__=globalns)
        annotation = typing.get_type_hints(holder, include_extras=True)["a"]
        if annotation is type(None):
            return None
    return annotation


def _signature(call: Callable[..., Any]) -> inspect.Signature:
    try:
        return inspect.signature(call, eval_str=True)
    except NameError:  # a name only type checkers import: left as written
        return inspect.signature(call)


def get_typed_signature(call: Callable[..., Any]) -> inspect.Signature:
    """The signature of `call` with its parameters' string annotations resolved."""
    globalns = getattr(inspect.unwrap(call), "__globals__", {})
    return inspect.Signature(
        [
            param.replace(annotation=get_typed_annotation(param.annotation, globalns))
            for param in _signature(call).parameters.values()
        ]
    )


def get_typed_return_annotation(call: Callable[..., Any]) -> Any:
    """The resolved return annotation of `call`; None if it has none."""
    annotation = _signature(call).return_annotation
    if annotation is inspect.Signature.empty:
        return None
    return get_typed_annotation(annotation, getattr(inspect.unwrap(call), "__globals__", {}))


def get_dependant(
    *,
    path: str,
    call: Callable[..., Any],
    name: str | None = None,
    own_oauth_scopes: list[str] | None = None,
    parent_oauth_scopes: list[str] | None = None,
    use_cache: bool = True,
    scope: Literal["function", "request"] | None = None,
    concurrency: DependencyConcurrency | None = None,
) -> Dependant:
    """The dependency graph of `call`, used by the parameter `name` (None: listed in a
    route's `dependencies=[...]`) of a route at `path`, compiled as FasterAPI compiles a
    route's dependencies: `call`'s own path, query, header, cookie and body parameters and,
    through `Depends`, its dependencies'."""
    options: dict[str, Any] = {"use_cache": use_cache, "scope": scope}
    if concurrency is not None:
        options.update(max_concurrency=concurrency.max_concurrency, _concurrency=concurrency)
    if own_oauth_scopes:
        depends: Depends = Security(call, scopes=list(own_oauth_scopes), **options)
    else:
        depends = Depends(call, **options)
    return dependency_graph(path, depends, list(parent_oauth_scopes or []), name)


def get_parameterless_sub_dependant(*, depends: Depends, path: str) -> Dependant:
    """The graph of one of a route's `dependencies=[...]`."""
    assert callable(depends.dependency), "A parameter-less dependency must have a callable"
    return get_dependant(
        path=path,
        call=depends.dependency,
        own_oauth_scopes=list(getattr(depends, "scopes", None) or []),
        use_cache=depends.use_cache,
        scope=depends.scope,
        concurrency=depends._concurrency,
    )


def lenient_issubclass(cls: Any, class_or_tuple: Any) -> bool:
    """`issubclass(cls, class_or_tuple)` that is False (rather than a TypeError) for what is
    not a class, such as `list[int]` (FastAPI's helper, which plugins import from here)."""
    try:
        return isinstance(cls, type) and issubclass(cls, class_or_tuple)
    except TypeError:  # a generic alias that passes for a type
        return False


def _get_flat_body_params(dependant: Dependant) -> list[Any]:
    """The body parameters of `dependant` and of every dependency it reaches, each
    dependency once (FastAPI's name)."""
    found: list[Any] = []
    seen: set[int] = set()
    pending = [dependant]
    while pending:
        current = pending.pop()
        if id(current.body_params) in seen:  # uses of one callable share its parameters
            continue
        seen.add(id(current.body_params))
        found.extend(current.body_params)
        pending.extend(reversed(current.dependencies))
    return found


def _get_body_field(*, body_params: list[Any], name: str, embed_body_fields: bool) -> Any:
    """What reads a request body made of `body_params` (FastAPI's `route.body_field`; a
    FasterAPI body plan here), None without any. `name` and `embed_body_fields` are
    FastAPI's; the plan works out whether the body is embedded from the parameters."""
    return body_plan(body_params)


async def _read_file_bytes(file: UploadFile) -> bytes:
    """An uploaded file's content from where it is, leaving its position as it was
    (another parameter may read the same file)."""
    position = file.file.tell()
    try:
        return await file.read()
    finally:
        await file.seek(position)
