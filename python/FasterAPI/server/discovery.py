"""Finding the app to serve, as fastapi-cli does: from an import string (`main:app`), a path to
a .py file or package, or a default file (main.py, app.py, ...); and the `module:attr` under
which worker and reload processes import it again."""

from __future__ import annotations

import dataclasses
import importlib
import inspect
import logging
import os
import sys
import traceback
from collections.abc import Iterator
from pathlib import Path
from types import FrameType, ModuleType
from typing import Any

from ..applications import Faster

logger = logging.getLogger("fasterapi")

#: Where `fasterapi run` looks for the app when no PATH is given, in this order.
DEFAULT_FILES = ("main.py", "app.py", "api.py", "app/main.py", "app/app.py", "app/api.py")


#: Variable names tried, in order, before the first `Faster` instance in the module.
PREFERRED_APP_NAMES = ("app", "api")


class UsageError(ValueError):
    """A user mistake (bad option, missing file, no app): one line on stderr and exit code 1."""


@dataclasses.dataclass(frozen=True)
class AppImport:
    """Where an app lives: `module:attr`, imported with `directory` first on sys.path.

    Calling it imports the module and returns the app. It pickles, so spawned worker and reload
    processes receive it and import the app again themselves.
    """

    module: str
    attr: str
    directory: str | None = None
    #: Import it in the drop-in mode (`--fastapi`): `import fastapi` gives FasterAPI.
    fastapi: bool = False

    def __str__(self) -> str:
        return f"{self.module}:{self.attr}"

    def __call__(self) -> Any:
        if self.fastapi:
            from .. import compat

            compat.install()
        return app_attribute(import_app_module(self.module, self.directory), self.module, self.attr)


def load_import_string(import_string: str) -> Any:
    """The app named by `module:attr`, imported with the current directory on sys.path."""
    module, attr = split_import_string(import_string)
    if attr is None:
        raise UsageError(f"Import string {import_string!r} must be in the form 'module:attr'")
    return AppImport(module, attr, os.getcwd())()


def split_import_string(text: str) -> tuple[str, str | None]:
    """`module:attr` (or a bare `module`) as its two parts; the attr is None when absent."""
    module, colon, attr = text.partition(":")
    if not module or (colon and not attr):
        raise UsageError(f"Import string {text!r} must be in the form 'module:attr'")
    return module, attr or None


def find_app(
    path: str | None, app_name: str | None, cwd: Path, *, fastapi: bool = False
) -> tuple[AppImport, Any]:
    """What `fasterapi run [PATH] [--app NAME] [--fastapi]` serves: where the app lives, and
    the app. With `fastapi`, the app's `import fastapi` gives FasterAPI (FasterAPI.compat)."""
    if fastapi:
        from .. import compat

        compat.install()
    module_name, attr, directory = locate_module(path, cwd)
    if attr and app_name and attr != app_name:
        raise UsageError(f"Both {path!r} and --app {app_name} name the app; give only one")
    module = import_app_module(module_name, directory)
    attr = attr or app_name or discover_app_name(module, module_name)
    target = AppImport(module_name, attr, str(directory), fastapi)
    return target, app_attribute(module, module_name, attr)


def locate_module(path: str | None, cwd: Path) -> tuple[str, str | None, Path]:
    """The module to import, the app attr if PATH names one, and the directory for sys.path."""
    if path is None:
        return module_for_file(default_file(cwd))
    candidate = cwd / path
    if candidate.exists():
        return module_for_file(candidate)
    file, colon, attr = path.rpartition(":")
    if colon and file and attr and (cwd / file).exists():  # path/to/main.py:app
        module, _, directory = module_for_file(cwd / file)
        return module, attr, directory
    if path.endswith(".py") or os.sep in path or "/" in path:
        raise UsageError(f"Path does not exist: {path}")
    module_name, app_name = split_import_string(path)
    return module_name, app_name, cwd


def default_file(cwd: Path) -> Path:
    """The first of DEFAULT_FILES that exists under `cwd`."""
    for name in DEFAULT_FILES:
        if (cwd / name).is_file():
            return cwd / name
    raise UsageError("Could not find a default file to run, please provide an explicit path")


def module_for_file(path: Path) -> tuple[str, None, Path]:
    """The dotted module name of a .py file or package directory, and the top-most directory
    above it that is not a package (what goes on sys.path), as fastapi-cli computes them."""
    path = path.resolve()
    if path.is_dir():
        if not (path / "__init__.py").is_file():
            raise UsageError(f"{path} is a directory without __init__.py, not a Python package")
        parts = [path.name]
    elif path.suffix != ".py":
        raise UsageError(f"{path} is not a Python file (.py)")
    elif path.name == "__init__.py":
        path = path.parent
        parts = [path.name]
    else:
        parts = [path.stem]
    directory = path.parent
    while (directory / "__init__.py").is_file():
        parts.insert(0, directory.name)
        directory = directory.parent
    return ".".join(parts), None, directory


def import_app_module(name: str, directory: str | Path | None) -> ModuleType:
    """Import module `name` with `directory` first on sys.path; errors become one line."""
    if directory is not None and (not sys.path or sys.path[0] != str(directory)):
        sys.path.insert(0, str(directory))
    importlib.invalidate_caches()
    try:
        return importlib.import_module(name)
    except Exception as exc:
        logger.debug("Importing %s failed", name, exc_info=True)
        raise UsageError(f"Could not import module {name!r}: {describe_import_error(exc)}") from exc


def describe_import_error(exc: Exception) -> str:
    """One line for an exception raised while importing: what and where."""
    if isinstance(exc, ModuleNotFoundError) and exc.name == "fastapi":
        return f"{type(exc).__name__}: {exc} (to serve a FastAPI app unchanged, add --fastapi)"
    if isinstance(exc, SyntaxError | ModuleNotFoundError):
        return f"{type(exc).__name__}: {exc}"  # both already say where
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if not f.filename.startswith("<")]
    where = f" ({frames[-1].filename}, line {frames[-1].lineno})" if frames else ""
    return f"{type(exc).__name__}: {exc}{where}"


def discover_app_name(module: ModuleType, module_name: str) -> str:
    """`app`, else `api`, else the first module-level `Faster` instance."""
    variables = vars(module)
    for name in PREFERRED_APP_NAMES:
        if name in variables and is_asgi_app(variables[name]):
            return name
    for name, value in variables.items():
        if isinstance(value, Faster):
            return name
    raise UsageError(
        f"Could not find a FasterAPI app in module {module_name!r}; "
        "name it 'app', pass --app NAME or use module:attr"
    )


def app_attribute(module: ModuleType, module_name: str, attr: str) -> Any:
    """`module.attr` (attr may be dotted), checked to be an ASGI app."""
    app: Any = module
    for part in attr.split("."):
        try:
            app = getattr(app, part)
        except AttributeError:
            raise UsageError(f"Could not find app {attr!r} in module {module_name!r}") from None
    if not is_asgi_app(app):
        got = f"the class {app.__name__}" if isinstance(app, type) else type(app).__name__
        raise UsageError(f"{module_name}:{attr} is not an ASGI app (got {got})")
    return app


def is_asgi_app(value: Any) -> bool:
    """Whether `value` can be called as an ASGI 3 app: `app(scope, receive, send)`."""
    if isinstance(value, Faster):
        return True
    if isinstance(value, type | ModuleType) or not callable(value):
        return False
    try:
        signature = inspect.signature(value)
    except (TypeError, ValueError):  # builtins and C callables may have none: give it a chance
        return True
    try:
        signature.bind(None, None, None)
    except TypeError:
        return False
    return True


def module_level_source(app: Any) -> AppImport | None:
    """`module:attr` under which another process can import `app` again, if there is one.

    Looks in the app's `__module__`, then the modules of the calling code, then `__main__`.
    """
    for module_name in _candidate_modules(app):
        module = sys.modules.get(module_name)
        if module is None or (module_name == "__main__" and not _main_is_reimportable(module)):
            continue
        for name, value in vars(module).items():
            if value is app and not name.startswith("__"):
                return AppImport(module_name, name)
    return None


def _candidate_modules(app: Any) -> Iterator[str]:
    own_module = getattr(app, "__module__", None)
    if isinstance(own_module, str):
        yield own_module
    frame: FrameType | None = sys._getframe(1)
    while frame is not None:
        name = frame.f_globals.get("__name__")
        if isinstance(name, str) and name.partition(".")[0] != __name__.partition(".")[0]:
            yield name
        frame = frame.f_back
    yield "__main__"


def _main_is_reimportable(module: ModuleType) -> bool:
    """Whether spawned processes can run `__main__` again: a script or `python -m` module."""
    spec = getattr(module, "__spec__", None)
    return getattr(spec, "name", None) is not None or getattr(module, "__file__", None) is not None


def module_root(module: ModuleType) -> Path:
    """The directory holding `module`'s top-level package (what reload watches)."""
    file = getattr(module, "__file__", None)
    directory = Path(file).resolve().parent if file else Path.cwd()
    while (directory / "__init__.py").is_file():
        directory = directory.parent
    return directory
