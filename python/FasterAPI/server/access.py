"""The native server's access log (`AccessLog`): one record per answered request on the
"fasterapi.access" logger, whose message is uvicorn's access line by default, or the
`--access-log-format` the operator gave; its fields are the record's attributes as well, for a
structured formatter (FasterAPI.logger.JSONFormatter)."""

from __future__ import annotations

import http
import logging
import re
import time
from typing import Any
from urllib.parse import quote

access_logger = logging.getLogger("fasterapi.access")

#: The fields `--access-log-format` may name (`%(name)s`), and what each holds. The first
#: three are uvicorn's AccessFormatter's names.
FIELDS = {
    "client_addr": "the client's address and port (127.0.0.1:50312), or -",
    "client": "the same as client_addr",
    "request_line": "the request line: GET /items?q=1 HTTP/1.1",
    "status_code": "the status and its reason phrase: 200 OK",
    "method": "the request method",
    "path": "the path, percent-encoded",
    "query": "the query string, as sent",
    "http_version": "1.1 or 1.0",
    "status": "the status, a number",
    "bytes": "the bytes of the response body sent",
    "duration_ms": "milliseconds from reading the request to writing the last of the response",
}
_FIELD = re.compile(r"%\((\w+)\)")


def format_problem(fmt: str) -> str | None:
    """What is wrong with an `--access-log-format`, or None: a field it names that is not
    one of FIELDS, or a format `%` cannot apply to the fields."""
    for name in _FIELD.findall(fmt):
        if name not in FIELDS:
            return f"unknown field {name!r}; the fields are {', '.join(FIELDS)}"
    # each field as the type it has (duration_ms a float: `%(duration_ms)x` cannot take it)
    sample = {name: "" for name in FIELDS} | {"status": 200, "bytes": 0, "duration_ms": 0.5}
    try:
        fmt % sample
    except (TypeError, ValueError, KeyError) as exc:
        return f"not a %-format of named fields ({exc}); e.g. '%(client_addr)s %(status)d'"
    return None


class AccessLog:
    """Writes the access records of one server; `fmt` is its `--access-log-format` (None for
    uvicorn's lines). No request can put a line break, a terminal escape or a quote in a line:
    paths and queries are written percent-encoded (`log_path`, `log_query`)."""

    def __init__(self, fmt: str | None = None) -> None:
        self.fmt = fmt

    def request(
        self,
        client: tuple[str, int] | None,
        method: str,
        path: str,
        query: bytes,
        minor: int,
        status: int,
        body_bytes: int,
        started: float,
    ) -> None:
        """The record of an answered request: `path` is decoded, `started` the
        `time.perf_counter()` its bytes were read at."""
        if access_logger.isEnabledFor(logging.INFO):
            target = _target(path, query)
            self._write(
                client,
                method,
                path,
                query,
                f"1.{minor}",
                status,
                body_bytes,
                started,
                f"{method} {target} HTTP/1.{minor}",
            )

    def websocket(self, client: Any, path: str, query: bytes, status: int, started: float) -> None:
        """The record of a WebSocket handshake's answer (101, or a refusal): uvicorn's line
        is `"WebSocket /path" 101`; its method is `WebSocket`."""
        if access_logger.isEnabledFor(logging.INFO):
            line = f"WebSocket {_target(path, query)}"
            self._write(client, "WebSocket", path, query, "1.1", status, 0, started, line)

    def rejected(self, client: Any, status: int, started: float) -> None:
        """The record of a request the server refused before it could read it (a 4xx for a
        malformed head, say): uvicorn's line is `"- - -" 400`; its method and path are `-`."""
        if access_logger.isEnabledFor(logging.INFO):
            self._write(client, "-", "-", b"", "-", status, 0, started, "- - -")

    def _write(
        self,
        client: Any,
        method: str,
        path: str,
        query: bytes,
        version: str,
        status: int,
        body_bytes: int,
        started: float,
        request_line: str,
    ) -> None:
        address = client_text(client)
        fields = {
            "client": address,
            "method": method,
            "path": log_path(path),
            "query": log_query(query),
            "http_version": version,
            "status": status,
            "bytes": body_bytes,
            "duration_ms": round((time.perf_counter() - started) * 1000, 3),
        }
        if self.fmt is None:
            _emit('%s - "%s" %d', (address, request_line, status), fields)
            return
        values = {
            **fields,
            "client_addr": address,
            "request_line": request_line,
            "status_code": f"{status} {_phrase(status)}".rstrip(),
        }
        _emit("%s", (self.fmt % values,), fields)


def _emit(msg: str, args: tuple[Any, ...], fields: dict[str, Any]) -> None:
    """`access_logger.info(msg, *args, extra=fields)` (its caller checked the level), without
    the stack walk `info` takes to find the line that called it (a fifth of a record's cost):
    every access record comes from here."""
    record = access_logger.makeRecord(
        access_logger.name, logging.INFO, __file__, _LINE, msg, args, None, "_emit", fields
    )
    access_logger.handle(record)


_LINE = _emit.__code__.co_firstlineno


def _target(path: str, query: bytes) -> str:
    query_text = log_query(query)
    return log_path(path) + ("?" + query_text if query_text else "")


def _phrase(status: int) -> str:
    try:
        return http.HTTPStatus(status).phrase
    except ValueError:
        return ""


#: What `log_path` writes as it is: the printable ASCII characters a browser (or httpx) does
#: not percent-encode in a path (WHATWG URL's path percent-encode set), but "%" (a decoded
#: path's "%" was sent as "%25").
_PATH_SAFE = "".join(chr(c) for c in range(0x21, 0x7F) if chr(c) not in '"#%<>?`{}')
_PLAIN_PATH = re.compile(f"[{re.escape(_PATH_SAFE)}]*")
#: A query byte `log_query` percent-encodes: not printable ASCII, or '"'.
_QUERY_UNSAFE = re.compile(rb"[^\x21\x23-\x7e]")


def log_path(path: str) -> str:
    """A (decoded) request path as the access log writes it: percent-encoded again as a
    browser sends it, so as uvicorn logs the path such a client sent (its raw path, a '"'
    written %22); a line break, an escape or any other control character, a space, a quote,
    a non-ASCII character (as UTF-8) and "%" are written %XX."""
    if _PLAIN_PATH.fullmatch(path):  # (most paths: no copy)
        return path
    return quote(path, safe=_PATH_SAFE, errors="backslashreplace")


def log_query(query: bytes) -> str:
    """A query string as the access log writes it: as it was sent (as uvicorn logs it), but
    a byte that is not printable ASCII, or a '"', written %XX."""
    if not query:
        return ""
    if _QUERY_UNSAFE.search(query) is not None:
        query = _QUERY_UNSAFE.sub(_percent_encoded, query)
    return query.decode("ascii")


def _percent_encoded(match: re.Match[bytes]) -> bytes:
    return b"%%%02X" % match[0][0]


def client_text(client: tuple[str, int] | None) -> str:
    return f"{client[0]}:{client[1]}" if client else "-"
