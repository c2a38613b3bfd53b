"""pytest plugin for `make compat`: runs FastAPI's test suite on FasterAPI's drop-in mode.

- `FasterAPI.compat.install()` before the suite imports anything, so `import fastapi` gives
  FasterAPI (with `--real`, `FASTERAPI_COMPAT_REAL=1`, the real FastAPI is left alone).
- Each test gets 30 s: one that never ends (a stream that cannot be cancelled) fails alone
  instead of sinking the run.
- A `filterwarnings` mark naming a warning class that does not exist would abort the whole
  session (INTERNALERROR); such a mark filters a class that never fires instead.
"""

from __future__ import annotations

import os
import signal

import _pytest.config
import pytest

if os.environ.get("FASTERAPI_COMPAT_REAL") != "1":
    import FasterAPI.compat

    FasterAPI.compat.install()

TIME_LIMIT = 30
_resolve = _pytest.config._resolve_warning_category


def _tolerant_category(category: str) -> type[Warning]:
    try:
        return _resolve(category)
    except Exception:
        return type("Unresolvable", (Warning,), {})


_pytest.config._resolve_warning_category = _tolerant_category


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item: pytest.Item):
    def expire(signum: int, frame: object) -> None:
        raise TimeoutError(f"{item.nodeid} ran over {TIME_LIMIT} s")

    old = signal.signal(signal.SIGALRM, expire)
    signal.alarm(TIME_LIMIT)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)
