"""StaticFiles: an ASGI app serving the files of a folder (or of packages' `statics`
folders), to mount: `app.mount("/static", StaticFiles(directory="static"), name="static")`.
Files go out as FileResponse (ETag, 304, ranges); a path that leaves the folder, a missing
file or a folder is a 404, and any method but GET and HEAD a 405. With `html=True` a folder
serves its index.html and a missing page the folder's 404.html, as a static site host does."""

from __future__ import annotations

import errno
import importlib.util
import os
import stat
from collections.abc import Sequence
from typing import Any

from .concurrency import run_in_threadpool
from .exceptions import HTTPException
from .requests import HTTPConnection
from .responses import FileResponse, JSONResponse, RedirectResponse


class StaticFiles:
    def __init__(
        self,
        *,
        directory: str | os.PathLike[str] | None = None,
        packages: Sequence[str | tuple[str, str]] | None = None,
        html: bool = False,
        check_dir: bool = True,
        follow_symlink: bool = False,
    ) -> None:
        self.directory = directory
        self.html = html
        self.follow_symlink = follow_symlink
        self.all_directories = self._directories(directory, packages)
        if check_dir and directory is not None and not os.path.isdir(directory):
            raise RuntimeError(f"Directory '{directory}' does not exist")

    @staticmethod
    def _directories(
        directory: str | os.PathLike[str] | None, packages: Sequence[str | tuple[str, str]] | None
    ) -> list[str]:
        """The folders looked in, in order: `directory`, then each package's folder
        (`"pkg"` means its `statics` folder, `("pkg", "assets")` another one)."""
        found = [os.fspath(directory)] if directory is not None else []
        for package in packages or []:
            name, folder = (package, "statics") if isinstance(package, str) else package
            spec = importlib.util.find_spec(name)
            if spec is None or spec.origin is None:
                raise RuntimeError(f"Package {name!r} could not be found.")
            path = os.path.join(os.path.dirname(spec.origin), folder)
            if not os.path.isdir(path):
                raise RuntimeError(f"Directory '{folder}' in package {name!r} could not be found.")
            found.append(path)
        return found

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            raise RuntimeError("StaticFiles serves HTTP requests only")
        if scope["method"] not in ("GET", "HEAD"):
            response: Any = JSONResponse(
                {"detail": "Method Not Allowed"}, status_code=405, headers={"Allow": "GET, HEAD"}
            )
        else:
            response = await self.get_response(self.get_path(scope), scope)
        await response(scope, receive, send)

    def get_path(self, scope: dict[str, Any]) -> str:
        """The path asked for inside the mount, as a relative file-system path."""
        path = scope["path"]
        root = scope.get("root_path", "")
        if root and path.startswith(root):
            path = path[len(root) :]
        return os.path.normpath(os.path.join(*path.split("/")))

    async def get_response(self, path: str, scope: dict[str, Any]) -> Any:
        full_path, result = await run_in_threadpool(self.lookup_path, path)
        if result is not None and stat.S_ISREG(result.st_mode):
            return FileResponse(full_path, stat_result=result)
        if result is not None and stat.S_ISDIR(result.st_mode) and self.html:
            index, index_result = await run_in_threadpool(
                self.lookup_path, os.path.join(path, "index.html")
            )
            if index_result is not None and stat.S_ISREG(index_result.st_mode):
                if not scope["path"].endswith("/"):  # so that relative links work
                    # An absolute URL: a path such as //evil.com/.. must not become a
                    # Location that browsers read as another host.
                    url = HTTPConnection(scope).url
                    return RedirectResponse(url.replace(path=url.path + "/"), status_code=307)
                return FileResponse(index, stat_result=index_result)
        if self.html:
            page, page_result = await run_in_threadpool(self.lookup_path, "404.html")
            if page_result is not None and stat.S_ISREG(page_result.st_mode):
                return FileResponse(page, stat_result=page_result, status_code=404)
        return JSONResponse({"detail": "Not Found"}, status_code=404)

    def lookup_path(self, path: str) -> tuple[str, os.stat_result | None]:
        """The first file (or folder) at `path` in the folders, and its stat; nothing for a
        path that leads outside them (`..`, or a symlink unless follow_symlink)."""
        if path.startswith(("..", os.sep)) or os.path.isabs(path) or "\0" in path:
            return "", None
        for directory in self.all_directories:
            joined = os.path.join(directory, path)
            if self.follow_symlink:
                full_path = os.path.abspath(joined)
                base = os.path.abspath(directory)
            else:
                full_path = os.path.realpath(joined)
                base = os.path.realpath(directory)
            if os.path.commonpath([full_path, base]) != base:
                continue
            try:
                return full_path, os.stat(full_path)
            except (FileNotFoundError, NotADirectoryError):
                continue
            except OSError:  # a name too long for the file system, say
                continue
        return "", None


def _accepted_media_types(accept: str) -> list[tuple[str, float]]:
    """The media types of an Accept header with their quality (1.0 when not given or not a
    number)."""
    found = []
    for item in accept.split(","):
        media_type, *params = (part.strip() for part in item.split(";"))
        quality = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = float(value.strip())
                except ValueError:
                    pass
        found.append((media_type.lower(), quality))
    return found


def is_navigation_request(scope: dict[str, Any]) -> bool:
    """Whether the request is a browser's page navigation: it accepts text/html (or XHTML)
    explicitly, with a quality above 0 (`*/*` alone is not enough)."""
    accept = HTTPConnection(scope).headers.get("accept", "")
    return any(
        media_type in ("text/html", "application/xhtml+xml") and quality != 0
        for media_type, quality in _accepted_media_types(accept)
    )


class FrontendStaticFiles(StaticFiles):
    """The files of a frontend build (`app.frontend()`, FasterAPI.routing.FrontendRoute): a
    file, or a folder's index.html; for anything else the `fallback` page, as FastAPI 0.165
    serves it. Answers through HTTPException (404, 405, 401 for a file it may not read), so
    the app's exception handlers word the errors."""

    def __init__(
        self,
        *,
        directory: str | os.PathLike[str],
        fallback: str | None = "auto",
        check_dir: bool = True,
    ) -> None:
        if fallback not in ("auto", "index.html", "404.html", None):
            raise AssertionError("fallback must be 'auto', 'index.html', '404.html', or None")
        self.fallback = fallback
        self.directory = directory
        if check_dir:
            self._check_directory()
        super().__init__(directory=directory, html=True, check_dir=check_dir)
        #: The directory is known to exist.
        self.checked = check_dir
        if check_dir and fallback in ("index.html", "404.html"):
            _, result = self.lookup_path(fallback)
            if result is None or not stat.S_ISREG(result.st_mode):
                raise RuntimeError(self._missing_fallback(fallback))

    def _check_directory(self) -> None:
        if not os.path.isdir(self.directory or ""):
            raise RuntimeError(
                f"Frontend directory '{self.directory}' does not exist. "
                f"Resolved absolute path: '{os.path.realpath(self.directory or '')}'"
            )

    def _missing_fallback(self, fallback: str) -> str:
        return (
            f"Frontend fallback file '{fallback}' does not exist in directory "
            f"'{self.directory}'. Resolved absolute directory: "
            f"'{os.path.realpath(self.directory or '')}'"
        )

    async def _lookup(self, path: str) -> tuple[str, os.stat_result | None]:
        """lookup_path in a worker thread; a file it may not read is a 401, a path it cannot
        look up (too long, say) a 404."""
        try:
            return await run_in_threadpool(self.lookup_path, path)
        except PermissionError:
            raise HTTPException(401) from None
        except ValueError:
            raise HTTPException(404) from None
        except OSError as exc:
            if exc.errno == errno.ENAMETOOLONG:
                raise HTTPException(404) from None
            raise

    async def lookup_static_resource(
        self, frontend_path: str
    ) -> tuple[str, os.stat_result, bool] | None:
        """The file for `frontend_path` (the path inside the frontend), its stat and whether
        it is a folder's index.html; None if there is none."""
        if not self.checked:  # check_dir=False: checked on the first request instead
            self._check_directory()
            self.checked = True
        path = os.path.normpath(os.path.join(*frontend_path.split("/")))
        full_path, result = await self._lookup(path)
        if result is None:
            return None
        if stat.S_ISREG(result.st_mode):
            return full_path, result, False
        if stat.S_ISDIR(result.st_mode):
            full_path, result = await self._lookup(os.path.join(path, "index.html"))
            if result is not None and stat.S_ISREG(result.st_mode):
                return full_path, result, True
        return None

    async def get_response_for_path(self, frontend_path: str, scope: dict[str, Any]) -> Any:
        """The response to a GET or HEAD of `frontend_path`: the file, a redirect to the
        folder's URL with its '/', or the fallback; HTTPException(404) when there is none."""
        found = await self.lookup_static_resource(frontend_path)
        if found is not None:
            full_path, result, is_index = found
            if is_index and not scope["path"].endswith("/"):
                url = HTTPConnection(scope).url
                return RedirectResponse(url.replace(path=url.path + "/"), status_code=307)
            return FileResponse(full_path, stat_result=result)
        fallback = self.fallback
        if fallback == "404.html" or (fallback == "auto" and await self._is_file("404.html")):
            return await self._fallback_response("404.html", 404)
        if fallback == "index.html" or (fallback == "auto" and await self._is_file("index.html")):
            if is_navigation_request(scope):
                return await self._fallback_response("index.html", 200)
        raise HTTPException(404)

    async def _is_file(self, name: str) -> bool:
        _, result = await run_in_threadpool(self.lookup_path, name)
        return result is not None and stat.S_ISREG(result.st_mode)

    async def _fallback_response(self, name: str, status_code: int) -> Any:
        full_path, result = await run_in_threadpool(self.lookup_path, name)
        if result is None or not stat.S_ISREG(result.st_mode):
            raise RuntimeError(self._missing_fallback(name))
        return FileResponse(full_path, stat_result=result, status_code=status_code)
