"""CORSMiddleware: Cross-Origin Resource Sharing, as Starlette's. Preflight requests
(`OPTIONS` with `Origin` and `Access-Control-Request-Method`) are answered here, 200 "OK" or
400 "Disallowed CORS origin, method, headers"; other requests get the CORS headers added to
whatever the app answers.

When it is an app's only middleware, it runs natively instead (`native_policy`: Rust's
`_core.Cors`, crates/fasterapi-core/src/cors), on both doors, with the same answers: the
app's calls then go through no middleware stack, and the native server keeps its short path.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Collection, Sequence
from typing import Any

from .. import _core
from ..datastructures import Headers
from ..responses import PlainTextResponse

ALL_METHODS = ("DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT", "QUERY")
#: Headers a browser sends without asking (the CORS-safelisted request headers).
SAFELISTED_HEADERS = {"Accept", "Accept-Language", "Content-Language", "Content-Type"}
_PREFLIGHT_VARY = (
    "Origin, Access-Control-Request-Method, Access-Control-Request-Headers, "
    "Access-Control-Request-Private-Network"
)


class CORSMiddleware:
    def __init__(
        self,
        app: Any,
        allow_origins: Collection[str] = (),
        allow_methods: Collection[str] = ("GET",),
        allow_headers: Collection[str] = (),
        allow_credentials: bool = False,
        allow_origin_regex: str | None = None,
        allow_private_network: bool = False,
        expose_headers: Collection[str] = (),
        max_age: int = 600,
    ) -> None:
        self.app = app
        self.allow_methods = ALL_METHODS if "*" in allow_methods else tuple(allow_methods)
        self.allow_origins = allow_origins
        self.allow_all_origins = "*" in allow_origins
        self.allow_origin_regex = re.compile(allow_origin_regex) if allow_origin_regex else None
        self.allow_all_headers = "*" in allow_headers
        headers = sorted(SAFELISTED_HEADERS | set(allow_headers))
        self.allow_headers = [h.lower() for h in headers]
        self.allow_credentials = allow_credentials
        self.allow_private_network = allow_private_network
        #: With credentials, `*` is not allowed: the request's own origin is sent back.
        self.preflight_explicit_allow_origin = not self.allow_all_origins or allow_credentials

        simple: dict[str, str] = {}
        if self.allow_all_origins:
            simple["Access-Control-Allow-Origin"] = "*"
        if allow_credentials:
            simple["Access-Control-Allow-Credentials"] = "true"
        if expose_headers:
            simple["Access-Control-Expose-Headers"] = ", ".join(expose_headers)
        self.simple_headers = simple
        self._simple_pairs = {k.lower().encode(): v.encode("latin-1") for k, v in simple.items()}

        preflight = {"Vary": _PREFLIGHT_VARY}
        if not self.preflight_explicit_allow_origin:
            preflight["Access-Control-Allow-Origin"] = "*"
        preflight["Access-Control-Allow-Methods"] = ", ".join(self.allow_methods)
        preflight["Access-Control-Max-Age"] = str(max_age)
        if not self.allow_all_headers:
            preflight["Access-Control-Allow-Headers"] = ", ".join(headers)
        if allow_credentials:
            preflight["Access-Control-Allow-Credentials"] = "true"
        self.preflight_headers = preflight

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        headers = Headers(scope=scope)
        origin = headers.get("origin")
        if (
            origin is not None
            and scope["method"] == "OPTIONS"
            and "access-control-request-method" in headers
        ):
            return await self.preflight_response(headers)(scope, receive, send)

        async def send_with_cors(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                self._add_simple_headers(message, origin)
            await send(message)

        await self.app(scope, receive, send_with_cors)

    def is_allowed_origin(self, origin: str) -> bool:
        if self.allow_all_origins:
            return True
        if self.allow_origin_regex is not None and self.allow_origin_regex.fullmatch(origin):
            return True
        return origin in self.allow_origins

    def preflight_response(self, request_headers: Headers) -> PlainTextResponse:
        origin = request_headers["origin"]
        headers = dict(self.preflight_headers)
        failures = []
        if self.is_allowed_origin(origin):
            if self.preflight_explicit_allow_origin:
                headers["Access-Control-Allow-Origin"] = origin
        else:
            failures.append("origin")
        if request_headers["access-control-request-method"] not in self.allow_methods:
            failures.append("method")
        requested = request_headers.get("access-control-request-headers")
        if self.allow_all_headers and requested is not None:
            headers["Access-Control-Allow-Headers"] = requested  # mirrored back
        elif requested is not None:
            if any(h.strip() not in self.allow_headers for h in requested.lower().split(",")):
                failures.append("headers")
        if request_headers.get("access-control-request-private-network") is not None:
            if self.allow_private_network:
                headers["Access-Control-Allow-Private-Network"] = "true"
            else:
                failures.append("private-network")
        if failures:
            text = "Disallowed CORS " + ", ".join(failures)
            return PlainTextResponse(text, status_code=400, headers=headers)
        return PlainTextResponse("OK", status_code=200, headers=headers)

    def _add_simple_headers(self, message: dict[str, Any], origin: str | None) -> None:
        """Adds the CORS headers to a response's start message (raw pairs, as they go out):
        the simple headers when the request has an Origin, that origin itself where it must be
        named, and `Origin` to Vary."""
        raw = message.get("headers", ())
        vary = [v for k, v in raw if k == b"vary"]
        added: dict[bytes, bytes] = {}
        if origin is not None:
            added.update(self._simple_pairs)
            if (self.allow_all_origins and self.allow_credentials) or (
                not self.allow_all_origins and self.is_allowed_origin(origin)
            ):
                added[b"access-control-allow-origin"] = origin.encode("latin-1")
        added[b"vary"] = b", ".join([*vary, b"Origin"])
        message["headers"] = [(k, v) for k, v in raw if k not in added] + list(added.items())


def native_policy(args: Sequence[Any], kwargs: dict[str, Any]) -> _core.Cors:
    """The policy of `CORSMiddleware(app, *args, **kwargs)`, to run natively; a TypeError
    names a keyword CORSMiddleware does not take, as constructing it would."""
    bound = inspect.signature(CORSMiddleware).bind(None, *args, **kwargs)
    bound.apply_defaults()
    options = bound.arguments
    regex = options["allow_origin_regex"]
    return _core.Cors(
        list(options["allow_origins"]),
        list(options["allow_methods"]),
        list(options["allow_headers"]),
        bool(options["allow_credentials"]),
        bool(options["allow_private_network"]),
        list(options["expose_headers"]),
        int(options["max_age"]),
        re.compile(regex) if regex else None,
    )
