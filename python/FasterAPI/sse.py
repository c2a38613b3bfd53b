"""Server-Sent Events, as FastAPI's `fastapi.sse`: EventSourceResponse (the `text/event-stream`
response class; with a generator endpoint each yielded item becomes an event) and
ServerSentEvent (an event with its `event`, `id`, `retry` and comment fields), and
format_sse_event, the wire format."""

from __future__ import annotations

from typing import Any

from .responses import EventSourceResponse as EventSourceResponse

#: Sent when a generator endpoint has yielded nothing for PING_INTERVAL seconds, so that
#: proxies keep the connection open (the SSE spec's advice).
KEEPALIVE_COMMENT = b": ping\n\n"
PING_INTERVAL = 15.0

#: An event's schema in the OpenAPI document (OpenAPI 3.2's, as FastAPI writes it).
SSE_EVENT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "data": {"type": "string"},
        "event": {"type": "string"},
        "id": {"type": "string"},
        "retry": {"type": "integer", "minimum": 0},
    },
}


class ServerSentEvent:
    """One event to yield from an EventSourceResponse endpoint. `data` is sent as JSON (a
    string too: `"hello"` goes out quoted), `raw_data` as it is; `event` names the event
    (the browser's `addEventListener(event, ...)`), `id` is what the browser sends back as
    Last-Event-ID when it reconnects, `retry` its reconnection delay in milliseconds, and
    `comment` lines are ignored by clients (keep-alives)."""

    __slots__ = ("data", "raw_data", "event", "id", "retry", "comment")

    def __init__(
        self,
        data: Any = None,
        *,
        raw_data: str | None = None,
        event: str | None = None,
        id: str | None = None,  # noqa: A002 - the SSE field's name
        retry: int | None = None,
        comment: str | None = None,
    ) -> None:
        if data is not None and raw_data is not None:
            raise ValueError(
                "Cannot set both 'data' and 'raw_data' on the same ServerSentEvent. Use 'data' "
                "for JSON-serialized payloads or 'raw_data' for pre-formatted strings."
            )
        for name, value in (("event", event), ("id", id)):
            if value is not None and ("\r" in value or "\n" in value):
                raise ValueError(f"SSE '{name}' must be a single line")
        if id is not None and "\0" in id:
            raise ValueError("SSE 'id' must not contain null characters")
        if retry is not None and (not isinstance(retry, int) or retry < 0):
            raise ValueError("SSE 'retry' should be greater than or equal to 0 (milliseconds)")
        self.data, self.raw_data, self.event = data, raw_data, event
        self.id, self.retry, self.comment = id, retry, comment

    def __repr__(self) -> str:
        fields = ", ".join(
            f"{k}={getattr(self, k)!r}" for k in self.__slots__ if getattr(self, k) is not None
        )
        return f"ServerSentEvent({fields})"


def _lines(value: str) -> list[str]:
    """The lines of `value` as SSE splits them (on \\n, \\r\\n and \\r), the last kept even if
    empty."""
    return value.replace("\r\n", "\n").replace("\r", "\n").split("\n")


def format_sse_event(
    *,
    data_str: str | None = None,
    event: str | None = None,
    id: str | None = None,  # noqa: A002
    retry: int | None = None,
    comment: str | None = None,
) -> bytes:
    """One event in the wire format: comment lines, `event:`, one `data:` line per line of
    the data, `id:`, `retry:`, then the blank line that ends it."""
    lines = [f": {line}" for line in _lines(comment)] if comment is not None else []
    if event is not None:
        lines.append(f"event: {event}")
    if data_str is not None:
        lines += [f"data: {line}" for line in _lines(data_str)]
    if id is not None:
        lines.append(f"id: {id}")
    if retry is not None:
        lines.append(f"retry: {retry}")
    return "\n".join([*lines, "", ""]).encode("utf-8")
