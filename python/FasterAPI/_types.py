"""Small helpers for reading type annotations."""

from __future__ import annotations

import sys
import types
import typing
from typing import Any, Union, get_args, get_origin

_SEQUENCE_ORIGINS = {list, set, frozenset, tuple, typing.Sequence}


def is_subclass(tp: Any, base: type | types.UnionType) -> bool:
    return isinstance(tp, type) and issubclass(tp, base)


def unwrap_optional(tp: Any) -> tuple[Any, bool]:
    """`X | None` and `Optional[X]` give (X, True); any other type gives (tp, False)."""
    if get_origin(tp) in (Union, types.UnionType):
        args = [a for a in get_args(tp) if a is not type(None)]
        if len(args) < len(get_args(tp)) and len(args) == 1:
            return args[0], True
    return tp, False


def sequence_item(tp: Any) -> Any | None:
    """The item type of list[X], set[X], tuple[X, ...]; None if `tp` is not such a sequence."""
    if get_origin(tp) in _SEQUENCE_ORIGINS:
        args = get_args(tp)
        return args[0] if args else str
    if tp in (list, set, frozenset, tuple):
        return str
    return None


def reject_pydantic_v1(tp: Any) -> None:
    """Raises PydanticV1NotSupportedError if a `pydantic.v1` model is in `tp` (or in its type
    arguments), as FastAPI 0.165 does when a route is registered."""
    v1 = sys.modules.get("pydantic.v1")  # imported if, and only if, the app uses it
    if v1 is None:
        return
    pending, seen = [tp], set()
    while pending:
        current = pending.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, type) and issubclass(current, v1.BaseModel):
            from .exceptions import PydanticV1NotSupportedError

            raise PydanticV1NotSupportedError(
                f"pydantic.v1 models are not supported (as in FastAPI 0.165): update "
                f"{current.__name__} to a pydantic 2 model (from pydantic import BaseModel)"
            )
        pending.extend(get_args(current))
