"""Reading form bodies: `read_form` for `Request.form()`, and `stream_form`, which parses a
multipart body as it arrives, its files spooled to disk. What a route does with a form body
(`FormPlan`) is compiled in FasterAPI._compiler.form_plan.

The body is parsed in Rust (`_core.FormReader`: fasterapi-core's params::form and
params::multipart). Scalar fields and lists of them (str, int, float, bool, Enum, Literal,
UUID, datetime...) are coerced and checked there too, as query parameters are; files, form
models (`Annotated[Model, Form()]`) and any other type are made and validated by the
route's FormPlan. As in FastAPI, an empty text field or an empty file input (no filename, no
bytes) counts as absent, a parameter given several values gets the last one, and a list gets
them all.

The runner (FasterAPI._runtime.runner) closes a form route's files once the response is sent
and the background tasks have run (see `FILES_KEY`).
"""

from __future__ import annotations

from tempfile import SpooledTemporaryFile
from typing import Any

from .. import _core
from ..datastructures import FormData, Headers, UploadFile
from ..exceptions import HTTPException
from .body import ClientDisconnect, read_body

#: Where `FormPlan.parse` leaves the request's UploadFiles among the extracted values, for the
#: runner to close after the response (not a Python identifier: no parameter's).
FILES_KEY = "fasterapi.files"


def read_form(
    body: bytes,
    content_type: str | bytes | None,
    max_files: int = 1000,
    max_fields: int = 1000,
    max_part_size: int = 1024 * 1024,
) -> FormData:
    """The fields of a form body, its files as UploadFiles; HTTPException(400) if it is
    malformed or over a limit."""
    if isinstance(content_type, str):
        content_type = content_type.encode("latin-1")
    try:
        items = _core.parse_form_body(body, content_type, max_files, max_fields, max_part_size)
    except _core.FormError as exc:
        raise HTTPException(400, str(exc)) from None
    return _form_data(items, body)


def _form_data(items: list[tuple[str, Any]], body: bytes) -> FormData:
    """FormData from `_core`'s items: a file's `(filename, headers, start, end)` becomes an
    UploadFile holding `body[start:end]`."""
    view: memoryview | None = None
    pairs = []
    for name, value in items:
        if not isinstance(value, str):
            view = view if view is not None else memoryview(body)
            value = _upload(view, *value)
        pairs.append((name, value))
    return FormData(pairs)


def _upload(
    body: memoryview, filename: str, headers: list[tuple[bytes, bytes]], start: int, end: int
) -> UploadFile:
    upload = _spooled(filename, headers)
    size = upload.size = end - start
    if size > UploadFile.spool_max_size:
        upload.file.rollover()  # type: ignore[attr-defined] # to disk, not through memory first
    if size:
        upload.file.write(body[start:end])
        upload.file.seek(0)
    return upload


def _spooled(filename: str, headers: list[tuple[bytes, bytes]]) -> UploadFile:
    """An empty UploadFile over a SpooledTemporaryFile (on disk past spool_max_size)."""
    file: Any = SpooledTemporaryFile(max_size=UploadFile.spool_max_size)
    return UploadFile(file, size=0, filename=filename, headers=Headers(headers))


def _close_uploads(items: Any) -> None:
    """Closes (and so deletes) the files among a form's `(name, value)` items."""
    for _, value in items:
        if isinstance(value, UploadFile):
            value.file.close()


class FormStream:
    """A multipart body read as it arrives (`_core.MultipartParser`): each file part goes to
    a SpooledTemporaryFile as its bytes come (to disk past UploadFile.spool_max_size), so an
    upload is never held whole in memory. A malformed body, or one over a limit, raises
    HTTPException(400) and closes the files made so far."""

    __slots__ = ("parser", "items", "upload", "failed")

    def __init__(self, parser: Any) -> None:
        self.parser = parser
        self.items: list[tuple[str, Any]] = []
        #: The file being written.
        self.upload: UploadFile | None = None
        #: The 400 a broken body got, raised again by `finish`.
        self.failed: HTTPException | None = None

    @classmethod
    def start(cls, content_type: bytes | None) -> FormStream | None:
        """A stream for a body sent with `content_type`, or None unless it is multipart."""
        parser = _core.multipart_parser(content_type or b"")
        return cls(parser) if parser is not None else None

    def feed(self, data: bytes) -> None:
        if self.failed is None:
            self._apply(self.parser.feed, data)

    def finish(self) -> FormData:
        """The form, once the whole body was fed."""
        if self.failed is None:
            self._apply(self.parser.finish)
        if self.failed is not None:
            raise self.failed
        return FormData(self.items)

    def close(self) -> None:
        """Closes (and so deletes) every file made: the request ended without them."""
        _close_uploads(self.items)

    def _apply(self, step: Any, *args: Any) -> None:
        try:
            events = step(*args)
        except _core.FormError as exc:
            self.failed = HTTPException(400, str(exc))
            self.close()
            return
        for event in events:
            kind = event[0]
            if kind == "data":
                upload = self.upload
                upload.file.write(event[1])  # type: ignore[union-attr]
                upload.size += len(event[1])  # type: ignore[union-attr,operator]
            elif kind == "text":
                self.items.append((event[1], event[2]))
            elif kind == "file":
                _, name, filename, headers = event
                self.upload = _spooled(filename, headers)
                self.items.append((name, self.upload))
            else:  # "end"
                self.upload.file.seek(0)  # type: ignore[union-attr]
                self.upload = None


async def stream_form(receive: Any, first: dict[str, Any], content_type: bytes | None) -> Any:
    """The body of a form route that came in several messages: a multipart one parsed as it
    arrives (FormStream, its files spooled), as FormData; any other read whole, as bytes."""
    try:
        stream = FormStream.start(content_type)
    except _core.FormError as exc:
        raise HTTPException(400, str(exc)) from None
    if stream is None:
        return await read_body(receive, first)
    message = first
    try:
        while True:
            if message["type"] == "http.disconnect":
                raise ClientDisconnect()
            stream.feed(message.get("body", b""))
            if not message.get("more_body", False):
                return stream.finish()
            message = await receive()
    except BaseException:
        stream.close()  # the request is over: its files go with it
        raise
