"""Helpers FastAPI exports in `fastapi.utils` that apps and plugins use."""

from __future__ import annotations

import re
from typing import Any

from .datastructures import DefaultPlaceholder
from .routing import generate_unique_id

#: OpenAPI's status code ranges, which may have a body.
_RANGES = {"default", "1XX", "2XX", "3XX", "4XX", "5XX"}


def is_body_allowed_for_status_code(status_code: int | str | None) -> bool:
    """Whether a response with this status may have a body (not 1xx, 204, 205 or 304)."""
    if status_code is None or status_code in _RANGES:
        return True
    code = int(status_code)
    return not (code < 200 or code in (204, 205, 304))


def get_path_param_names(path: str) -> set[str]:
    """The names of the `{parameters}` in a path template."""
    return set(re.findall("{(.*?)}", path))


def deep_dict_update(main_dict: dict[Any, Any], update_dict: dict[Any, Any]) -> None:
    """Merges `update_dict` into `main_dict`: nested dicts are merged, lists concatenated,
    anything else replaced."""
    for key, value in update_dict.items():
        current = main_dict.get(key)
        if isinstance(current, dict) and isinstance(value, dict):
            deep_dict_update(current, value)
        elif isinstance(current, list) and isinstance(value, list):
            main_dict[key] = current + value
        else:
            main_dict[key] = value


def get_value_or_default(first_item: Any, *extra_items: Any) -> Any:
    """The first item that is not a DefaultPlaceholder, else the first item."""
    for item in (first_item, *extra_items):
        if not isinstance(item, DefaultPlaceholder):
            return item
    return first_item


__all__ = [
    "deep_dict_update",
    "generate_unique_id",
    "get_path_param_names",
    "get_value_or_default",
    "is_body_allowed_for_status_code",
]
