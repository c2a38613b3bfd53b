"""Request and response data structures: headers, query parameters, URL, state, uploaded
files and form data."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, BinaryIO, NamedTuple
from urllib.parse import parse_qsl, urlsplit, urlunsplit

from .concurrency import run_in_threadpool


class Address(NamedTuple):
    host: str
    port: int


class Headers(Mapping[str, str]):
    """Case-insensitive, read-only view of raw ASGI header pairs; `get` gives the first value."""

    def __init__(self, raw: list[tuple[bytes, bytes]] | None = None, scope: Any = None) -> None:
        self.raw = list(scope["headers"]) if scope is not None else list(raw or [])

    def __getitem__(self, key: str) -> str:
        name = key.lower().encode("latin-1")
        for k, v in self.raw:
            if k == name:
                return v.decode("latin-1")
        raise KeyError(key)

    def get(self, key: str, default: Any = None) -> Any:
        """The first value of header `key`, or `default` (without the KeyError that
        Mapping.get goes through)."""
        name = key.lower().encode("latin-1")
        for k, v in self.raw:
            if k == name:
                return v.decode("latin-1")
        return default

    def __contains__(self, key: object) -> bool:
        if not isinstance(key, str):
            return False
        name = key.lower().encode("latin-1")
        return any(k == name for k, _ in self.raw)

    def __iter__(self) -> Iterator[str]:
        return iter(dict.fromkeys(k.decode("latin-1") for k, _ in self.raw))

    def __len__(self) -> int:
        return len({k for k, _ in self.raw})

    def getlist(self, key: str) -> list[str]:
        name = key.lower().encode("latin-1")
        return [v.decode("latin-1") for k, v in self.raw if k == name]

    def __repr__(self) -> str:
        return f"{type(self).__name__}({[(k.decode(), v.decode()) for k, v in self.raw]!r})"


class MutableHeaders(Headers):
    """Response headers: set, append and delete by name, editing the given raw list in place."""

    def __init__(self, raw: list[tuple[bytes, bytes]] | None = None) -> None:
        self.raw = raw if raw is not None else []

    def __setitem__(self, key: str, value: str) -> None:
        name = key.lower().encode("latin-1")
        self.raw[:] = [(k, v) for k, v in self.raw if k != name]
        self.raw.append((name, value.encode("latin-1")))

    def __delitem__(self, key: str) -> None:
        name = key.lower().encode("latin-1")
        self.raw[:] = [(k, v) for k, v in self.raw if k != name]

    def append(self, key: str, value: str) -> None:
        self.raw.append((key.lower().encode("latin-1"), value.encode("latin-1")))

    def setdefault(self, key: str, value: str) -> str:  # type: ignore[override]
        if key not in self:
            self[key] = value
        return self[key]

    def update(self, other: Mapping[str, str]) -> None:
        for key, value in other.items():
            self[key] = value

    def add_vary_header(self, vary: str) -> None:
        """Adds `vary` to the Vary header: one header, after the values it had (Starlette's
        name)."""
        self["vary"] = ", ".join([*self.getlist("vary"), vary])


class QueryParams(Mapping[str, str]):
    """Read-only query parameters; `get` gives the last value of a repeated key, as Starlette."""

    def __init__(self, query: str | bytes = "") -> None:
        if isinstance(query, bytes):
            query = query.decode("latin-1")
        self._list = parse_qsl(query, keep_blank_values=True)
        self._dict = dict(self._list)

    def __getitem__(self, key: str) -> str:
        return self._dict[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._dict)

    def __len__(self) -> int:
        return len(self._dict)

    def getlist(self, key: str) -> list[str]:
        return [v for k, v in self._list if k == key]

    def multi_items(self) -> list[tuple[str, str]]:
        return list(self._list)


class URL(str):
    """The request URL as a string, with its parts as attributes."""

    @property
    def _parts(self) -> Any:
        return urlsplit(self)

    @property
    def scheme(self) -> str:
        return self._parts.scheme

    @property
    def hostname(self) -> str | None:
        return self._parts.hostname

    @property
    def port(self) -> int | None:
        return self._parts.port

    @property
    def path(self) -> str:
        return self._parts.path

    @property
    def query(self) -> str:
        return self._parts.query

    @property
    def netloc(self) -> str:
        return self._parts.netloc

    def replace(self, **parts: str) -> URL:  # type: ignore[override]  # Starlette's URL.replace
        """This URL with some of its parts (scheme, netloc, path, query, fragment) replaced."""
        return URL(urlunsplit(self._parts._replace(**parts)))


class State:
    """Attribute bag for app and request state."""

    def __init__(self, state: dict[str, Any] | None = None) -> None:
        super().__setattr__("_state", state if state is not None else {})

    def __setattr__(self, key: str, value: Any) -> None:
        self._state[key] = value

    def __getattr__(self, key: str) -> Any:
        try:
            return self._state[key]
        except KeyError:
            raise AttributeError(f"'State' object has no attribute '{key}'") from None

    def __delattr__(self, key: str) -> None:
        del self._state[key]


class UploadFile:
    """An uploaded file, with Starlette's API: `filename`, `content_type`, `headers` (the
    part's), `size`, and `file`, a `tempfile.SpooledTemporaryFile` that keeps up to 1 MiB in
    memory and spills to disk above it. The async methods run in the thread pool once the
    file is on disk. FasterAPI closes the files of a request after its response is sent."""

    #: Bytes kept in memory before a file spills to disk.
    spool_max_size = 1024 * 1024

    def __init__(
        self,
        file: BinaryIO,
        *,
        size: int | None = None,
        filename: str | None = None,
        headers: Headers | None = None,
    ) -> None:
        self.filename = filename
        self.file = file
        self.size = size
        self.headers = headers if headers is not None else Headers()

    @property
    def content_type(self) -> str | None:
        return self.headers.get("content-type", None)

    @property
    def _in_memory(self) -> bool:
        return not getattr(self.file, "_rolled", True)

    async def write(self, data: bytes) -> None:
        if self.size is not None:
            self.size += len(data)
        if self._in_memory:
            self.file.write(data)
        else:
            await run_in_threadpool(self.file.write, data)

    async def read(self, size: int = -1) -> bytes:
        if self._in_memory:
            return self.file.read(size)
        return await run_in_threadpool(self.file.read, size)

    async def seek(self, offset: int) -> None:
        if self._in_memory:
            self.file.seek(offset)
        else:
            await run_in_threadpool(self.file.seek, offset)

    async def close(self) -> None:
        if self._in_memory:
            self.file.close()
        else:
            await run_in_threadpool(self.file.close)

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(filename={self.filename!r}, size={self.size!r}, "
            f"headers={self.headers!r})"
        )

    # pydantic: an UploadFile field of a model (a form model's, say) takes an UploadFile, and
    # is documented as FastAPI documents files.

    @classmethod
    def _validate(cls, value: Any, *_: Any) -> UploadFile:
        if not isinstance(value, cls):
            raise ValueError(f"Expected UploadFile, received: {type(value)}")
        return value

    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: Any) -> Any:
        from pydantic_core import core_schema

        try:  # documented as bytes are, so that a field's description and the like apply
            return core_schema.with_info_plain_validator_function(
                cls._validate, json_schema_input_schema=core_schema.bytes_schema()
            )
        except TypeError:  # pydantic-core before 2.27
            return core_schema.with_info_plain_validator_function(cls._validate)

    @classmethod
    def __get_pydantic_json_schema__(cls, core_schema: Any, handler: Any) -> dict[str, Any]:
        try:
            schema = handler.resolve_ref_schema(handler(core_schema))
        except Exception:  # an older pydantic: no input schema to start from
            schema = {}
        return {**FILE_SCHEMA, **{k: v for k, v in schema.items() if k not in ("type", "format")}}


#: How OpenAPI documents an uploaded file, as FastAPI writes it.
FILE_SCHEMA = {"type": "string", "contentMediaType": "application/octet-stream"}


class FormData(Mapping[str, "str | UploadFile"]):
    """A form's fields (text values and UploadFiles), as `await request.form()` gives them:
    `form[name]` and `get` give the last value of a repeated name, `getlist` all of them."""

    def __init__(self, items: Any = ()) -> None:
        pairs = items.items() if isinstance(items, Mapping) else items
        self._list: list[tuple[str, str | UploadFile]] = list(pairs)
        self._dict = dict(self._list)

    def __getitem__(self, key: str) -> str | UploadFile:
        return self._dict[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._dict)

    def __len__(self) -> int:
        return len(self._dict)

    def getlist(self, key: str) -> list[str | UploadFile]:
        return [v for k, v in self._list if k == key]

    def multi_items(self) -> list[tuple[str, str | UploadFile]]:
        return list(self._list)

    async def close(self) -> None:
        """Closes every file of the form."""
        for _, value in self._list:
            if isinstance(value, UploadFile):
                await value.close()

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._list!r})"


class DefaultPlaceholder:
    """A default value that was not given explicitly, told apart from the same value given
    (FastAPI's marker, used by routers to know which options to inherit)."""

    def __init__(self, value: Any) -> None:
        self.value = value

    def __bool__(self) -> bool:
        return bool(self.value)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, DefaultPlaceholder) and other.value == self.value

    def __hash__(self) -> int:
        return hash(("DefaultPlaceholder", self.value))


def Default(value: Any) -> Any:  # noqa: N802 - FastAPI's name
    """`value`, marked as a default not given explicitly (a DefaultPlaceholder)."""
    return DefaultPlaceholder(value)
