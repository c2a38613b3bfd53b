"""Turns a msgspec.ValidationError into FastAPI's (pydantic's) error dicts.

msgspec stops at the first error and words it its own way ("Expected `int`, got
`str` - at `$.price`"); this maps the common cases to pydantic's type, message and
loc, and keeps msgspec's own words for the rest.
"""

from __future__ import annotations

import re
from typing import Any

_AT = re.compile(r" - at `\$(.*)`$")
_PATH_PART = re.compile(r"\.([^.\[]+)|\[(\d+)\]")
_MISSING = re.compile(r"Object missing required field `(.+)`")
_EXPECTED = re.compile(r"Expected `(\w+)`, got `(\w+)`")
_BOUND = re.compile(r"Expected `(\w+)` (>=|>|<=|<) (\S+)")
_LENGTH = re.compile(r"Expected `(\w+)` of length (>=|<=) (\d+)")

_TYPES = {
    "int": ("int_parsing", "int_type", "Input should be a valid integer"),
    "float": ("float_parsing", "float_type", "Input should be a valid number"),
    "bool": ("bool_parsing", "bool_type", "Input should be a valid boolean"),
    "str": ("string_type", "string_type", "Input should be a valid string"),
    "array": ("list_type", "list_type", "Input should be a valid list"),
    "object": (
        "model_attributes_type",
        "model_attributes_type",
        "Input should be a valid dictionary or object to extract fields from",
    ),
}
_PARSING_SUFFIX = {
    "int": ", unable to parse string as an integer",
    "float": ", unable to parse string as a number",
    "bool": ", unable to interpret input",
}
_BOUNDS = {
    ">": ("greater_than", "gt", "greater than"),
    ">=": ("greater_than_equal", "ge", "greater than or equal to"),
    "<": ("less_than", "lt", "less than"),
    "<=": ("less_than_equal", "le", "less than or equal to"),
}


def _path(message: str) -> tuple[str, list[str | int]]:
    match = _AT.search(message)
    if not match:
        return message, []
    parts = [name if name else int(index) for name, index in _PATH_PART.findall(match.group(1))]
    return message[: match.start()], parts


def _walk(value: Any, parts: list[str | int]) -> Any:
    for part in parts:
        try:
            value = value[part]
        except (KeyError, IndexError, TypeError):
            return None
    return value


def _number(text: str) -> int | float:
    number = float(text)
    return int(number) if number.is_integer() else number


def msgspec_errors(exc: Exception, data: Any, loc: tuple[str | int, ...]) -> list[dict[str, Any]]:
    """One pydantic-style error for `exc`, raised validating `data` found at `loc`."""
    message, parts = _path(str(exc))
    where = (*loc, *parts)
    value = _walk(data, parts)
    if m := _MISSING.match(message):
        return [
            {
                "type": "missing",
                "loc": (*where, m.group(1)),
                "msg": "Field required",
                "input": value,
            }
        ]
    if m := _EXPECTED.match(message):
        expected, got = m.groups()
        parsing, wrong_type, msg = _TYPES.get(expected, ("value_error", "value_error", message))
        if got == "str" and expected in _PARSING_SUFFIX:
            return [
                {
                    "type": parsing,
                    "loc": where,
                    "msg": msg + _PARSING_SUFFIX[expected],
                    "input": value,
                }
            ]
        return [{"type": wrong_type, "loc": where, "msg": msg, "input": value}]
    if m := _LENGTH.match(message):
        kind, op, size = m.groups()
        short = op == ">="
        noun = "String" if kind == "str" else "List"
        unit = "character" if kind == "str" else "item"
        plural = "" if size == "1" else "s"
        word = "at least" if short else "at most"
        key = "min_length" if short else "max_length"
        error_type = f"{'string' if kind == 'str' else ''}_too_{'short' if short else 'long'}"
        return [
            {
                "type": error_type.lstrip("_"),
                "loc": where,
                "msg": f"{noun} should have {word} {size} {unit}{plural}",
                "input": value,
                "ctx": {key: int(size)},
            }
        ]
    if m := _BOUND.match(message):
        _, op, limit = m.groups()
        error_type, key, words = _BOUNDS[op]
        number = _number(limit)
        return [
            {
                "type": error_type,
                "loc": where,
                "msg": f"Input should be {words} {number}",
                "input": value,
                "ctx": {key: number},
            }
        ]
    return [{"type": "value_error", "loc": where, "msg": message, "input": value}]
