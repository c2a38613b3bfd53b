"""What tools and plugins import from `fastapi.dependencies.utils`: resolving a callable's
annotations, and its dependency graph compiled as FasterAPI compiles a route's
(`get_dependant`, `get_flat_dependant`, `get_parameterless_sub_dependant`)."""

from __future__ import annotations

import inspect
import types
import typing
from collections.abc import Callable
from typing import Any

from ..datastructures import UploadFile
from ..params import Depends
from ..signature import compile_endpoint
from .models import Dependant, _get_cache_key


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


def get_dependant(*, path: str, call: Callable[..., Any], **_: Any) -> Dependant:
    """The dependency graph of `call` as the handler of a route at `path`."""
    return compile_endpoint(call, path).root


def get_parameterless_sub_dependant(*, depends: Depends, path: str) -> Dependant:
    """The graph of one of a route's `dependencies=[...]`."""
    assert callable(depends.dependency), "A parameter-less dependency must have a callable"
    return compile_endpoint(lambda: None, path, [depends]).root.dependencies[0]


def get_flat_dependant(dependant: Dependant, **_: Any) -> list[Dependant]:
    """`dependant` and every dependency it reaches, depth first, each once (by what the
    request's cache knows it by)."""
    found, seen, stack = [], set(), [dependant]
    while stack:
        current = stack.pop()
        key = _get_cache_key(dependant=current)
        if key in seen and current is not dependant:
            continue
        seen.add(key)
        found.append(current)
        stack.extend(reversed(current.dependencies))
    return found


async def _read_file_bytes(file: UploadFile) -> bytes:
    """An uploaded file's content from where it is, leaving its position as it was
    (another parameter may read the same file)."""
    position = file.file.tell()
    try:
        return await file.read()
    finally:
        await file.seek(position)
