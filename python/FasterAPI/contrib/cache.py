"""Response caching: a route's answers kept for `expire` seconds and served again without
running its endpoint.

`cache = ResponseCache()` makes a cache (in memory, or in Redis with `RedisBackend`, the `redis`
extra); `@cache(expire=60)` under a route's decorator caches that route, as fastapi-cache's
`@cache` does. The decorated endpoint is what the route runs, so the route's dependencies (its
authentication, a rate limiter) still run on every request; only the endpoint is skipped on a
hit, whose Response is made from the stored status, headers and body and written whole by
either door.

What is cached follows HTTP's rules for a shared cache (RFC 9111): GET and HEAD (HEAD shares
GET's entry), keyed by the path, the query string and the request headers the response names in
its `Vary` (the Vary list is stored with the entry); a request with `Authorization` or `Cookie`
is neither served from nor stored in the cache unless the route says `public=True`; only a 200
without `Set-Cookie`, `Vary: *` or `Cache-Control: no-store / no-cache / private` is stored, and
a streamed response (StreamingResponse, FileResponse...) goes out as it is. A request's own
`Cache-Control: no-cache` skips the lookup (the fresh answer is stored), `no-store` skips both.

Answers carry an `ETag` (a hash of the body, unless the endpoint set one), `Cache-Control:
max-age` (the seconds left), `Age` on a hit and `X-Cache: HIT` or `MISS`; a matching
`If-None-Match` is answered 304. `await cache.invalidate("/items", tags=["items"])`, in the
handler of a write, drops the entries under a path (by path segments) or given a tag; with
Redis, for every process using it. A backend that fails is logged and the route served
uncached: a cache is never the cause of an error answer.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import inspect
import logging
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from typing import Any, Protocol, TypeVar, overload

import msgspec

from .._runtime.runner import response_for
from ..concurrency import run_in_threadpool
from ..requests import Request
from ..responses import RESPONSE_TYPES, JSONResponse, Response, injected_response

_logger = logging.getLogger("fasterapi.error")
F = TypeVar("F", bound=Callable[..., Any])

#: The parameters the decorated endpoint adds to the route's signature, for the door to fill.
_REQUEST = "fasterapi_cache_request"
_RESPONSE = "fasterapi_cache_response"
#: The headers a 304 keeps of the response it stands for (RFC 9110 15.4.5).
_NOT_MODIFIED_KEEPS = frozenset(
    (b"cache-control", b"content-location", b"etag", b"expires", b"vary")
)
#: Directives of a response's Cache-Control that keep it out of a shared cache.
_NOT_STORED = ("no-store", "no-cache", "private")
#: How many path segments deep `invalidate` finds an entry by its path (the full path too).
_PATH_DEPTH = 16


class Entry(msgspec.Struct, tag=True, array_like=True, frozen=True):
    """A stored response: its status, headers (with its ETag) and body, the seconds it was
    stored for, the request headers its Vary names, whether its Cache-Control is the
    endpoint's own (else the cache writes one), and whether it was made from the endpoint's
    value (then, as FastAPI does, the headers the route's dependencies set go with it)."""

    status: int
    headers: list[tuple[bytes, bytes]]
    body: bytes
    ttl: float
    etag: bytes
    vary: tuple[str, ...] = ()
    own_cache_control: bool = False
    merge: bool = True


class Variants(msgspec.Struct, tag=True, array_like=True, frozen=True):
    """What a path and query hold when the response varies on request headers: their names,
    which pick the entry (stored under a key of its own)."""

    vary: tuple[str, ...]


Record = Entry | Variants
_encoder = msgspec.msgpack.Encoder()
_decoder = msgspec.msgpack.Decoder(Record)


class CacheBackend(Protocol):
    """Where a ResponseCache keeps its records: `MemoryBackend`, `RedisBackend`, or yours."""

    async def get(self, key: str) -> tuple[Record, float] | None:
        """The record under `key` and the seconds it has left, or None."""

    async def set(
        self, records: Sequence[tuple[str, Record]], ttl: float, indexes: Sequence[str]
    ) -> None:
        """Stores each record under its key for `ttl` seconds, found by each of `indexes`."""

    async def invalidate(self, indexes: Sequence[str]) -> int:
        """Drops the records found by any of `indexes`; returns how many."""


class MemoryBackend:
    """Records in this process's memory: at most `max_entries` of them (the least recently
    used is dropped first), so that requests cannot grow the server's memory without bound.
    Each worker of `fasterapi run --workers N` has its own. `clock`: seconds, monotonic."""

    def __init__(self, max_entries: int = 10_000, clock: Callable[[], float] = time.monotonic):
        if max_entries < 1:
            raise ValueError("max_entries must be at least 1")
        self.max_entries = max_entries
        self.clock = clock
        #: key -> (when it expires, the record, the indexes it is found by)
        self._records: OrderedDict[str, tuple[float, Record, Sequence[str]]] = OrderedDict()
        self._indexes: dict[str, set[str]] = {}

    def __len__(self) -> int:
        return len(self._records)

    async def get(self, key: str) -> tuple[Record, float] | None:
        held = self._records.get(key)
        if held is None:
            return None
        left = held[0] - self.clock()
        if left <= 0:
            self._drop(key)
            return None
        self._records.move_to_end(key)
        return held[1], left

    async def set(
        self, records: Sequence[tuple[str, Record]], ttl: float, indexes: Sequence[str]
    ) -> None:
        expires = self.clock() + ttl
        for key, record in records:
            if key in self._records:
                self._drop(key)
            while len(self._records) >= self.max_entries:
                self._drop(next(iter(self._records)))
            self._records[key] = (expires, record, indexes)
            for index in indexes:
                self._indexes.setdefault(index, set()).add(key)

    async def invalidate(self, indexes: Sequence[str]) -> int:
        keys = set().union(*(self._indexes.get(index, ()) for index in indexes))
        for key in keys:
            self._drop(key)
        return len(keys)

    def _drop(self, key: str) -> None:
        for index in self._records.pop(key)[2]:
            keys = self._indexes[index]
            keys.discard(key)
            if not keys:
                del self._indexes[index]


#: KEYS[1]: a record; returns {its bytes, its milliseconds left}, or nil.
_GET = """
local value = redis.call('GET', KEYS[1])
if not value then return nil end
return {value, redis.call('PTTL', KEYS[1])}
"""

#: KEYS: ARGV[2] records, then the indexes; ARGV[1]: milliseconds to keep them, ARGV[3...]: the
#: records' bytes. Each index is a sorted set of record keys scored by when they expire (by
#: Redis's clock), trimmed of the expired ones as it is written, so it holds live keys only.
_SET = """
local ttl = tonumber(ARGV[1])
local count = tonumber(ARGV[2])
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
for i = 1, count do
  redis.call('SET', KEYS[i], ARGV[i + 2], 'PX', ttl)
end
for j = count + 1, #KEYS do
  redis.call('ZREMRANGEBYSCORE', KEYS[j], '-inf', now)
  for i = 1, count do
    redis.call('ZADD', KEYS[j], now + ttl, KEYS[i])
  end
  if redis.call('PTTL', KEYS[j]) < ttl then
    redis.call('PEXPIRE', KEYS[j], ttl)
  end
end
return count
"""

#: KEYS: indexes; deletes the records they list, and them; returns how many records were.
_DROP = """
local dropped = 0
for j = 1, #KEYS do
  local keys = redis.call('ZRANGE', KEYS[j], 0, -1)
  for i = 1, #keys, 500 do
    dropped = dropped + redis.call('DEL', unpack(keys, i, math.min(i + 499, #keys)))
  end
  redis.call('DEL', KEYS[j])
end
return dropped
"""


class RedisBackend:
    """Records in Redis, shared by every process and instance using it (so an invalidation in
    one is seen by all); keys start with `prefix`, and expire with their records. From `url`,
    a client is made for each event loop that uses the backend (a redis.asyncio connection
    belongs to the loop that opened it), with `timeout` seconds to connect and to answer; or
    give a `redis.asyncio.Redis` as `client`, used as it is. Each operation is one Lua script
    (one round trip); the scripts touch several keys, so use a single Redis, not a Cluster."""

    def __init__(
        self,
        url: str | None = None,
        *,
        client: Any = None,
        prefix: str = "fasterapi:cache:",
        timeout: float = 1.0,
    ) -> None:
        if (url is None) == (client is None):
            raise ValueError("RedisBackend takes a url or a client, one of them")
        if url is not None:
            try:
                import redis.asyncio  # noqa: F401
            except ImportError:
                raise RuntimeError(
                    "RedisBackend needs the redis package: pip install 'redis>=5'"
                ) from None
        self.url = url
        self.timeout = timeout
        self.prefix = prefix
        #: The client, its three scripts, and the loop it was made for (None: the given client).
        self._client: tuple[Any, tuple[Any, Any, Any], Any] | None = None
        if client is not None:
            self._client = (client, self._register(client), None)

    @staticmethod
    def _register(client: Any) -> tuple[Any, Any, Any]:
        return tuple(client.register_script(script) for script in (_GET, _SET, _DROP))  # type: ignore[return-value]

    def _scripts(self) -> tuple[Any, Any, Any]:
        loop = asyncio.get_running_loop()
        made = self._client
        if made is None or (made[2] is not None and made[2] is not loop):
            import redis.asyncio

            assert self.url is not None  # (no url: the client given, made for any loop)
            client = redis.asyncio.Redis.from_url(
                self.url, socket_timeout=self.timeout, socket_connect_timeout=self.timeout
            )
            made = self._client = (client, self._register(client), loop)
        return made[1]

    async def get(self, key: str) -> tuple[Record, float] | None:
        found = await self._scripts()[0](keys=[self.prefix + "e:" + key])
        if found is None:
            return None
        value, left = found
        return _decoder.decode(value), max(0, int(left)) / 1000

    async def set(
        self, records: Sequence[tuple[str, Record]], ttl: float, indexes: Sequence[str]
    ) -> None:
        keys = [self.prefix + "e:" + key for key, _ in records]
        keys += [self.prefix + "i:" + index for index in indexes]
        values = [_encoder.encode(record) for _, record in records]
        await self._scripts()[1](keys=keys, args=[max(1, round(ttl * 1000)), len(records), *values])

    async def invalidate(self, indexes: Sequence[str]) -> int:
        keys = [self.prefix + "i:" + index for index in indexes]
        return int(await self._scripts()[2](keys=keys))

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client[0].aclose()
            self._client = None


class CachedResponse(Response):
    """A Response made from stored parts as they are (its body is not copied)."""

    def __init__(
        self, status_code: int, raw_headers: list[tuple[bytes, bytes]], body: bytes
    ) -> None:
        self.status_code = status_code
        self.raw_headers = raw_headers
        self.body = body
        self.background = None


class _Asked:
    """What a request asks of the cache, read from its headers in one pass."""

    __slots__ = ("credentials", "no_cache", "no_store", "if_none_match")

    def __init__(self, headers: Iterable[tuple[bytes, bytes]]) -> None:
        self.credentials = self.no_cache = self.no_store = False
        self.if_none_match: bytes | None = None
        for name, value in headers:
            if name == b"authorization" or name == b"cookie":
                self.credentials = True
            elif name == b"cache-control":
                directives = _directives(value)
                self.no_cache = self.no_cache or "no-cache" in directives
                self.no_store = self.no_store or "no-store" in directives
            elif name == b"pragma":
                self.no_cache = self.no_cache or "no-cache" in _directives(value)
            elif name == b"if-none-match":
                self.if_none_match = value


def _directives(value: bytes) -> set[str]:
    """A Cache-Control (or Pragma) header's directive names, lowercased."""
    return {part.split("=", 1)[0].strip().lower() for part in value.decode("latin-1").split(",")}


def etag_matches(if_none_match: bytes, etag: bytes) -> bool:
    """Whether an If-None-Match header matches `etag`, by weak comparison (RFC 9110 13.1.2)."""
    if if_none_match.strip() == b"*":
        return True
    wanted = etag.removeprefix(b"W/")
    return any(tag.strip().removeprefix(b"W/") == wanted for tag in if_none_match.split(b","))


def strong_etag(body: bytes) -> bytes:
    """A strong ETag for a body: a hash of its bytes."""
    return b'"%s"' % hashlib.blake2b(body, digest_size=16).hexdigest().encode()


def request_key(scope: dict[str, Any]) -> str:
    """The key of a GET or HEAD request: the method (HEAD is GET's), path and query string."""
    path: str = scope["path"]
    if "?" in path or "\n" in path:  # (decoded from %3F or %0A: kept apart from the query)
        path = path.replace("%", "%25").replace("?", "%3F").replace("\n", "%0A")
    return "GET " + path + "?" + scope.get("query_string", b"").decode("latin-1")


def variant_key(key: str, vary: Sequence[str], headers: Iterable[tuple[bytes, bytes]]) -> str:
    """The key of the entry for a request whose response varies on the headers `vary`."""
    values: dict[str, list[str]] = {name: [] for name in vary}
    for name, value in headers:
        held = values.get(name.decode("latin-1"))
        if held is not None:
            held.append(value.decode("latin-1"))
    return key + "".join(f"\n{name}:{', '.join(values[name])}" for name in vary)


def path_indexes(path: str) -> list[str]:
    """The indexes an entry for `path` is found by: each of its ancestors' paths, by segments
    ("/", "/items", "/items/3"; a trailing slash is not a segment), up to _PATH_DEPTH, and
    the path itself."""
    path = path.rstrip("/") or "/"
    indexes = ["p:/"]
    for at, char in enumerate(path):
        if char == "/" and at:
            indexes.append("p:" + path[:at])
            if len(indexes) > _PATH_DEPTH:
                break
    if path != "/":
        indexes.append("p:" + path)
    return indexes


def _check_expire(expire: float) -> float:
    if isinstance(expire, bool) or not isinstance(expire, int | float) or not expire > 0:
        raise ValueError(f"expire must be a number of seconds above 0, not {expire!r}")
    return float(expire)


def _check_tags(tags: Iterable[str]) -> tuple[str, ...]:
    if isinstance(tags, str):
        raise TypeError("tags must be a list of strings, not a string")
    checked = tuple(tags)
    for tag in checked:
        if not isinstance(tag, str) or not tag:
            raise TypeError(f"a tag must be a non-empty string, not {tag!r}")
    return checked


class _Policy:
    """One decorated route's options."""

    __slots__ = ("expire", "tags", "public")

    def __init__(self, expire: float, tags: tuple[str, ...], public: bool) -> None:
        self.expire = expire
        self.tags = tags
        self.public = public


class ResponseCache:
    """Caches the answers of the routes it decorates (`@cache(expire=60)` under the route's
    decorator) in `backend` (a MemoryBackend of its own by default), for `expire` seconds
    unless a route says otherwise. `status_header` names the header that says HIT or MISS
    (None: none)."""

    def __init__(
        self,
        backend: CacheBackend | None = None,
        *,
        expire: float = 60.0,
        status_header: str | None = "X-Cache",
    ) -> None:
        self.backend: CacheBackend = backend if backend is not None else MemoryBackend()
        self.expire = _check_expire(expire)
        self.status_header = status_header.lower().encode("latin-1") if status_header else None

    @overload
    def __call__(self, endpoint: F, /) -> F: ...

    @overload
    def __call__(
        self,
        endpoint: None = None,
        /,
        *,
        expire: float | None = None,
        tags: Iterable[str] = (),
        public: bool = False,
    ) -> Callable[[F], F]: ...

    def __call__(
        self,
        endpoint: Any = None,
        /,
        *,
        expire: float | None = None,
        tags: Iterable[str] = (),
        public: bool = False,
    ) -> Any:
        """`@cache` or `@cache(expire=60, tags=["items"], public=False)`: caches the endpoint's
        answers for `expire` seconds (the cache's default if None), found by `tags` for
        `invalidate`. `public=True` serves and stores them for requests with `Authorization`
        or `Cookie` too, as a shared cache may for a response marked `Cache-Control: public`
        (RFC 9111 3.5): for a route whose answer is the same for every caller, or one whose
        response says `Vary: Authorization` (or `Cookie`) to be kept per caller."""
        policy = _Policy(
            self.expire if expire is None else _check_expire(expire), _check_tags(tags), public
        )
        if endpoint is not None:
            if not callable(endpoint):
                raise TypeError(f"@cache decorates an endpoint, not {endpoint!r}")
            return self._decorate(endpoint, policy)
        return functools.partial(self._decorate, policy=policy)

    def _decorate(self, endpoint: F, policy: _Policy) -> F:
        if inspect.isasyncgenfunction(endpoint) or inspect.isgeneratorfunction(endpoint):
            raise TypeError(f"@cache cannot cache {endpoint.__name__}: it streams what it yields")
        signature = inspect.signature(endpoint)
        for name in (_REQUEST, _RESPONSE):
            if name in signature.parameters:
                raise TypeError(f"{endpoint.__name__} is already cached (a @cache too many)")
        serve = self._serve

        @functools.wraps(endpoint)
        async def cached(*args: Any, **kwargs: Any) -> Any:
            request = kwargs.pop(_REQUEST)
            injected = kwargs.pop(_RESPONSE)
            return await serve(policy, endpoint, request, injected, args, kwargs)

        params = list(signature.parameters.values())
        at = len(params) - (bool(params) and params[-1].kind is inspect.Parameter.VAR_KEYWORD)
        params[at:at] = [
            inspect.Parameter(_REQUEST, inspect.Parameter.KEYWORD_ONLY, annotation=Request),
            inspect.Parameter(_RESPONSE, inspect.Parameter.KEYWORD_ONLY, annotation=Response),
        ]
        cached.__signature__ = signature.replace(parameters=params)  # type: ignore[attr-defined]
        return cached  # type: ignore[return-value]

    async def invalidate(self, *paths: str, tags: Iterable[str] = ()) -> int:
        """Drops the entries of each path and below it (by segments: "/items" drops
        "/items?page=2" and "/items/3", not "/itemsets"), whatever their query, and those of
        routes given any of `tags`; returns how many records were dropped. Call it where a
        write is done, before answering, so that the next GET sees the write. If the backend
        fails, the failure is logged and 0 returned (the entries then expire in time)."""
        indexes = []
        for path in paths:
            if not isinstance(path, str) or not path.startswith("/"):
                raise ValueError(f"invalidate takes paths starting with '/', not {path!r}")
            indexes.append("p:" + (path.rstrip("/") or "/"))
        indexes += ["t:" + tag for tag in _check_tags(tags)]
        if not indexes:
            return 0
        try:
            return await self.backend.invalidate(indexes)
        except Exception:
            _logger.exception("Cache invalidation failed (%s)", type(self.backend).__name__)
            return 0

    async def clear(self) -> int:
        """Drops every entry of this cache's backend (under its prefix, for Redis)."""
        return await self.invalidate("/")

    # -- serving a request -------------------------------------------------------------------

    async def _serve(
        self,
        policy: _Policy,
        endpoint: Callable[..., Any],
        request: Request,
        injected: Response,
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
    ) -> Any:
        scope = request.scope
        if scope["method"] not in ("GET", "HEAD"):
            return await self._call(endpoint, scope, args, kwargs)
        headers = scope["headers"]
        asked = _Asked(headers)
        if asked.credentials and not policy.public:
            return await self._call(endpoint, scope, args, kwargs)
        key = request_key(scope)
        store = not asked.no_store
        if not (asked.no_cache or asked.no_store):
            try:
                found = await self.backend.get(key)
                if found is not None and isinstance(found[0], Variants):
                    found = await self.backend.get(variant_key(key, found[0].vary, headers))
            except Exception:  # the backend is down or slow: served uncached
                _logger.exception("Cache lookup failed (%s)", type(self.backend).__name__)
                found, store = None, False
            if found is not None and isinstance(found[0], Entry):
                return self._hit(found[0], found[1], asked, injected)
        before = len(injected.raw_headers)
        result = await self._call(endpoint, scope, args, kwargs)
        response, merge = self._response(scope, result, injected, before)
        whole = isinstance(response, Response) and response.sent_whole
        entry = _entry(response, policy.expire, merge) if whole else None
        if entry is None:  # streamed, or not to be stored: as it is
            if merge:  # (with the dependencies' headers, as the route would have it)
                response.raw_headers += injected.raw_headers
            return response
        if store:
            await self._store(key, entry, policy, scope["path"], headers)
        return self._answer(entry, None, asked, injected if merge else None)

    async def _call(
        self,
        endpoint: Callable[..., Any],
        scope: dict[str, Any],
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
    ) -> Any:
        """Runs the endpoint as its route would: a `def` one in the thread pool if the route
        says so, else inline."""
        route = scope.get("route")
        if not inspect.iscoroutinefunction(endpoint) and route is not None and route.threadpool:
            return await run_in_threadpool(endpoint, *args, **kwargs)
        result = endpoint(*args, **kwargs)
        if inspect.isawaitable(result):
            result = await result
        return result

    def _response(
        self, scope: dict[str, Any], result: Any, injected: Response, before: int
    ) -> tuple[Any, bool]:
        """The Response the route makes of the endpoint's result (through its response model
        and class, with the status and headers the endpoint set on its injected Response,
        not those its dependencies set, which go on every answer), or the Response the
        endpoint returned; and whether the dependencies' headers go with it (not with a
        returned Response, as in FastAPI)."""
        if isinstance(result, RESPONSE_TYPES):
            return result, False
        own = injected_response()
        own.status_code = injected.status_code
        own.raw_headers = injected.raw_headers[before:]
        del injected.raw_headers[before:]
        route = scope.get("route")
        if route is None:  # (the door always names it: a Request was made for the route)
            return JSONResponse(result), True
        if route.serialize_response is not None:
            result = route.serialize_response(result)
        return response_for(route, result, own), True

    async def _store(
        self,
        key: str,
        entry: Entry,
        policy: _Policy,
        path: str,
        headers: Iterable[tuple[bytes, bytes]],
    ) -> None:
        records: list[tuple[str, Record]] = [(key, entry)]
        if entry.vary:
            records = [(key, Variants(entry.vary)), (variant_key(key, entry.vary, headers), entry)]
        indexes = path_indexes(path) + ["t:" + tag for tag in policy.tags]
        try:
            await self.backend.set(records, policy.expire, indexes)
        except Exception:
            _logger.exception("Cache store failed (%s)", type(self.backend).__name__)

    def _hit(self, entry: Entry, left: float, asked: _Asked, injected: Response) -> Response:
        age = max(0, int(entry.ttl - left))
        return self._answer(entry, age, asked, injected if entry.merge else None)

    def _answer(
        self, entry: Entry, age: int | None, asked: _Asked, injected: Response | None
    ) -> Response:
        """The answer from an entry: its response, or a 304 to a matching If-None-Match,
        with Cache-Control (the seconds it has left), Age (on a hit: `age` seconds) and the
        HIT/MISS header."""
        added: list[tuple[bytes, bytes]] = []
        if not entry.own_cache_control:
            left = max(0, round(entry.ttl) - (age or 0))
            added.append((b"cache-control", b"max-age=%d" % left))
        if age is not None:
            added.append((b"age", b"%d" % age))
        if self.status_header is not None:
            added.append((self.status_header, b"MISS" if age is None else b"HIT"))
        if injected is not None:
            added += injected.raw_headers
        if asked.if_none_match is not None and etag_matches(asked.if_none_match, entry.etag):
            kept = [pair for pair in entry.headers if pair[0] in _NOT_MODIFIED_KEEPS]
            return CachedResponse(304, kept + added, b"")
        return CachedResponse(entry.status, entry.headers + added, entry.body)


def _entry(response: Response, expire: float, merge: bool) -> Entry | None:
    """The entry to store for a Response the route made, or None if it may not be stored: not
    a 200, or with Set-Cookie, `Vary: *`, or a Cache-Control that keeps it out of a shared
    cache. Its ETag is added unless it has one."""
    if response.status_code != 200:
        return None
    etag: bytes | None = None
    own_cache_control = False
    vary: list[str] = []
    for name, value in response.raw_headers:
        if name == b"set-cookie":
            return None
        if name == b"cache-control":
            if not _directives(value).isdisjoint(_NOT_STORED):
                return None
            own_cache_control = True
        elif name == b"vary":
            for part in value.decode("latin-1").split(","):
                part = part.strip().lower()
                if part == "*":
                    return None
                if part and part not in vary:
                    vary.append(part)
        elif name == b"etag":
            etag = value
    headers = list(response.raw_headers)
    if etag is None:
        etag = strong_etag(response.body)
        headers.append((b"etag", etag))
    return Entry(
        response.status_code,
        headers,
        response.body,
        expire,
        etag,
        tuple(vary),
        own_cache_control,
        merge,
    )


__all__ = [
    "CacheBackend",
    "CachedResponse",
    "Entry",
    "MemoryBackend",
    "RedisBackend",
    "ResponseCache",
    "Variants",
    "etag_matches",
    "path_indexes",
    "request_key",
    "strong_etag",
    "variant_key",
]
