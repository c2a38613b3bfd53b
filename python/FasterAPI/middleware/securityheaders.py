"""SecurityHeadersMiddleware: the response headers most apps add by hand for browsers'
protections (`X-Content-Type-Options`, `X-Frame-Options`, `Referrer-Policy`, ...), added to
every HTTP response that does not set that header itself. FastAPI has no such middleware;
the headers and their defaults are those of common practice (helmet's, mostly). The native
server adds them itself to the responses of native routes (no ASGI round trip)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .. import _core


class SecurityHeadersMiddleware:
    """Adds each header below to every HTTP response that has no header of that name (a
    route's own value wins); None leaves one out. `headers` adds others. A name the server or
    another middleware owns (Content-Type, Vary, Access-Control-*, Set-Cookie...), a name
    given twice or a value with a control character is a ValueError that names it.

    `strict_transport_security` is off by default: set it (for example
    `"max-age=31536000; includeSubDomains"`) when the app is only reached over HTTPS.
    `content_security_policy` is off by default too: a policy is the app's own (the
    interactive docs at `/docs` load their assets from a CDN)."""

    def __init__(
        self,
        app: Any,
        *,
        content_type_options: str | None = "nosniff",
        frame_options: str | None = "SAMEORIGIN",
        referrer_policy: str | None = "strict-origin-when-cross-origin",
        cross_origin_opener_policy: str | None = "same-origin",
        strict_transport_security: str | None = None,
        content_security_policy: str | None = None,
        permissions_policy: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        self.app = app
        named = {
            "X-Content-Type-Options": content_type_options,
            "X-Frame-Options": frame_options,
            "Referrer-Policy": referrer_policy,
            "Cross-Origin-Opener-Policy": cross_origin_opener_policy,
            "Strict-Transport-Security": strict_transport_security,
            "Content-Security-Policy": content_security_policy,
            "Permissions-Policy": permissions_policy,
        }
        pairs = [(name, value) for name, value in named.items() if value is not None]
        pairs += list((headers or {}).items())
        for name, value in pairs:
            if not isinstance(name, str) or not isinstance(value, str):
                raise TypeError(f"security header {name!r}: {value!r} is not a str")
        #: The headers, checked (what the native server applies too).
        self.policy = _core.SecurityHeaders(pairs)

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        await self.app(scope, receive, secured(self.policy, send))


def secured(policy: _core.SecurityHeaders, send: Any) -> Any:
    """`send`, with `policy`'s missing headers added to the response's start."""

    async def send_secured(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            message["headers"] = policy.apply(message.get("headers") or [])
        await send(message)

    return send_secured
