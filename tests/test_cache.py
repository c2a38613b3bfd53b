"""FasterAPI.contrib.cache: `@cache(expire=...)` on routes, in memory and in a real Redis
(started by the test), through both doors."""

import asyncio
import itertools

import pytest
from FasterAPI import Depends, FastAPI, Header, HTTPException, Response
from FasterAPI.contrib.cache import (
    Entry,
    MemoryBackend,
    RedisBackend,
    ResponseCache,
    etag_matches,
    path_indexes,
    request_key,
)
from FasterAPI.responses import PlainTextResponse, StreamingResponse
from pydantic import BaseModel

from tests.support.services import redis_server

pytestmark = pytest.mark.fasterapi_only


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Item(BaseModel):
    name: str
    price: float = 0.0


def counted_app(cache: ResponseCache, calls: list, **options) -> FastAPI:
    """An app with a cached `/items` (query `q`, a response model, a header of its own) and a
    dependency that sets a header per request."""
    app = FastAPI()
    ticks = itertools.count()

    def stamp(response: Response) -> None:
        response.headers["x-request"] = str(next(ticks))

    @app.get("/items", dependencies=[Depends(stamp)])
    @cache(**options)
    async def items(response: Response, q: str = "") -> list[Item]:
        calls.append(q)
        response.headers["x-made"] = str(len(calls))
        return [Item(name=f"item {q}")]

    return app


def test_a_miss_runs_the_endpoint_a_hit_does_not(make_client):
    calls = []
    client = make_client(counted_app(ResponseCache(), calls, expire=30))
    first = client.get("/items", params={"q": "a"})
    assert first.json() == [{"name": "item a", "price": 0.0}]
    assert first.headers["x-cache"] == "MISS"
    assert first.headers["cache-control"] == "max-age=30"
    assert "age" not in first.headers
    second = client.get("/items", params={"q": "a"})
    assert calls == ["a"]  # the endpoint ran once
    assert second.content == first.content
    assert second.headers["x-cache"] == "HIT"
    assert second.headers["age"] == "0" and second.headers["cache-control"] == "max-age=30"
    assert second.headers["etag"] == first.headers["etag"]
    assert second.headers["content-type"] == "application/json"
    # the endpoint's own header is stored; the dependency's is this request's
    assert second.headers["x-made"] == "1"
    assert (first.headers["x-request"], second.headers["x-request"]) == ("0", "1")
    # another query string is another entry
    assert client.get("/items", params={"q": "b"}).json()[0]["name"] == "item b"
    assert client.get("/items?q=a&").headers["x-cache"] == "MISS"  # (not the same query)
    assert calls == ["a", "b", "a"]


def test_entries_vary_on_the_headers_the_response_names(make_client):
    cache, calls = ResponseCache(), []
    app = FastAPI()

    @app.get("/greeting")
    @cache(expire=60)
    async def greeting(response: Response, accept_language: str = Header("en")):
        calls.append(accept_language)
        response.headers["vary"] = "Accept-Language"
        return {"hello": accept_language}

    client = make_client(app)
    for language in ("fr", "de", "fr", "de"):
        answer = client.get("/greeting", headers={"accept-language": language})
        assert answer.json() == {"hello": language}
        assert answer.headers["vary"] == "Accept-Language"
    assert client.get("/greeting").json() == {"hello": "en"}
    assert client.get("/greeting").headers["x-cache"] == "HIT"
    assert calls == ["fr", "de", "en"]


def test_credentials_are_not_cached_unless_the_route_is_public(make_client):
    cache, calls = ResponseCache(), []
    app = FastAPI()

    @app.get("/private")
    @cache()
    async def private():
        calls.append("private")
        return {"n": len(calls)}

    @app.get("/public")
    @cache(public=True)
    async def public():
        calls.append("public")
        return {"n": len(calls)}

    client = make_client(app)
    assert client.get("/private").headers["x-cache"] == "MISS"  # stored, without credentials
    for headers in ({"authorization": "Bearer x"}, {"cookie": "session=1"}):
        answer = client.get("/private", headers=headers)
        assert "x-cache" not in answer.headers  # neither served from the cache nor stored
        assert answer.json()["n"] == calls.count("private")
    assert client.get("/private").headers["x-cache"] == "HIT"
    assert calls.count("private") == 3
    assert client.get("/public", headers={"authorization": "Bearer x"}).headers["x-cache"] == "MISS"
    assert client.get("/public", headers={"cookie": "a=b"}).headers["x-cache"] == "HIT"
    assert client.get("/public").headers["x-cache"] == "HIT"
    assert calls.count("public") == 1


def test_what_is_not_stored(make_client):
    cache, calls = ResponseCache(), []
    app = FastAPI()

    @app.get("/cookie")
    @cache()
    async def cookie(response: Response):
        calls.append("cookie")
        response.set_cookie("seen", "1")
        return {}

    def stamp(response: Response) -> None:
        response.headers["x-request"] = "stamped"

    @app.get("/created", status_code=201, dependencies=[Depends(stamp)])
    @cache()
    async def created():
        calls.append("created")
        return {}

    @app.get("/missing")
    @cache()
    async def missing():
        calls.append("missing")
        raise HTTPException(404, "no such thing")

    @app.get("/no-store")
    @cache()
    async def no_store(response: Response):
        calls.append("no-store")
        response.headers["cache-control"] = "no-store"
        return {}

    @app.get("/private")
    @cache()
    async def private():
        calls.append("private")
        return PlainTextResponse("mine", headers={"cache-control": "private, max-age=5"})

    @app.get("/vary-all")
    @cache()
    async def vary_all():
        calls.append("vary-all")
        return PlainTextResponse("any", headers={"vary": "*"})

    @app.get("/stream")
    @cache()
    async def stream():
        calls.append("stream")

        async def chunks():
            yield b"one "
            yield b"two"

        return StreamingResponse(chunks(), media_type="text/plain")

    client = make_client(app)
    paths = ["/cookie", "/created", "/missing", "/no-store", "/private", "/vary-all", "/stream"]
    for path in paths:
        client.cookies.clear()  # (TestClient keeps /cookie's: a request with it is not cached)
        answers = [client.get(path) for _ in range(2)]
        assert all(answer.headers.get("x-cache") != "HIT" for answer in answers), path
    assert [calls.count(path[1:]) for path in paths] == [2] * len(paths)
    assert client.get("/stream").text == "one two"
    assert client.get("/private").headers["cache-control"] == "private, max-age=5"  # as it is
    assert client.get("/missing").json() == {"detail": "no such thing"}
    answer = client.get("/created")  # the dependency's header, on an answer not stored
    assert (answer.status_code, answer.headers["x-request"]) == (201, "stamped")


def test_etags_if_none_match_and_head(make_client):
    calls = []
    client = make_client(counted_app(ResponseCache(), calls))
    head = client.head("/items")  # HEAD first: stored for GET
    assert head.status_code == 200 and head.content == b""
    assert head.headers["x-cache"] == "MISS"
    etag = head.headers["etag"]
    assert etag.startswith('"') and len(etag) == 34  # strong: not W/
    full = client.get("/items")
    assert full.headers["x-cache"] == "HIT" and full.json() == [{"name": "item ", "price": 0.0}]
    assert full.headers["content-length"] == str(len(full.content))
    assert full.headers["etag"] == etag
    for match in (etag, f'"other", W/{etag}', "*"):
        answer = client.get("/items", headers={"if-none-match": match})
        assert answer.status_code == 304 and answer.content == b""
        assert answer.headers["etag"] == etag
        assert answer.headers["cache-control"] == "max-age=60"
        assert "content-type" not in answer.headers
    assert client.get("/items", headers={"if-none-match": '"other"'}).status_code == 200
    assert client.head("/items").headers["x-cache"] == "HIT"
    # on a miss too, once the answer is made
    assert client.get("/items?q=new", headers={"if-none-match": etag}).status_code == 200
    again = client.get("/items?q=new&x", headers={"if-none-match": "*"})
    assert (again.status_code, again.headers["x-cache"]) == (304, "MISS")
    assert calls == ["", "new", "new"]


def test_entries_expire(make_client):
    clock, calls = Clock(), []
    cache = ResponseCache(MemoryBackend(clock=clock), expire=10)
    client = make_client(counted_app(cache, calls))
    client.get("/items")
    clock.now += 4
    hit = client.get("/items")
    assert (hit.headers["age"], hit.headers["cache-control"]) == ("4", "max-age=6")
    clock.now += 6
    assert client.get("/items").headers["x-cache"] == "MISS"
    assert calls == ["", ""]


def test_a_request_may_skip_the_cache(make_client):
    calls = []
    client = make_client(counted_app(ResponseCache(), calls))
    client.get("/items")
    fresh = client.get("/items", headers={"cache-control": "no-cache"})  # looked up: no; stored
    assert fresh.headers["x-cache"] == "MISS" and fresh.headers["x-made"] == "2"
    assert client.get("/items").headers["x-made"] == "2"
    client.get("/items", headers={"cache-control": "max-age=0, no-store"})  # neither
    client.get("/items", headers={"pragma": "no-cache"})
    assert client.get("/items").headers["x-made"] == "4"
    assert len(calls) == 4


def writable_app(cache: ResponseCache) -> tuple[FastAPI, list]:
    """`/items` (tagged "items") and `/items/{id}`, cached; a POST that invalidates them."""
    app = FastAPI()
    store = {"1": "one"}
    calls = []

    @app.get("/items")
    @cache(tags=["items"])
    async def list_items():
        calls.append("list")
        return sorted(store.values())

    @app.get("/items/{item_id}")
    @cache()
    async def read_item(item_id: str):
        calls.append(item_id)
        return {"name": store.get(item_id)}

    @app.get("/itemsets")
    @cache()
    async def itemsets():
        calls.append("itemsets")
        return []

    @app.put("/items/{item_id}")
    async def write_item(item_id: str, name: str):
        store[item_id] = name
        dropped = await cache.invalidate(f"/items/{item_id}", tags=["items"])
        return {"dropped": dropped}

    @app.delete("/items")
    async def drop_all():
        return {"dropped": await cache.invalidate("/items")}

    return app, calls


def test_a_write_invalidates_by_path_and_by_tag(make_client):
    cache = ResponseCache()
    app, calls = writable_app(cache)
    client = make_client(app)
    for path in ("/items", "/items/1", "/items/1?fields=all", "/items/2", "/itemsets"):
        client.get(path)
    assert client.put("/items/1", params={"name": "uno"}).json() == {"dropped": 3}
    assert client.get("/items").json() == ["uno"]
    assert client.get("/items/1").json() == {"name": "uno"}
    assert client.get("/items/2").headers["x-cache"] == "HIT"
    assert client.get("/itemsets").headers["x-cache"] == "HIT"  # a segment is not a prefix
    assert client.delete("/items").json() == {"dropped": 3}  # /items, /items/1, /items/2
    assert client.get("/items/2").headers["x-cache"] == "MISS"
    assert calls.count("1") == 3 and calls.count("list") == 2  # (1 and 1?fields=all, then 1)
    assert asyncio.run(cache.clear()) == 2  # /itemsets and /items/2


def test_memory_is_bounded(make_client):
    backend = MemoryBackend(max_entries=2)
    calls = []
    client = make_client(counted_app(ResponseCache(backend), calls))
    for q in ("a", "b", "a", "c"):  # "a" used again: "b" is the least recently used
        client.get("/items", params={"q": q})
    assert len(backend) == 2
    assert client.get("/items", params={"q": "a"}).headers["x-cache"] == "HIT"
    assert client.get("/items", params={"q": "b"}).headers["x-cache"] == "MISS"
    assert calls == ["a", "b", "c", "b"]
    assert backend._indexes.keys() == {"p:/", "p:/items"}  # (dropped keys leave no index)
    assert len(backend._indexes["p:/"]) == 2


def test_sync_endpoints_and_bare_decorator(make_client):
    cache, calls = ResponseCache(), []
    app = FastAPI()

    @app.get("/sync")
    @cache
    def sync_endpoint(n: int = 0):
        calls.append(n)
        return {"n": n}

    @app.get("/threaded", threadpool=True)
    @cache(expire=5)
    def threaded():
        calls.append("t")
        return PlainTextResponse("t")

    client = make_client(app)
    assert [client.get("/sync?n=1").json() for _ in range(2)] == [{"n": 1}] * 2
    assert [client.get("/threaded").text for _ in range(2)] == ["t", "t"]
    assert client.get("/threaded").headers["cache-control"] == "max-age=5"
    assert calls == [1, "t"]
    assert client.get("/sync?n=x").status_code == 422  # the route's validation, as ever


def test_bad_options_are_refused():
    cache = ResponseCache()
    for expire in (0, -1, "60", True):
        with pytest.raises(ValueError, match="expire"):
            cache(expire=expire)
    with pytest.raises(ValueError, match="expire"):
        ResponseCache(expire=0)
    with pytest.raises(TypeError, match="tags"):
        cache(tags="items")
    with pytest.raises(TypeError, match="streams"):

        @cache
        async def items():
            yield 1

    async def endpoint():
        return {}

    with pytest.raises(TypeError, match="already cached"):
        cache(cache(endpoint))
    with pytest.raises(ValueError, match="starting with '/'"):
        asyncio.run(cache.invalidate("items"))
    with pytest.raises(ValueError, match="max_entries"):
        MemoryBackend(max_entries=0)
    with pytest.raises(ValueError, match="url or a client"):
        RedisBackend()


def test_keys_indexes_and_etag_matching():
    scope = {"method": "HEAD", "path": "/a?b", "query_string": b"c=1"}
    assert request_key(scope) == "GET /a%3Fb?c=1"
    assert path_indexes("/items/3/") == ["p:/", "p:/items", "p:/items/3"]
    assert path_indexes("/") == ["p:/"]
    assert len(path_indexes("/x" * 100)) == 18  # 16 ancestors deep, and the path
    assert etag_matches(b'W/"a", "b"', b'"a"') and not etag_matches(b'"ab"', b'"a"')


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory):
    with redis_server(tmp_path_factory.mktemp("redis")) as url:
        yield url


def test_two_instances_share_entries_and_invalidations_in_redis(redis_url, make_client):
    """Two apps (as two instances behind a load balancer) caching in the same Redis: what
    one stores the other serves, and a write on either drops it for both."""
    prefix = f"t{id(make_client)}:"
    apps = [writable_app(ResponseCache(RedisBackend(redis_url, prefix=prefix))) for _ in "ab"]
    first, second = (make_client(app) for app, _ in apps)
    assert first.get("/items").headers["x-cache"] == "MISS"
    hit = second.get("/items")
    assert (hit.headers["x-cache"], hit.json()) == ("HIT", ["one"])
    second.get("/items/1")
    assert first.get("/items/1").headers["x-cache"] == "HIT"
    assert second.put("/items/1", params={"name": "uno"}).json() == {"dropped": 2}
    # (each instance has its own store: the first still holds "one", but fetches it anew)
    assert first.get("/items").headers["x-cache"] == "MISS"
    assert first.get("/items/1").headers["x-cache"] == "MISS"
    assert [calls.count("list") for _, calls in apps] == [2, 0]


def test_redis_entries_vary_expire_and_keep_their_etag(redis_url, make_client):
    backend = RedisBackend(redis_url, prefix=f"v{id(make_client)}:")
    cache, calls = ResponseCache(backend, expire=1), []
    app = FastAPI()

    @app.get("/greeting")
    @cache()
    async def greeting(response: Response, accept_language: str = Header("en")):
        calls.append(accept_language)
        response.headers["vary"] = "accept-language"
        return {"hello": accept_language}

    client = make_client(app)
    fr = {"accept-language": "fr"}
    first = client.get("/greeting", headers=fr)
    assert client.get("/greeting").json() == {"hello": "en"}
    hit = client.get("/greeting", headers=fr)
    assert (hit.headers["x-cache"], hit.json()) == ("HIT", {"hello": "fr"})
    assert (
        client.get("/greeting", headers={**fr, "if-none-match": first.headers["etag"]}).status_code
        == 304
    )
    assert calls == ["fr", "en"]
    import time

    time.sleep(1.2)  # past the entries' second in Redis
    assert client.get("/greeting", headers=fr).headers["x-cache"] == "MISS"
    assert calls == ["fr", "en", "fr"]


def test_redis_indexes_hold_live_keys_only(redis_url):
    import redis.asyncio

    async def run() -> None:
        client = redis.asyncio.Redis.from_url(redis_url)
        backend = RedisBackend(client=client, prefix="idx:")
        entry = Entry(200, [], b"x", 0.2, b'"e"')
        await backend.set([("old", entry)], 0.2, ["t:a"])
        await asyncio.sleep(0.3)
        await backend.set([("new", entry)], 60, ["t:a"])
        assert await client.zrange("idx:i:t:a", 0, -1) == [b"idx:e:new"]  # "old" trimmed
        assert 59_000 < await client.pttl("idx:i:t:a") <= 60_000
        found = await backend.get("new")
        assert found is not None and found[0] == entry and 59 < found[1] <= 60
        assert await backend.invalidate(["t:a", "t:none"]) == 1
        assert await backend.get("new") is None and not await client.exists("idx:i:t:a")
        await backend.aclose()

    asyncio.run(run())


def test_a_dead_redis_fails_open(make_client, caplog):
    from tests.support.servers import free_port

    down = RedisBackend(f"redis://127.0.0.1:{free_port()}/0")  # nothing listens there
    calls = []
    app = counted_app(ResponseCache(down), calls)
    cache = ResponseCache(down)

    @app.post("/write")
    async def write():
        return {"dropped": await cache.invalidate("/items")}

    client = make_client(app)
    answers = [client.get("/items") for _ in range(2)]
    assert [answer.status_code for answer in answers] == [200, 200]
    assert answers[1].json() == [{"name": "item ", "price": 0.0}]
    assert "x-cache" in answers[0].headers and calls == ["", ""]
    assert client.post("/write").json() == {"dropped": 0}
    logged = [record.getMessage() for record in caplog.records]
    assert "Cache lookup failed (RedisBackend)" in logged
    assert "Cache invalidation failed (RedisBackend)" in logged
