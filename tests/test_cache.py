"""FasterAPI.contrib.cache: `@cache(expire=...)` on routes, in memory and in a real Redis
(started by the test), through both doors."""

import asyncio
import itertools
import logging
import time

import pytest
from FasterAPI import (
    APIRouter,
    Depends,
    FastAPI,
    Header,
    HTTPException,
    Request,
    Response,
    Security,
)
from FasterAPI.background import BackgroundTask
from FasterAPI.contrib.cache import (
    Entry,
    MemoryBackend,
    RedisBackend,
    ResponseCache,
    Variants,
    etag_matches,
    freshness,
    path_indexes,
    request_key,
    variant_key,
)
from FasterAPI.responses import JSONResponse, PlainTextResponse, StreamingResponse
from FasterAPI.security import APIKeyHeader, OAuth2PasswordBearer
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
    @cache(expire=60, public=True)  # (it reads a header: public, with a Vary on it)
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
        await cache.invalidate(f"/items/{item_id}", tags=["items"])
        return {"written": item_id}

    @app.delete("/items")
    async def drop_all():
        await cache.invalidate("/items")
        return {}

    return app, calls


def test_a_write_invalidates_by_path_and_by_tag(any_backend, make_client):
    cache = ResponseCache(any_backend())
    app, calls = writable_app(cache)
    client = make_client(app)
    for path in ("/items", "/items/1", "/items/1?fields=all", "/items/2", "/itemsets"):
        client.get(path)
    assert client.put("/items/1", params={"name": "uno"}).json() == {"written": "1"}
    assert client.get("/items").json() == ["uno"]
    assert client.get("/items/1").json() == {"name": "uno"}
    assert client.get("/items/1?fields=all").headers["x-cache"] == "MISS"
    assert client.get("/items/2").headers["x-cache"] == "HIT"
    assert client.get("/itemsets").headers["x-cache"] == "HIT"  # a segment is not a prefix
    client.delete("/items")  # /items, /items/1, /items/2
    assert client.get("/items/2").headers["x-cache"] == "MISS"
    assert client.get("/itemsets").headers["x-cache"] == "HIT"
    assert calls.count("1") == 4 and calls.count("list") == 2
    asyncio.run(cache.clear())
    assert client.get("/itemsets").headers["x-cache"] == "MISS"


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
    assert backend.size > 2 * len(b'[{"name":"item a","price":0.0}]')


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
    with pytest.raises(ValueError, match="max_bytes"):
        MemoryBackend(max_bytes=0)
    with pytest.raises(TypeError, match="public"):
        cache(public="yes")
    with pytest.raises(ValueError, match="url or a client"):
        RedisBackend()


def test_keys_indexes_and_etag_matching():
    scope = {
        "method": "HEAD",
        "scheme": "https",
        "path": "/a?b",
        "query_string": b"c=1",
        "headers": [(b"host", b"Example.COM")],
    }
    assert request_key(scope) == "GET https://example.com/a%3Fb?c=1"
    assert path_indexes("/items/3/") == ["p:/", "p:/items", "p:/items/3"]
    assert path_indexes("/") == ["p:/"]
    assert len(path_indexes("/x" * 100)) == 18  # 16 ancestors deep, and the path
    assert etag_matches(b'W/"a", "b"', b'"a"') and not etag_matches(b'"ab"', b'"a"')


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory):
    with redis_server(tmp_path_factory.mktemp("redis")) as url:
        yield url


_prefixes = itertools.count()


@pytest.fixture(params=["memory", "redis"])
def any_backend(request):
    """`any_backend(**options)`: a MemoryBackend, or a RedisBackend on a real redis-server
    (under a prefix of its own)."""
    if request.param == "memory":
        return MemoryBackend
    url = request.getfixturevalue("redis_url")
    return lambda: RedisBackend(url, prefix=f"b{next(_prefixes)}:")


# -- whose answers are not cached ------------------------------------------------------------


def test_routes_whose_answer_may_be_the_callers_own_are_not_cached(make_client, caplog):
    """A security scheme or a Header() anywhere in a route's dependencies (its router's
    included) keeps it uncached, unless `public=True`: Bob never gets Alice's answer."""
    cache, calls = ResponseCache(), []
    api_key = APIKeyHeader(name="X-API-Key")
    users = {"alice-key": "alice", "bob-key": "bob"}

    def user(key: str = Depends(api_key)) -> str:
        return users[key]

    def user_by_header(x_api_key: str = Header()) -> str:
        return users[x_api_key]

    oauth2 = OAuth2PasswordBearer(tokenUrl="token")

    def scoped_user(token: str = Depends(oauth2)) -> str:
        return users[token]

    app = FastAPI()
    secured = APIRouter(dependencies=[Depends(api_key)])

    @app.get("/me")
    @cache
    async def me(name: str = Depends(user)):
        calls.append("me")
        return {"user": name}

    @app.get("/by-header")
    @cache
    async def by_header(name: str = Depends(user_by_header)):
        calls.append("by-header")
        return {"user": name}

    @app.get("/scoped")
    @cache
    async def scoped(name: str = Security(scoped_user, scopes=["read"])):
        calls.append("scoped")
        return {"user": name}

    @secured.get("/router-level")
    @cache
    async def router_level():  # (the same answer, behind the router's key check)
        calls.append("router-level")
        return {"calls": len(calls)}

    @app.get("/shared")
    @cache(public=True)
    async def shared(name: str = Depends(user)):
        calls.append("shared")
        return {"greeting": "hello"}  # (says it is the same for every caller)

    app.include_router(secured)
    client = make_client(app)
    caplog.set_level(logging.DEBUG, logger="fasterapi.cache")
    for path in ("/me", "/by-header", "/router-level", "/scoped"):
        for caller in ("alice-key", "bob-key", "bob-key"):
            headers = {"x-api-key": caller}
            if path == "/scoped":
                headers = {"authorization-token": caller}  # (401 without Authorization)
                continue
            answer = client.get(path, headers=headers)
            assert answer.status_code == 200, path
            assert "x-cache" not in answer.headers, path
            if path != "/router-level":
                assert answer.json() == {"user": users[caller]}
        assert calls.count(path[1:]) == (3 if path != "/scoped" else 0)
    assert client.get("/scoped").status_code == 401  # (uncached: its dependency runs)
    # said public: cached, whoever calls
    assert client.get("/shared", headers={"x-api-key": "alice-key"}).headers["x-cache"] == "MISS"
    assert client.get("/shared", headers={"x-api-key": "bob-key"}).headers["x-cache"] == "HIT"
    assert client.get("/shared").status_code == 401  # the dependency still runs on each
    assert calls.count("shared") == 1
    why = [r.getMessage() for r in caplog.records if r.name == "fasterapi.cache"]
    assert len([m for m in why if "/me'" in m]) == 1  # once per route
    assert any("security scheme APIKeyHeader" in m for m in why if "/me'" in m)
    assert any("x-api-key header" in m for m in why if "/by-header'" in m)
    assert any("security scheme APIKeyHeader" in m for m in why if "/router-level'" in m)
    assert not any("/shared'" in m for m in why)


def test_the_key_has_the_scheme_and_the_host(make_client):
    cache = ResponseCache()
    app = FastAPI()

    @app.get("/link")
    @cache
    async def link(request: Request):
        return {"self": str(request.url_for("link"))}

    client = make_client(app)
    assert client.get("/link", headers={"host": "evil.example"}).json() == {
        "self": "http://evil.example/link"
    }
    normal = client.get("/link")
    assert (normal.headers["x-cache"], normal.json()) == (
        "MISS",
        {"self": "http://testserver/link"},
    )
    assert client.get("/link", headers={"host": "TestServer"}).headers["x-cache"] == "HIT"


def test_paths_queries_and_header_values_never_share_a_key(make_client):
    cache, calls = ResponseCache(), []
    app = FastAPI()

    @app.get("/files/{name:path}")
    @cache
    async def files(name: str):
        calls.append(name)
        return {"name": name}

    @app.get("/vary")
    @cache(public=True)
    async def vary(request: Request, response: Response):
        response.headers["vary"] = "x-v"
        return {"x-v": request.headers.getlist("x-v")}

    client = make_client(app)
    assert client.get("/files/a%253Fb").json() == {"name": "a%3Fb"}
    assert client.get("/files/a%3Fb").json() == {"name": "a?b"}  # (not the entry of a%3Fb)
    assert client.get("/files/a%3Fb").headers["x-cache"] == "HIT"
    assert client.get("/files/a%0Ab").json() == {"name": "a\nb"}
    assert client.get("/files/a%250Ab").json() == {"name": "a%0Ab"}
    assert calls == ["a%3Fb", "a?b", "a\nb", "a%0Ab"]
    one = client.get("/vary", headers=[("x-v", "a,b")])
    two = client.get("/vary", headers=[("x-v", "a"), ("x-v", "b")])
    assert one.json() == {"x-v": ["a,b"]} and two.json() == {"x-v": ["a", "b"]}
    assert two.headers["x-cache"] == "MISS"
    scope = {"scheme": "http", "path": "/", "query_string": b"", "headers": []}
    keys = {
        request_key({**scope, "headers": [(b"host", b"a/b")], "path": "/c"}),
        request_key({**scope, "headers": [(b"host", b"a")], "path": "/b/c"}),
        variant_key("k", ["a", "b"], [(b"a", b"1\nb:2")]),
        variant_key("k", ["a", "b"], [(b"a", b"1"), (b"b", b"2")]),
    }
    assert len(keys) == 4


def test_a_returned_responses_background_runs_on_a_miss(make_client):
    cache, ran = ResponseCache(), []
    app = FastAPI()

    @app.get("/bg")
    @cache
    async def bg():
        ran.append("endpoint")
        return JSONResponse({"ok": 1}, background=BackgroundTask(ran.append, "task"))

    client = make_client(app)
    assert client.get("/bg").headers["x-cache"] == "MISS"
    assert ran == ["endpoint", "task"]
    assert client.get("/bg").headers["x-cache"] == "HIT"
    assert ran == ["endpoint", "task"]  # (a hit runs neither: the task is not stored)


def test_the_endpoints_own_freshness_caps_the_lifetime(make_client):
    clock = Clock()
    cache, calls = ResponseCache(MemoryBackend(clock=clock), expire=60), []
    app = FastAPI()
    future = "Thu, 01 Jan 2099 00:00:10 GMT"

    @app.get("/fresh/{how}")
    @cache
    async def fresh(how: str, response: Response):
        calls.append(how)
        headers = {
            "max-age-0": {"cache-control": "public, max-age=0, must-revalidate"},
            "s-maxage": {"cache-control": "public, max-age=100, s-maxage=5"},
            "max-age": {"cache-control": "max-age=7"},
            "long": {"cache-control": "max-age=600"},
            "expired": {"expires": "Thu, 01 Jan 1970 00:00:00 GMT"},
            "bad-date": {"expires": "0"},
            "expires": {"expires": future, "date": "Thu, 01 Jan 2099 00:00:00 GMT"},
        }[how]
        response.headers.update(headers)
        return {"how": how}

    client = make_client(app)
    for how in ("max-age-0", "expired", "bad-date"):
        for _ in range(2):
            assert client.get(f"/fresh/{how}").headers.get("x-cache") != "HIT", how
        assert calls.count(how) == 2
    for how, seconds in (("s-maxage", 5), ("max-age", 7), ("expires", 10), ("long", 60)):
        client.get(f"/fresh/{how}")
        clock.now += seconds - 1
        assert client.get(f"/fresh/{how}").headers["x-cache"] == "HIT", how
        clock.now += 1
        assert client.get(f"/fresh/{how}").headers["x-cache"] == "MISS", how
    hit = client.get("/fresh/expires")
    assert (hit.headers["cache-control"], hit.headers["expires"]) == ("max-age=10", future)
    assert freshness([(b"cache-control", b'max-age="3"')]) == 3
    assert freshness([(b"cache-control", b"public")]) is None


@pytest.mark.parametrize("by", ["path", "tag"])
def test_a_lookup_begun_before_an_invalidation_does_not_store(any_backend, make_client, by):
    """A GET reads the row, then (before it answers) a write commits and invalidates, by the
    GET's path or by its tag: the GET's answer, made of the old row, is sent, not stored."""
    cache = ResponseCache(any_backend())
    db = {"name": "old"}
    app = FastAPI()

    @app.get("/items/1")
    @cache(tags=["items"])
    async def read_item(race: bool = False):
        name = db["name"]  # the SELECT
        if race:  # meanwhile, a PUT commits and invalidates
            db["name"] = "new"
            if by == "path":
                await cache.invalidate("/items")
            else:
                await cache.invalidate("/elsewhere", tags=["items"])
        return {"name": name}

    client = make_client(app)
    raced = client.get("/items/1", params={"race": "1"})
    assert (raced.headers["x-cache"], raced.json()) == ("MISS", {"name": "old"})
    again = client.get("/items/1", params={"race": "1"})  # (the old answer was not stored)
    assert (again.headers["x-cache"], again.json()) == ("MISS", {"name": "new"})
    assert client.get("/items/1", params={"race": "1"}).headers["x-cache"] == "MISS"
    assert client.get("/items/1").headers["x-cache"] == "MISS"  # after it: stored
    assert client.get("/items/1").json() == {"name": "new"}
    assert client.get("/items/1").headers["x-cache"] == "HIT"


def test_memory_counts_bytes_and_keeps_a_variant_with_its_record(make_client):
    backend = MemoryBackend(max_entries=1)
    cache, calls = ResponseCache(backend), []
    app = FastAPI()

    @app.get("/lang")
    @cache(public=True)
    async def lang(response: Response, accept_language: str = Header("en")):
        calls.append(accept_language)
        response.headers["vary"] = "Accept-Language"
        return {"lang": accept_language}

    @app.get("/big/{size}")
    @cache
    async def big(size: int):
        calls.append(size)
        return PlainTextResponse("x" * size)

    client = make_client(app)
    fr = {"accept-language": "fr"}
    assert client.get("/lang", headers=fr).headers["x-cache"] == "MISS"
    assert client.get("/lang", headers=fr).headers["x-cache"] == "HIT"  # (its Variants kept)
    assert len(backend) == 2
    backend = MemoryBackend(max_bytes=3000)
    cache.backend = backend
    for size in (1000, 1001, 1002, 5000):
        client.get(f"/big/{size}")
    assert len(backend) == 2 and backend.size <= 3000  # (the third pushed the first out)
    assert client.get("/big/1002").headers["x-cache"] == "HIT"
    assert client.get("/big/1000").headers["x-cache"] == "MISS"
    assert client.get("/big/5000").headers["x-cache"] == "MISS"  # (larger than it all)
    assert calls.count(5000) == 2


def test_memory_forgets_old_invalidations():
    clock = Clock()
    backend = MemoryBackend(max_entries=2, clock=clock)
    entry = Entry(200, [], b"x", 10, b'"e"')

    async def run() -> None:
        _, _, since = await backend.get("k", ["t:a"])
        for tag in "abc":
            await backend.invalidate([f"t:{tag}"])
        assert list(backend._invalidated) == ["t:b", "t:c"]  # (at most max_entries)
        assert not await backend.set([("k", entry)], 10, ["t:b"], since)
        clock.now += 301  # past REMEMBER
        await backend.invalidate(["t:d"])
        assert list(backend._invalidated) == ["t:d"]
        _, _, since = await backend.get("k", ["t:a"])
        assert await backend.set([("k", entry)], 10, ["t:a"], since)
        assert (await backend.get("k", []))[0] == entry

    asyncio.run(run())


# -- Redis --------------------------------------------------------------------------------


def test_two_instances_share_entries_and_invalidations_in_redis(redis_url, make_client):
    """Two apps (as two instances behind a load balancer) caching in the same Redis: what
    one stores the other serves, and a write on either drops it for both."""
    prefix = f"t{next(_prefixes)}:"
    apps = [writable_app(ResponseCache(RedisBackend(redis_url, prefix=prefix))) for _ in "ab"]
    first, second = (make_client(app) for app, _ in apps)
    assert first.get("/items").headers["x-cache"] == "MISS"
    hit = second.get("/items")
    assert (hit.headers["x-cache"], hit.json()) == ("HIT", ["one"])
    second.get("/items/1")
    assert first.get("/items/1").headers["x-cache"] == "HIT"
    import redis

    with redis.Redis.from_url(redis_url) as plain:
        entries = sorted(plain.keys(prefix + "e:*"))
        assert len(entries) == 2
        second.put("/items/1", params={"name": "uno"})
        # (invalidated by a generation: no entry is deleted, they are misses now)
        assert sorted(plain.keys(prefix + "e:*")) == entries
    # (each instance has its own store: the first still holds "one", but fetches it anew)
    assert first.get("/items").headers["x-cache"] == "MISS"
    assert first.get("/items/1").headers["x-cache"] == "MISS"
    assert [calls.count("list") for _, calls in apps] == [2, 0]


def test_redis_entries_vary_expire_and_keep_their_etag(redis_url, make_client):
    backend = RedisBackend(redis_url, prefix=f"v{next(_prefixes)}:")
    cache, calls = ResponseCache(backend, expire=1), []
    app = FastAPI()

    @app.get("/greeting")
    @cache(public=True)
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
    time.sleep(1.2)  # past the entries' second in Redis
    assert client.get("/greeting", headers=fr).headers["x-cache"] == "MISS"
    assert calls == ["fr", "en", "fr"]


def test_redis_keeps_an_entry_no_longer_than_its_own_max_age(redis_url, make_client):
    import redis

    prefix = f"m{next(_prefixes)}:"
    cache = ResponseCache(RedisBackend(redis_url, prefix=prefix), expire=600)
    app = FastAPI()

    @app.get("/short")
    @cache
    async def short(response: Response):
        response.headers["cache-control"] = "public, max-age=60, s-maxage=2"
        return {}

    client = make_client(app)
    client.get("/short")
    assert client.get("/short").headers["x-cache"] == "HIT"
    with redis.Redis.from_url(redis_url) as plain:
        (key,) = plain.keys(prefix + "e:*")
        assert 1000 < plain.pttl(key) <= 2000


def test_redis_invalidation_is_one_write_per_index(redis_url):
    """Invalidating "/" over many entries writes one key, deletes none (they become misses
    and expire by themselves), and keeps Redis free for others meanwhile."""
    import redis.asyncio

    async def run() -> None:
        client = redis.asyncio.Redis.from_url(redis_url)
        prefix = f"o{next(_prefixes)}:"
        backend = RedisBackend(client=client, prefix=prefix)
        entry = Entry(200, [], b"x", 600, b'"e"')
        count = 2000
        for n in range(count):
            indexes = path_indexes(f"/q/{n}")
            _, _, since = await backend.get(f"k{n}", indexes)
            assert await backend.set([(f"k{n}", entry)], 600, indexes, since)
        before = len(await client.keys(prefix + "*"))
        assert before == count + count + 2  # entries; generations: /, /q, each /q/n
        found, left, _ = await backend.get("k7", path_indexes("/q/7"))
        assert found == entry and 590 < left <= 600  # (2,000 writes ago, on a busy machine)
        await backend.invalidate(["p:/q"])
        assert len(await client.keys(prefix + "*")) == before  # nothing deleted
        assert (await backend.get("k7", path_indexes("/q/7")))[0] is None
        assert 590_000 < await client.pttl(prefix + "g:p:/q") <= 600_000  # (as its entries)
        await backend.invalidate(["t:never-stored"])  # remembered REMEMBER seconds
        assert 290_000 < await client.pttl(prefix + "g:t:never-stored") <= 300_000
        # a lookup begun before an invalidation does not store
        _, _, since = await backend.get("k7", path_indexes("/q/7"))
        await backend.invalidate(["p:/q/7"])
        assert not await backend.set([("k7", entry)], 60, path_indexes("/q/7"), since)
        _, _, since = await backend.get("k7", path_indexes("/q/7"))
        variants = Variants(("accept",))
        assert await backend.set([("k7", variants)], 60, path_indexes("/q/7"), since)
        assert (await backend.get("k7", path_indexes("/q/7")))[0] == variants
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
        await cache.invalidate("/items")
        return {}

    client = make_client(app)
    answers = [client.get("/items") for _ in range(2)]
    assert [answer.status_code for answer in answers] == [200, 200]
    assert answers[1].json() == [{"name": "item ", "price": 0.0}]
    assert "x-cache" in answers[0].headers and calls == ["", ""]
    assert client.post("/write").status_code == 200
    logged = [record.getMessage() for record in caplog.records]
    assert "Cache lookup failed (RedisBackend)" in logged
    assert "Cache invalidation failed (RedisBackend)" in logged
