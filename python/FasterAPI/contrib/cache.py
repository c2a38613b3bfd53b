"""Response caching: a route's answers kept for `expire` seconds and served again without
running its endpoint.

`cache = ResponseCache()` makes a cache (in memory, or in Redis with `RedisBackend`, the `redis`
extra); `@cache(expire=60)` under a route's decorator caches that route, as fastapi-cache's
`@cache` does. The decorated endpoint is what the route runs, so the route's dependencies (its
authentication, a rate limiter) still run on every request; only the endpoint is skipped on a
hit, whose Response is made from the stored status, headers and body and written whole by
either door.

What is cached follows HTTP's rules for a shared cache (RFC 9111): GET and HEAD (HEAD shares
GET's entry), keyed by the scheme, the host, the path, the query string and the request headers
the response names in its `Vary` (the Vary list is stored with the entry). A route whose answer
may be a caller's own is not cached unless it says `public=True`: one whose dependencies (its
router's and app's included) use a security scheme (`APIKeyHeader`, `OAuth2PasswordBearer`,
`Security(...)`...) or read a `Header()` parameter; and a request with `Authorization` or
`Cookie` is neither served from nor stored in the cache. Only a 200 without `Set-Cookie`,
`Vary: *` or `Cache-Control: no-store / no-cache / private` is stored, for no longer than its
own `s-maxage`, `max-age` or `Expires` allow; a streamed response (StreamingResponse,
FileResponse...) goes out as it is. A request's own `Cache-Control: no-cache` skips the lookup
(the fresh answer is stored), `no-store` skips both.

Answers carry an `ETag` (a hash of the body, unless the endpoint set one), `Cache-Control:
max-age` (the seconds left), `Age` on a hit and `X-Cache: HIT` or `MISS`; a matching
`If-None-Match` is answered 304. `await cache.invalidate("/items", tags=["items"])`, in the
handler of a write, drops the entries under a path (by path segments) or given a tag; with
Redis, for every process using it. Invalidation works by generations: each path and tag has
the time it was last invalidated, an entry stored before it is a miss, and an answer whose
lookup began before it is not stored (so a GET that read the old data while a write committed
cannot store it afterwards). A backend that fails is logged and the route served uncached: a
cache is never the cause of an error answer.
"""

from __future__ import annotations

import functools
import hashlib
import inspect
import logging
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from email.utils import parsedate_to_datetime
from typing import Any, Protocol, TypeVar, overload

import msgspec

from .._runtime.runner import response_for
from ..concurrency import run_in_threadpool
from ..requests import Request
from ..responses import RESPONSE_TYPES, JSONResponse, Response, injected_response
from ..security.base import SecurityBase
from ._redis import LoopClient

_logger = logging.getLogger("fasterapi.error")
#: Why a route is not cached (once per route, at debug level).
_debug = logging.getLogger("fasterapi.cache")
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
#: Seconds an invalidation is remembered at least (longer in Redis while entries stored
#: before it live): a request whose lookup began before it and that stores its answer within
#: this time does not store it.
REMEMBER = 300.0


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
    """Where a ResponseCache keeps its records: `MemoryBackend`, `RedisBackend`, or yours.

    Each record is found by indexes (`p:<path>` for the path and each of its ancestors,
    `t:<tag>` for each tag). `invalidate` marks indexes invalidated now; a record stored
    under one of them before that is gone (or a miss), and a `set` whose lookup began before
    it stores nothing: `get` gives the lookup's generation (a counter, a time: anything
    ordered that the backend understands), which `set` is given back as `since`."""

    async def get(self, key: str, indexes: Sequence[str]) -> tuple[Record | None, float, int]:
        """The record under `key` (None if there is none, or it was stored before one of
        `indexes`, its indexes, was invalidated), the seconds it has left, and the
        generation of this lookup."""

    async def set(
        self, records: Sequence[tuple[str, Record]], ttl: float, indexes: Sequence[str], since: int
    ) -> bool:
        """Stores each record under its key for `ttl` seconds, found by each of `indexes`,
        unless one of `indexes` was invalidated after the lookup of generation `since`;
        returns whether it stored them."""

    async def invalidate(self, indexes: Sequence[str]) -> None:
        """Drops (or makes misses of) the records found by any of `indexes`, and keeps the
        lookups begun before now from storing under them."""


def _size(record: Record) -> int:
    """About how many bytes a record holds in memory."""
    if isinstance(record, Variants):
        return 100
    return 200 + len(record.body) + sum(len(name) + len(value) for name, value in record.headers)


class MemoryBackend:
    """Records in this process's memory: at most `max_entries` of them holding at most
    `max_bytes` (bodies and headers; the least recently used are dropped first), so that
    requests cannot grow the server's memory without bound; a response larger than
    `max_bytes` is not stored. Each worker of `fasterapi run --workers N` has its own.
    `clock`: seconds, monotonic."""

    def __init__(
        self,
        max_entries: int = 10_000,
        max_bytes: int = 64 * 1024 * 1024,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if max_entries < 1:
            raise ValueError("max_entries must be at least 1")
        if max_bytes < 1:
            raise ValueError("max_bytes must be at least 1")
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self.clock = clock
        #: key -> (when it expires, the record, the indexes it is found by, its size)
        self._records: OrderedDict[str, tuple[float, Record, Sequence[str], int]] = OrderedDict()
        self._indexes: dict[str, set[str]] = {}
        self._bytes = 0
        #: Counts invalidations: the generation of a lookup.
        self._generation = 0
        #: index -> (the generation that invalidated it, when), oldest first (_forget).
        self._invalidated: OrderedDict[str, tuple[int, float]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._records)

    @property
    def size(self) -> int:
        """About how many bytes the records hold."""
        return self._bytes

    async def get(self, key: str, indexes: Sequence[str]) -> tuple[Record | None, float, int]:
        # (an invalidation drops the records at once: `indexes` are not needed here)
        held = self._records.get(key)
        if held is None:
            return None, 0.0, self._generation
        left = held[0] - self.clock()
        if left <= 0:
            self._drop(key)
            return None, 0.0, self._generation
        self._records.move_to_end(key)
        return held[1], left, self._generation

    async def set(
        self, records: Sequence[tuple[str, Record]], ttl: float, indexes: Sequence[str], since: int
    ) -> bool:
        now = self.clock()
        self._forget(now)
        invalidated = self._invalidated
        if invalidated and any(invalidated.get(i, (0, 0.0))[0] > since for i in indexes):
            return False  # (an invalidation since the lookup: what it read may be old)
        sizes = [_size(record) for _, record in records]
        needed = sum(sizes)
        if needed > self.max_bytes:
            return False
        for key, _ in records:
            if key in self._records:
                self._drop(key)
        # Room for the whole batch, so that a Variants record never evicts its own variant.
        while self._records and (
            len(self._records) + len(records) > self.max_entries
            or self._bytes + needed > self.max_bytes
        ):
            self._drop(next(iter(self._records)))
        expires = now + ttl
        for (key, record), size in zip(records, sizes, strict=True):
            self._records[key] = (expires, record, indexes, size)
            self._bytes += size
            for index in indexes:
                self._indexes.setdefault(index, set()).add(key)
        return True

    async def invalidate(self, indexes: Sequence[str]) -> None:
        self._generation += 1
        now = self.clock()
        for index in indexes:
            self._invalidated.pop(index, None)
            self._invalidated[index] = (self._generation, now)
            for key in list(self._indexes.get(index, ())):
                self._drop(key)
        self._forget(now)

    def _forget(self, now: float) -> None:
        """Forgets the invalidations older than REMEMBER seconds, and the oldest beyond
        max_entries of them."""
        invalidated = self._invalidated
        while invalidated and (
            len(invalidated) > self.max_entries
            or next(iter(invalidated.values()))[1] < now - REMEMBER
        ):
            invalidated.popitem(last=False)

    def _drop(self, key: str) -> None:
        _, _, indexes, size = self._records.pop(key)
        self._bytes -= size
        for index in indexes:
            keys = self._indexes[index]
            keys.discard(key)
            if not keys:
                del self._indexes[index]


#: Lua: the time now by Redis's clock, in microseconds (a lookup's generation).
_NOW = """
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000000 + tonumber(clock[2])
"""

#: KEYS[1]: a record, KEYS[2...]: its indexes' generation keys. Returns {the time now}, or
#: {the time now, the record's bytes, its milliseconds left} if it is there and was stored
#: after the last invalidation of each of its indexes.
_GET = (
    _NOW
    + """
local found = redis.call('HMGET', KEYS[1], 'at', 'value')
if not found[2] then return {now} end
if #KEYS > 1 then
  local at = tonumber(found[1])
  local invalidated = redis.call('MGET', unpack(KEYS, 2))
  for i = 1, #invalidated do
    if invalidated[i] and tonumber(invalidated[i]) >= at then return {now} end
  end
end
return {now, found[2], redis.call('PTTL', KEYS[1])}
"""
)

#: KEYS: ARGV[3] records, then their indexes' generation keys; ARGV[1]: milliseconds to keep
#: them, ARGV[2]: the generation (time) of their lookup, ARGV[4...]: the records' bytes.
#: Stores nothing (returns 0) if an index was invalidated since the lookup. A generation key
#: lives at least as long as the records under it (an invalidation must outlive them).
_SET = """
local ttl = tonumber(ARGV[1])
local since = tonumber(ARGV[2])
local count = tonumber(ARGV[3])
for j = count + 1, #KEYS do
  local invalidated = redis.call('GET', KEYS[j])
  if invalidated and tonumber(invalidated) >= since then return 0 end
end
for i = 1, count do
  redis.call('DEL', KEYS[i])
  redis.call('HSET', KEYS[i], 'at', ARGV[2], 'value', ARGV[i + 3])
  redis.call('PEXPIRE', KEYS[i], ttl)
end
for j = count + 1, #KEYS do
  local left = redis.call('PTTL', KEYS[j])
  if left == -2 then
    redis.call('SET', KEYS[j], '0', 'PX', ttl)
  elseif left >= 0 and left < ttl then
    redis.call('PEXPIRE', KEYS[j], ttl)
  end
end
return 1
"""

#: KEYS: generation keys; ARGV[1]: milliseconds to remember an invalidation at least. Sets
#: each to the time now, for as long as it lived (the records under it) or ARGV[1]: O(1) per
#: index, however many records it finds (they expire by themselves).
_INVALIDATE = (
    _NOW
    + """
local remember = tonumber(ARGV[1])
local stamp = string.format('%.0f', now)
for j = 1, #KEYS do
  local left = redis.call('PTTL', KEYS[j])
  if left < remember then left = remember end
  redis.call('SET', KEYS[j], stamp, 'PX', left)
end
return #KEYS
"""
)


class RedisBackend:
    """Records in Redis, shared by every process and instance using it (so an invalidation in
    one is seen by all); keys start with `prefix`, and expire with their records. From `url`,
    a client is made for each event loop that uses the backend (a redis.asyncio connection
    belongs to the loop that opened it), with `timeout` seconds to connect and to answer; or
    give a `redis.asyncio.Redis` as `client`, used as it is. Each operation is one Lua script
    (one round trip); the scripts touch several keys, so use a single Redis, not a Cluster.
    Generations are times by Redis's clock (`TIME`), in microseconds."""

    def __init__(
        self,
        url: str | None = None,
        *,
        client: Any = None,
        prefix: str = "fasterapi:cache:",
        timeout: float = 1.0,
    ) -> None:
        self._redis = LoopClient(url, client, timeout, (_GET, _SET, _INVALIDATE))
        self.url = url
        self.timeout = timeout
        self.prefix = prefix

    def _scripts(self) -> tuple[Any, ...]:
        return self._redis.scripts()

    def _generation_keys(self, indexes: Sequence[str]) -> list[str]:
        return [self.prefix + "g:" + index for index in indexes]

    async def get(self, key: str, indexes: Sequence[str]) -> tuple[Record | None, float, int]:
        keys = [self.prefix + "e:" + key, *self._generation_keys(indexes)]
        found = await self._scripts()[0](keys=keys)
        if len(found) == 1:
            return None, 0.0, int(found[0])
        now, value, left = found
        return _decoder.decode(value), max(0, int(left)) / 1000, int(now)

    async def set(
        self, records: Sequence[tuple[str, Record]], ttl: float, indexes: Sequence[str], since: int
    ) -> bool:
        keys = [self.prefix + "e:" + key for key, _ in records]
        keys += self._generation_keys(indexes)
        values = [_encoder.encode(record) for _, record in records]
        ttl_ms = max(1, round(ttl * 1000))
        stored = await self._scripts()[1](keys=keys, args=[ttl_ms, since, len(records), *values])
        return bool(stored)

    async def invalidate(self, indexes: Sequence[str]) -> None:
        keys = self._generation_keys(indexes)
        await self._scripts()[2](keys=keys, args=[round(REMEMBER * 1000)])

    async def aclose(self) -> None:
        await self._redis.aclose()


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

    __slots__ = ("credentials", "no_cache", "no_store", "if_none_match", "host")

    def __init__(self, headers: Iterable[tuple[bytes, bytes]]) -> None:
        self.credentials = self.no_cache = self.no_store = False
        self.if_none_match: bytes | None = None
        self.host = b""
        for name, value in headers:
            if name == b"host":
                self.host = value
            elif name == b"authorization" or name == b"cookie":
                self.credentials = True
            elif name == b"cache-control":
                directives = _directives(value)
                self.no_cache = self.no_cache or "no-cache" in directives
                self.no_store = self.no_store or "no-store" in directives
            elif name == b"pragma":
                self.no_cache = self.no_cache or "no-cache" in _directives(value)
            elif name == b"if-none-match":
                self.if_none_match = value


def _directive_values(value: bytes) -> dict[str, str]:
    """A Cache-Control (or Pragma) header's directives, lowercased, with their values ("" for
    none; quotes removed)."""
    directives = {}
    for part in value.decode("latin-1").split(","):
        name, _, argument = part.partition("=")
        directives[name.strip().lower()] = argument.strip().strip('"')
    return directives


def _directives(value: bytes) -> set[str]:
    """A Cache-Control (or Pragma) header's directive names, lowercased."""
    return set(_directive_values(value))


def etag_matches(if_none_match: bytes, etag: bytes) -> bool:
    """Whether an If-None-Match header matches `etag`, by weak comparison (RFC 9110 13.1.2)."""
    if if_none_match.strip() == b"*":
        return True
    wanted = etag.removeprefix(b"W/")
    return any(tag.strip().removeprefix(b"W/") == wanted for tag in if_none_match.split(b","))


def strong_etag(body: bytes) -> bytes:
    """A strong ETag for a body: a hash of its bytes."""
    return b'"%s"' % hashlib.blake2b(body, digest_size=16).hexdigest().encode()


def _escaped(text: str, unsafe: str) -> str:
    """`text` with "%" and each character of `unsafe` percent-encoded, so that a key made of
    parts joined by those characters is made by one set of parts only."""
    if "%" in text:
        text = text.replace("%", "%25")
    for char in unsafe:
        if char in text:
            text = text.replace(char, f"%{ord(char):02X}")
    return text


def request_key(scope: dict[str, Any], host: bytes | None = None) -> str:
    """The key of a GET or HEAD request: the method (HEAD is GET's), scheme, host (the Host
    header, lowercased; `host` if given), path and query string, each escaped so that two
    requests that differ in any of them never share a key."""
    if host is None:
        host = next((value for name, value in scope["headers"] if name == b"host"), b"")
    authority = host.decode("latin-1").lower()
    if "%" in authority or "/" in authority or "?" in authority or "\n" in authority:
        authority = _escaped(authority, "/?\n")
    path: str = scope["path"]
    if "%" in path or "?" in path or "\n" in path:
        path = _escaped(path, "?\n")
    query = scope.get("query_string", b"").decode("latin-1")
    if "%" in query or "\n" in query:
        query = _escaped(query, "\n")
    return f"GET {scope.get('scheme', 'http')}://{authority}{path}?{query}"


def variant_key(key: str, vary: Sequence[str], headers: Iterable[tuple[bytes, bytes]]) -> str:
    """The key of the entry for a request whose response varies on the headers `vary`: each
    name with the values the request sends it with, each escaped (a comma in a value is not
    two values)."""
    values: dict[str, list[str]] = {name: [] for name in vary}
    for name, value in headers:
        held = values.get(name.decode("latin-1"))
        if held is not None:
            held.append(_escaped(value.decode("latin-1"), ",\n"))
    return key + "".join(
        "\n" + _escaped(name, ":,\n") + ":" + ",".join(values[name]) for name in vary
    )


def path_indexes(path: str) -> list[str]:
    """The indexes an entry for `path` is found by: each of its ancestors' paths, by segments
    ("/", "/items", "/items/3"; a trailing slash is not a segment), up to _PATH_DEPTH, and
    the path itself."""
    path = path.rstrip("/") or "/"
    indexes = ["p:/"]
    if path == "/":
        return indexes
    ancestor = ""
    for segment in path.split("/")[1:-1]:
        ancestor += "/" + segment
        indexes.append("p:" + ancestor)
        if len(indexes) > _PATH_DEPTH:
            break
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


def _scheme_of(call: Any) -> Any:
    """What a dependency's callable is, without partials and wrappers (a security scheme?)."""
    while isinstance(call, functools.partial):
        call = call.func
    return inspect.unwrap(call) if callable(call) else call


def private_because(route: Any) -> str | None:
    """Why a route's answers may be a caller's own, from its dependency graph (the route's,
    its router's and its app's dependencies): it uses a security scheme (`APIKeyHeader`,
    `HTTPBearer`, `OAuth2PasswordBearer`..., or `Security(...)` with scopes), or reads a
    `Header()` parameter; None if neither. A dependency that reads `request.headers` itself
    is not seen."""
    plan = getattr(route, "plan", None)
    root = getattr(plan, "root", None)
    if root is None:
        return "its route is not known"
    seen: set[int] = set()
    pending = [root]
    while pending:
        dependant = pending.pop()
        if id(dependant) in seen:
            continue
        seen.add(id(dependant))
        scheme = _scheme_of(dependant.call)
        if isinstance(scheme, SecurityBase):
            return f"it depends on the security scheme {scheme.scheme_name}"
        if dependant.own_oauth_scopes or dependant.security_scopes_param_name is not None:
            return "it depends on Security() scopes"
        for param in dependant.params:
            if param.source == "header":
                return f"it reads the {param.name} header"
        pending.extend(dependant.dependencies)
    return None


class _Policy:
    """One decorated route's options, and for each route serving it whether it is cached
    (worked out on its first request, again if the route is compiled anew)."""

    __slots__ = ("expire", "tags", "public", "routes", "_indexes")

    def __init__(self, expire: float, tags: tuple[str, ...], public: bool) -> None:
        self.expire = expire
        self.tags = tags
        self.public = public
        #: route -> (the plan it was compiled to, whether it is cached)
        self.routes: dict[Any, tuple[Any, bool]] = {}
        #: path -> the indexes its entries are found by (the last paths asked for)
        self._indexes: dict[str, list[str]] = {}

    def indexes(self, path: str) -> list[str]:
        """The indexes of an entry for `path`: by its path (path_indexes) and tags."""
        known = self._indexes.get(path)
        if known is None:
            known = path_indexes(path) + ["t:" + tag for tag in self.tags]
            if len(self._indexes) >= 1000:
                self._indexes.clear()
            self._indexes[path] = known
        return known

    def caches(self, route: Any) -> bool:
        """Whether answers of `route` are cached: it is public, or nothing makes them the
        caller's own (private_because); logged once per route at debug level if not."""
        if self.public:
            return True
        plan = getattr(route, "plan", None)
        known = self.routes.get(route)
        if known is not None and known[0] is plan:
            return known[1]
        reason = private_because(route)
        if reason is not None:
            _debug.debug(
                "%r is not cached: %s (@cache(public=True) if its answer is the same for "
                "every caller)",
                route,
                reason,
            )
        if len(self.routes) > 1000:  # (routes compiled again and again: keep the last ones)
            self.routes.clear()
        self.routes[route] = (plan, reason is None)
        return reason is None


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
        `invalidate`. `public=True` says the answer is the same for every caller (as a
        response marked `Cache-Control: public` may be stored by a shared cache, RFC 9111
        3.5): the route is cached although it uses a security scheme or reads a `Header()`
        parameter, and requests with `Authorization` or `Cookie` are served from the cache
        and stored too; an answer per caller then needs a `Vary: Authorization` (or the
        header that says who calls)."""
        if not isinstance(public, bool):
            raise TypeError(f"public must be True or False, not {public!r}")
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

    async def invalidate(self, *paths: str, tags: Iterable[str] = ()) -> None:
        """Drops the entries of each path and below it (by segments: "/items" drops
        "/items?page=2" and "/items/3", not "/itemsets"), whatever their query and host, and
        those of routes given any of `tags`; a request whose lookup began before does not
        store its answer under them. Call it where a write is done, after the write is
        committed and before answering, so that the next GET sees the write. With Redis it
        takes the same time however many entries it drops (they become misses and expire by
        themselves). If the backend fails, the failure is logged (the entries then expire in
        time)."""
        indexes = []
        for path in paths:
            if not isinstance(path, str) or not path.startswith("/"):
                raise ValueError(f"invalidate takes paths starting with '/', not {path!r}")
            indexes.append("p:" + (path.rstrip("/") or "/"))
        indexes += ["t:" + tag for tag in _check_tags(tags)]
        if not indexes:
            return
        try:
            await self.backend.invalidate(indexes)
        except Exception:
            _logger.exception("Cache invalidation failed (%s)", type(self.backend).__name__)

    async def clear(self) -> None:
        """Drops every entry of this cache's backend (under its prefix, for Redis)."""
        await self.invalidate("/")

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
        if scope["method"] not in ("GET", "HEAD") or not policy.caches(scope.get("route")):
            return await self._call(endpoint, scope, args, kwargs)
        headers = scope["headers"]
        asked = _Asked(headers)
        if asked.credentials and not policy.public:
            return await self._call(endpoint, scope, args, kwargs)
        key = request_key(scope, asked.host)
        indexes = policy.indexes(scope["path"])
        since: int | None = None  # the lookup's generation; None: not to be stored
        if not asked.no_store:  # (looked up with no-cache too: the generation to store by)
            try:
                found, left, since = await self.backend.get(key, indexes)
                if isinstance(found, Variants):
                    found, left, _ = await self.backend.get(
                        variant_key(key, found.vary, headers), indexes
                    )
            except Exception:  # the backend is down or slow: served uncached
                _logger.exception("Cache lookup failed (%s)", type(self.backend).__name__)
                found, since = None, None
            if isinstance(found, Entry) and not asked.no_cache:
                return self._hit(found, left, asked, injected)
        before = len(injected.raw_headers)
        result = await self._call(endpoint, scope, args, kwargs)
        response, merge = self._response(scope, result, injected, before)
        whole = isinstance(response, Response) and response.sent_whole
        entry = _entry(response, policy.expire, merge) if whole else None
        if entry is None:  # streamed, or not to be stored: as it is
            if merge:  # (with the dependencies' headers, as the route would have it)
                response.raw_headers += injected.raw_headers
            return response
        if since is not None:
            await self._store(key, entry, indexes, since, headers)
        answer = self._answer(entry, None, asked, injected if merge else None)
        answer.background = response.background  # (runs after this answer; not stored)
        return answer

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
        indexes: list[str],
        since: int,
        headers: Iterable[tuple[bytes, bytes]],
    ) -> None:
        records: list[tuple[str, Record]] = [(key, entry)]
        if entry.vary:
            records = [(key, Variants(entry.vary)), (variant_key(key, entry.vary, headers), entry)]
        try:
            await self.backend.set(records, entry.ttl, indexes, since)
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


def freshness(headers: Iterable[tuple[bytes, bytes]], now: float | None = None) -> float | None:
    """The seconds a response's own headers let a shared cache keep it (RFC 9111 4.2.1):
    its Cache-Control `s-maxage`, else `max-age`, else `Expires` less `Date` (or `now`, a Unix
    time); a value that cannot be read counts as expired (0). None if it says none."""
    shared = max_age = expires = date = None
    for name, value in headers:
        if name == b"cache-control":
            directives = _directive_values(value)
            if "s-maxage" in directives:
                shared = _seconds(directives["s-maxage"])
            if "max-age" in directives:
                max_age = _seconds(directives["max-age"])
        elif name == b"expires":
            expires = value
        elif name == b"date":
            date = value
    if shared is not None:
        return shared
    if max_age is not None:
        return max_age
    if expires is None:
        return None
    when = _http_date(expires)
    base = _http_date(date) if date is not None else None
    if when is None:
        return 0.0
    return max(0.0, when - (base if base is not None else now or time.time()))


def _seconds(text: str) -> float:
    return float(int(text)) if text.isdigit() else 0.0


def _http_date(value: bytes) -> float | None:
    try:
        return parsedate_to_datetime(value.decode("latin-1")).timestamp()
    except (TypeError, ValueError, IndexError):
        return None


def _entry(response: Response, expire: float, merge: bool) -> Entry | None:
    """The entry to store for a Response the route made, or None if it may not be stored: not
    a 200, with Set-Cookie, `Vary: *`, a Cache-Control that keeps it out of a shared cache,
    or no freshness left by its own headers. It is stored for `expire` seconds, or less if
    its headers say so; its ETag is added unless it has one."""
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
    ttl = expire
    if own_cache_control or any(name == b"expires" for name, _ in response.raw_headers):
        own = freshness(response.raw_headers)
        if own is not None:
            if own <= 0:
                return None
            ttl = min(expire, own)
    headers = list(response.raw_headers)
    if etag is None:
        etag = strong_etag(response.body)
        headers.append((b"etag", etag))
    return Entry(
        response.status_code,
        headers,
        response.body,
        ttl,
        etag,
        tuple(vary),
        own_cache_control,
        merge,
    )


__all__ = [
    "REMEMBER",
    "CacheBackend",
    "CachedResponse",
    "Entry",
    "MemoryBackend",
    "RedisBackend",
    "ResponseCache",
    "Variants",
    "etag_matches",
    "freshness",
    "path_indexes",
    "private_because",
    "request_key",
    "strong_etag",
    "variant_key",
]
