"""Drop-in mode: `import fastapi` (and every public `fastapi.X` module) gives FasterAPI, so
that a FastAPI app runs on FasterAPI with no edit at all.

    import FasterAPI.compat
    FasterAPI.compat.install()   # before the app imports fastapi
    import main                  # `from fastapi import FastAPI` is FasterAPI's now

`fasterapi run --fastapi main:app` (and `dev`) do this before importing the app, in every
worker. `fastapi.X` is the module `FasterAPI.X`, the same object under both names, so a plugin
that patches `fastapi.routing.APIRoute` patches FasterAPI's. FastAPI's private modules that
apps and plugins import (`fastapi._compat`, for its version flags) come from
`FasterAPI._dropin`. As in FastAPI, routes made from then on run `def` endpoints and `def`
dependencies in the thread pool (routing.SYNC_IN_THREADPOOL; `threadpool=False` on a route
keeps it on the loop). See docs/migrating-from-fastapi.md for what differs.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import sys
from types import ModuleType

from . import routing

#: FastAPI module names served by another FasterAPI module than `FasterAPI.<same name>`.
RENAMED = {
    "fastapi._compat": "FasterAPI._dropin._compat",
    "fastapi._compat.shared": "FasterAPI._dropin._compat",
    "fastapi._compat.v2": "FasterAPI._dropin._compat",
}


def target(name: str) -> str | None:
    """The FasterAPI module that serves the FastAPI module `name`, or None if `name` is not
    FastAPI's."""
    if name in RENAMED:
        return RENAMED[name]
    if name == "fastapi" or name.startswith("fastapi."):
        return "FasterAPI" + name[len("fastapi") :]
    return None


class _FastAPIAlias(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Finds `fastapi` and `fastapi.X` and loads them as the FasterAPI modules serving them."""

    def find_spec(
        self, name: str, path: object = None, target_module: object = None
    ) -> importlib.machinery.ModuleSpec | None:
        real = target(name)
        if real is None:
            return None
        try:
            module = importlib.import_module(real)
        except ModuleNotFoundError as exc:
            if exc.name != real:  # the module exists, but something it imports does not
                raise
            return None  # no such module: `import fastapi.X` fails as it would
        is_package = hasattr(module, "__path__")
        return importlib.util.spec_from_loader(name, self, is_package=is_package)

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType:
        module = sys.modules[target(spec.name) or spec.name]
        spec.loader_state = module.__spec__  # the import system replaces it: see exec_module
        return module

    def exec_module(self, module: ModuleType) -> None:
        """Nothing to run, the FasterAPI module is imported already; only its own spec is
        put back (the import system gave it the alias's)."""
        alias_spec = module.__spec__
        module.__spec__ = alias_spec.loader_state if alias_spec is not None else None


_ALIAS = _FastAPIAlias()


def install() -> None:
    """Makes `import fastapi` and `import fastapi.X` give FasterAPI's modules from now on.

    Call it before anything imports fastapi. If the real FastAPI was imported already, the
    modules imported so far would keep it: a RuntimeError says so rather than mixing both."""
    if _ALIAS in sys.meta_path:
        return
    real = sys.modules.get("fastapi")
    if real is not None and not real.__name__.startswith("FasterAPI"):
        raise RuntimeError(
            "FastAPI was imported before FasterAPI.compat.install(): call install() first "
            "(or use `fasterapi run --fastapi`), so that the app's `import fastapi` gets FasterAPI"
        )
    sys.meta_path.insert(0, _ALIAS)
    routing.SYNC_IN_THREADPOOL = True


def uninstall() -> None:
    """Undoes install(): `import fastapi` finds the real FastAPI (if installed) again."""
    routing.SYNC_IN_THREADPOOL = False
    if _ALIAS in sys.meta_path:
        sys.meta_path.remove(_ALIAS)
    for name in [name for name in sys.modules if target(name) is not None]:
        module = sys.modules[name]
        if module.__name__ != name:  # an alias of ours, not the real FastAPI's module
            del sys.modules[name]


def installed() -> bool:
    """Whether `import fastapi` gives FasterAPI."""
    return _ALIAS in sys.meta_path
