"""Reading a request's Host header safely: only a well-formed host (a name of the characters
RFC 3986 allows, or a bracketed IP literal) and port count; anything else (`evil.com/x`,
`a:b:c`) is treated as no Host at all, so it never reaches a URL, a redirect or a host
check."""

from __future__ import annotations

import re
from ipaddress import AddressValueError, IPv6Address
from typing import Any

_HOST = re.compile(
    r"(?P<host>[a-z0-9._~%!$&'()*+,;=-]+|\[(?P<literal>[a-z0-9.:]+)\])(?::(?P<port>[0-9]{1,5}))?",
    re.IGNORECASE,
)


def parse_host(header: str | None) -> tuple[str, int | None] | None:
    """(host, port) of a Host header (an IPv6 host keeps its brackets); None when there is no
    header or it is malformed (bad characters, an invalid IPv6 literal, a port over 65535)."""
    if not header:
        return None
    match = _HOST.fullmatch(header)
    if match is None:
        return None
    literal = match["literal"]
    if literal is not None:
        try:
            IPv6Address(literal)
        except AddressValueError:
            return None
    port = match["port"]
    if port is not None and int(port) > 65535:
        return None
    return match["host"], int(port) if port is not None else None


def request_netloc(scope: dict[str, Any], host_header: str | None) -> str:
    """The `host[:port]` a request's URL is built with: its Host header when well-formed,
    else the server's own address (empty if that is unknown too)."""
    parsed = parse_host(host_header)
    if parsed is not None:
        host, port = parsed
        return host if port is None else f"{host}:{port}"
    server = scope.get("server")
    if not server:
        return ""
    host, port = server
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"
    default = 443 if scope.get("scheme") in ("https", "wss") else 80
    return host if port in (default, None) else f"{host}:{port}"
