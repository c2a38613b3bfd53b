"""Warnings that point at the user's line: the first frame outside FasterAPI (what Python
3.12's `skip_file_prefixes` does), whichever of the app's or a router's methods was called."""

from __future__ import annotations

import sys
import warnings

_PACKAGE = __name__.partition(".")[0] + "."


def warn(message: str, category: type[Warning] = UserWarning) -> None:
    """`warnings.warn(message, category)` at the caller's first frame outside the package."""
    frame = sys._getframe(1)
    level = 2  # warnings.warn(stacklevel=2) is the caller of warn(), frame 1 here
    while frame.f_back is not None and frame.f_globals.get("__name__", "").startswith(_PACKAGE):
        frame = frame.f_back
        level += 1
    warnings.warn(message, category, stacklevel=level)
