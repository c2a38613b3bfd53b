"""Endpoints that `yield`, as FastAPI (0.134+) serves them: each item is streamed as it comes,
as a line of JSON (JSON Lines, `application/jsonl`) by default, as a Server-Sent Event with
`response_class=EventSourceResponse`, or as a chunk of any other response class given
(StreamingResponse). A return annotation such as `AsyncIterator[Item]` validates and
serializes each item as a response model would.

At registration the generator function is wrapped in an `async def` with its signature that
returns the streaming response, so every door (the Rust front door, the native server, the
dependency solver) serves it as any other endpoint, and `yield` dependencies stay open until
the stream ends."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import inspect
import json
import math
import sys
from collections.abc import (
    AsyncGenerator,
    AsyncIterable,
    AsyncIterator,
    Callable,
    Generator,
    Iterable,
    Iterator,
)
from typing import Any, get_args, get_origin

from .. import _core
from .._http.streaming import _aiter
from .._types import is_subclass
from ..dependencies.models import called_function
from ..encoders import jsonable_encoder
from ..responses import JSONResponse, Response, StreamingResponse
from ..sse import KEEPALIVE_COMMENT, EventSourceResponse, ServerSentEvent, format_sse_event

_STREAM_ORIGINS = {AsyncIterable, AsyncIterator, AsyncGenerator, Iterable, Iterator, Generator}


def is_generator_endpoint(endpoint: Any) -> bool:
    target = called_function(endpoint)
    return inspect.isasyncgenfunction(target) or inspect.isgeneratorfunction(target)


def stream_item_type(annotation: Any) -> Any:
    """`Item` for `AsyncIterator[Item]` (and the other iterable annotations); None for any
    other annotation."""
    if get_origin(annotation) in _STREAM_ORIGINS:
        args = get_args(annotation)
        return args[0] if args else Any
    return None


def streaming_endpoint(
    endpoint: Callable[..., Any],
    response_class: type[Response],
    status_code: int,
    serialize: Callable[[Any], Any] | None,
) -> Callable[..., Any]:
    """An `async def` with `endpoint`'s signature that returns the response streaming what
    the generator `endpoint` yields; `serialize` (the item model's) converts each item."""
    if is_subclass(response_class, EventSourceResponse):
        mode = "sse"
    elif response_class is JSONResponse:
        mode = "jsonl"
    else:
        mode = "raw"

    @functools.wraps(endpoint)
    async def stream(*args: Any, **kwargs: Any) -> Response:
        injected = kwargs.pop(_INJECTED)
        items = _aiter(endpoint(*args, **kwargs))
        status = injected.status_code or status_code
        if mode == "raw":
            response = response_class(content=items, status_code=status)
        elif mode == "jsonl":
            response = StreamingResponse(
                _json_lines(items, serialize), status_code=status, media_type="application/jsonl"
            )
        else:
            response = EventSourceResponse(
                _events(items, serialize),
                status_code=status,
                headers={"cache-control": "no-cache", "x-accel-buffering": "no"},
            )
        response.raw_headers.extend(injected.raw_headers)
        return response

    _ask_for_response(stream, endpoint)
    stream.__fasterapi_stream__ = True  # type: ignore[attr-defined]
    return stream


#: The parameter by which the streaming wrapper gets the route's injected Response.
_INJECTED = "fasterapi_injected_response"


def _ask_for_response(stream: Any, endpoint: Any) -> None:
    """Gives `stream` the signature of `endpoint` plus a keyword-only `Response` parameter:
    the route then injects the Response its dependencies (or the endpoint) set a status,
    headers or cookies on, and `stream` carries them over to the streaming response, as
    FastAPI does."""
    signature = inspect.signature(endpoint)
    params = list(signature.parameters.values())
    at = next((i for i, p in enumerate(params) if p.kind is p.VAR_KEYWORD), len(params))
    params.insert(at, inspect.Parameter(_INJECTED, inspect.Parameter.KEYWORD_ONLY))
    stream.__signature__ = signature.replace(parameters=params)
    stream.__annotations__ = {**getattr(endpoint, "__annotations__", {}), _INJECTED: Response}


def _json(item: Any, serialize: Callable[[Any], Any] | None) -> bytes:
    """An item as JSON: through its model when the stream is typed (compact, as the model
    writes it), else as FastAPI writes an untyped item: `json.dumps` of its
    jsonable_encoder form, with NaN and infinities as null."""
    if serialize is not None:
        return _core.encode_json(serialize(item))
    return _untyped_json(item).encode()


def _untyped_json(value: Any) -> str:
    pydantic = sys.modules.get("pydantic")
    if pydantic is not None and isinstance(value, pydantic.BaseModel):
        json_text: str = value.model_dump_json()  # as the model says (ser_json_inf_nan, aliases)
        return json_text
    return json.dumps(_finite(jsonable_encoder(value)))


def _finite(data: Any) -> Any:
    """`data` with NaN and infinite floats as None (JSON has no such numbers)."""
    if isinstance(data, float):
        return data if math.isfinite(data) else None
    if isinstance(data, dict):
        return {key: _finite(value) for key, value in data.items()}
    if isinstance(data, list):
        return [_finite(value) for value in data]
    return data


async def _json_lines(items: Any, serialize: Callable[[Any], Any] | None) -> Any:
    """Each item as a line of JSON. `items` is closed with this (the StreamingResponse has
    the checkpoint per item that lets a client that left stop an endless stream)."""
    async with contextlib.aclosing(items):
        async for item in items:
            yield _json(item, serialize) + b"\n"


async def _events(items: Any, serialize: Callable[[Any], Any] | None) -> Any:
    """Each item as an event, with a keep-alive comment after PING_INTERVAL seconds without
    one. The generator runs in a task of its own, so waiting for it with a timeout never
    cancels it halfway."""
    from .. import sse  # PING_INTERVAL read at each wait: tests shorten it

    queue: asyncio.Queue[Any] = asyncio.Queue(maxsize=1)
    done = object()

    async def produce() -> None:
        try:
            async for item in items:
                await queue.put(_event(item, serialize))
        except Exception as exc:  # the generator's error, raised by the consumer
            await queue.put(exc)
        else:
            await queue.put(done)

    producer = asyncio.ensure_future(produce())
    try:
        while True:
            try:
                # not wait_for: on Python 3.11 it swallows a cancellation that comes as the
                # item does, and a stream whose client left would never stop
                async with asyncio.timeout(sse.PING_INTERVAL):
                    event = await queue.get()
            except TimeoutError:
                yield KEEPALIVE_COMMENT
                continue
            if event is done:
                return
            if isinstance(event, BaseException):
                raise event
            yield event
    finally:
        if not producer.done():
            producer.cancel()
        await asyncio.gather(producer, return_exceptions=True)
        await items.aclose()


def _event(item: Any, serialize: Callable[[Any], Any] | None) -> bytes:
    if not isinstance(item, ServerSentEvent):
        return format_sse_event(data_str=_json(item, serialize).decode())
    if item.raw_data is not None:
        data: str | None = item.raw_data
    elif item.data is not None:
        data = _untyped_json(item.data)
    else:
        data = None
    return format_sse_event(
        data_str=data, event=item.event, id=item.id, retry=item.retry, comment=item.comment
    )
