"""`form_limits`: FastAPI 0.165's limits on the forms read for Form(), File() and UploadFile
parameters, given to the app, a router, `include_router` or a route as a dict with any of
`max_fields` (text fields), `max_files` (files) and `max_part_size` (bytes of one text field).

For each limit the most specific setting wins: the route's, then its router's, then each
`include_router`'s going out, then the app's; one not set anywhere is Starlette's default. A
form over a limit is answered 400. `request.form()` is not affected: it takes its own
limits as arguments.
"""

from __future__ import annotations

from typing import Any, TypedDict


class _FormLimits(TypedDict, total=False):
    """Limits for the automatic parsing of Form, File and UploadFile parameters."""

    max_fields: int
    max_files: int
    max_part_size: int


#: Starlette's defaults (`Request.form()`), for a limit no one set.
DEFAULT_FORM_LIMITS: _FormLimits = {
    "max_fields": 1000,
    "max_files": 1000,
    "max_part_size": 1024 * 1024,
}


def validate_form_limits(limits: Any) -> _FormLimits:
    """A copy of `limits` (empty for None); ValueError naming the key unless it is a dict of
    known limits, each a non-negative int."""
    if limits is None:
        return {}
    if not isinstance(limits, dict):
        raise ValueError(f"form_limits must be a dict, not {type(limits).__name__}")
    for key, value in limits.items():
        if key not in DEFAULT_FORM_LIMITS:
            known = ", ".join(DEFAULT_FORM_LIMITS)
            raise ValueError(f"form_limits: unknown limit {key!r} (known: {known})")
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ValueError(f"form_limits: {key} must be a non-negative integer, not {value!r}")
    return dict(limits)  # type: ignore[return-value]


def merge_form_limits(outer: _FormLimits | None, inner: _FormLimits | None) -> _FormLimits:
    """`outer`'s limits (a router's, an include's) with `inner`'s (the route's) over them."""
    return {**(outer or {}), **(inner or {})}
