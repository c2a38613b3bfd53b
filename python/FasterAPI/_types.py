"""Small helpers for reading type annotations."""

from __future__ import annotations

import types
import typing
from typing import Any, Union, get_args, get_origin

_SEQUENCE_ORIGINS = {list, set, frozenset, tuple, typing.Sequence}


def is_subclass(tp: Any, base: type) -> bool:
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
