"""StaticFiles: an ASGI app serving the files of a folder (or of packages' `statics`
folders), to mount: `app.mount("/static", StaticFiles(directory="static"), name="static")`.
Files go out as FileResponse (ETag, 304, ranges); a path that leaves the folder, a missing
file or a folder is a 404, and any method but GET and HEAD a 405. With `html=True` a folder
serves its index.html and a missing page the folder's 404.html, as a static site host does."""

from __future__ import annotations

import importlib.util
import os
import stat
from collections.abc import Sequence
from typing import Any

from .concurrency import run_in_threadpool
from .requests import HTTPConnection
from .responses import JSONResponse, RedirectResponse
from .streaming import FileResponse


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
