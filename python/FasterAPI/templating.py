"""Jinja2Templates: HTML pages from Jinja2 templates (the `jinja2` extra), as in FastAPI:
`templates.TemplateResponse(request, "item.html", {"item": item})`. Templates get the
`request` and a `url_for(name, **path_params)` function for links to routes and mounted
static files. Rendering runs on the event loop: keep templates free of blocking calls."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from .requests import Request
from .responses import HTMLResponse

try:
    import jinja2
except ImportError:  # pragma: no cover - an optional extra
    jinja2 = None  # type: ignore[assignment]


class _TemplateResponse(HTMLResponse):
    """The rendered page, keeping the template and its context (tests read them)."""

    def __init__(
        self,
        template: Any,
        context: dict[str, Any],
        status_code: int = 200,
        headers: Mapping[str, str] | None = None,
        media_type: str | None = None,
        background: Any = None,
    ) -> None:
        self.template = template
        self.context = context
        super().__init__(template.render(context), status_code, headers, media_type, background)

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if "http.response.debug" in scope.get("extensions", {}):  # TestClient
            info = {"template": self.template, "context": self.context}
            await send({"type": "http.response.debug", "info": info})
        await super().__call__(scope, receive, send)


class Jinja2Templates:
    """Templates from `directory` (one or several folders), or from a jinja2 Environment
    (`env=`); `context_processors` are functions of the request whose dicts join every
    template's context."""

    def __init__(
        self,
        directory: str | os.PathLike[str] | Sequence[str | os.PathLike[str]] | None = None,
        *,
        context_processors: list[Callable[[Request], dict[str, Any]]] | None = None,
        env: Any = None,
        **env_options: Any,
    ) -> None:
        if jinja2 is None:
            raise RuntimeError("Jinja2Templates needs jinja2: pip install 'fasterapi-rs[jinja2]'")
        if (directory is None) == (env is None):
            raise ValueError("give either directory or env")
        if env is None:
            assert directory is not None  # one of the two is given
            env_options.setdefault("loader", jinja2.FileSystemLoader(directory))
            env_options.setdefault("autoescape", True)
            env = jinja2.Environment(**env_options)
        self.env = env
        self.context_processors = list(context_processors or [])
        self.env.globals.setdefault("url_for", _url_for)

    def get_template(self, name: str) -> Any:
        return self.env.get_template(name)

    def TemplateResponse(  # noqa: N802 - FastAPI's (Starlette's) name
        self,
        request: Request,
        name: str,
        context: dict[str, Any] | None = None,
        status_code: int = 200,
        headers: Mapping[str, str] | None = None,
        media_type: str | None = None,
        background: Any = None,
    ) -> _TemplateResponse:
        """The page `name` rendered with `context`, the request and the context processors'
        values. The older `TemplateResponse(name, {"request": request, ...})` works too."""
        if isinstance(request, str):  # the older call: name first, the request in context
            old_context: Any = name if isinstance(name, dict) else context or {}
            request, name, context = old_context.get("request"), request, old_context
            if request is None:
                raise ValueError('TemplateResponse(name, context) needs context["request"]')
        context = dict(context or {})
        context.setdefault("request", request)
        for processor in self.context_processors:
            context.update(processor(request))
        return _TemplateResponse(
            self.get_template(name), context, status_code, headers, media_type, background
        )


if jinja2 is not None:

    @jinja2.pass_context
    def _url_for(context: Any, name: str, /, **path_params: Any) -> Any:
        return context["request"].url_for(name, **path_params)
else:  # pragma: no cover
    _url_for = None
