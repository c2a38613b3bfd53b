"""FasterAPI.contrib.ratelimit: a token bucket per client as a dependency, in memory and in a
real Redis (started by the test), through both doors."""

import asyncio

import pytest
from FasterAPI import APIRouter, Depends, FastAPI, Request
from FasterAPI.contrib.ratelimit import MemoryBackend, RateLimiter, RedisBackend, parse_rate

from tests.support.services import redis_server

pytestmark = pytest.mark.fasterapi_only


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def limits(response) -> dict[str, str]:
    return {
        name: value
        for name, value in response.headers.items()
        if name.startswith("ratelimit-") or name == "retry-after"
    }


def test_a_client_past_its_rate_gets_429_until_its_bucket_refills(make_client):
    clock = Clock()
    limiter = RateLimiter("3/minute", backend=MemoryBackend(clock=clock))
    app = FastAPI()

    @app.get("/items", dependencies=[Depends(limiter)])
    async def items():
        return ["a"]

    client = make_client(app)
    for remaining, reset in ((2, 20), (1, 40), (0, 60)):
        response = client.get("/items")
        assert response.json() == ["a"]
        assert limits(response) == {
            "ratelimit-limit": "3",
            "ratelimit-remaining": str(remaining),
            "ratelimit-reset": str(reset),
        }
    refused = client.get("/items")
    assert (refused.status_code, refused.json()) == (429, {"detail": "Too Many Requests"})
    assert limits(refused) == {
        "ratelimit-limit": "3",
        "ratelimit-remaining": "0",
        "ratelimit-reset": "60",
        "retry-after": "20",
    }
    clock.now += 20  # one token back
    assert client.get("/items").status_code == 200
    assert client.get("/items").status_code == 429


def test_keys_bursts_and_app_wide_limits(make_client):
    clock = Clock()

    def api_key(request: Request) -> str:
        return request.headers.get("x-api-key", "anonymous")

    per_key = RateLimiter("1/second", burst=2, key=api_key, backend=MemoryBackend(clock=clock))
    app_wide = RateLimiter("100/minute", backend=MemoryBackend(clock=clock))
    app = FastAPI(dependencies=[Depends(app_wide)])
    router = APIRouter(dependencies=[Depends(per_key)])

    @router.get("/search")
    async def search():
        return {"ok": True}

    @app.get("/free")
    async def free():
        return {"ok": True}

    app.include_router(router)
    client = make_client(app)
    for key in ("alice", "bob"):  # each key has its own bucket of 2
        codes = [client.get("/search", headers={"x-api-key": key}).status_code for _ in range(3)]
        assert codes == [200, 200, 429]
    # the app-wide limiter, which runs first, counts every request: this one is the 7th
    assert limits(client.get("/free"))["ratelimit-remaining"] == "93"


def test_memory_is_bounded_and_rates_are_checked():
    async def run() -> None:
        backend = MemoryBackend(max_keys=2, clock=Clock())
        for key in ("a", "b", "c"):
            assert (await backend.hit(key, 1, 1.0)).allowed
        assert len(backend._buckets) == 2 and "a" not in backend._buckets  # forgotten first
        assert not (await backend.hit("c", 1, 1.0)).allowed

        clock = Clock()
        backend = MemoryBackend(clock=clock)
        await backend.hit("k", 2, 1.0)
        clock.now -= 100  # a clock that went back gives no tokens, and takes none
        assert await backend.hit("k", 2, 1.0) == (True, 0.0)

    asyncio.run(run())
    assert parse_rate("10/minute") == (10, 60.0)
    assert parse_rate("5/30seconds") == (5, 30.0)
    for bad in ("ten/minute", "10/fortnight", "0/second", "10", "5/0seconds"):
        with pytest.raises(ValueError, match="invalid rate"):
            RateLimiter(bad)
    with pytest.raises(ValueError, match="burst"):
        RateLimiter("1/second", burst=0)
    with pytest.raises(ValueError, match="url or a client"):
        RedisBackend()


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory):
    with redis_server(tmp_path_factory.mktemp("redis")) as url:
        yield url


def test_two_instances_share_one_budget_in_redis(redis_url, make_client):
    """Two apps (as two instances behind a load balancer) with limiters on the same Redis:
    a client's budget is spent on either."""

    def instance() -> FastAPI:
        limiter = RateLimiter("5/minute", backend=RedisBackend(redis_url), scope="shared")
        app = FastAPI()

        @app.get("/items", dependencies=[Depends(limiter)])
        async def items():
            return {"ok": True}

        return app

    first, second = make_client(instance()), make_client(instance())
    codes = [client.get("/items").status_code for client in (first, second) * 3]
    assert codes == [200, 200, 200, 200, 200, 429]
    refused = second.get("/items")
    assert refused.status_code == 429 and 1 <= int(refused.headers["retry-after"]) <= 12


def test_redis_buckets_are_atomic_refill_on_redis_time_and_expire(redis_url):
    import redis.asyncio

    async def run() -> None:
        client = redis.asyncio.Redis.from_url(redis_url)
        backend = RedisBackend(client=client, prefix="t:")
        hits = await asyncio.gather(*(backend.hit("k", 20, 0.001) for _ in range(60)))
        assert sum(hit.allowed for hit in hits) == 20  # exactly the budget, however raced
        assert 0 < await client.pttl("t:k") <= 20_000_000 + 1000
        assert (await backend.hit("fast", 1, 2.0)).allowed
        assert not (await backend.hit("fast", 1, 2.0)).allowed  # (a token takes 0.5 s)
        await asyncio.sleep(1.2)  # more than 2 tokens' worth, capped at 1
        assert (await backend.hit("fast", 1, 2.0)).allowed
        assert not (await backend.hit("fast", 1, 2.0)).allowed
        await backend.aclose()

    asyncio.run(run())


def test_limiters_keep_their_own_buckets_and_any_key_works(make_client):
    backend = MemoryBackend()
    app = FastAPI()
    login = RateLimiter("2/minute", backend=backend, key=lambda r: r.headers.get("x-user"))
    search = RateLimiter("2/minute", backend=backend, key=lambda r: len(r.url.path))
    shared = [RateLimiter("2/minute", backend=backend, scope="both") for _ in range(2)]

    @app.get("/login", dependencies=[Depends(login)])
    async def do_login():
        return {}

    @app.get("/search", dependencies=[Depends(search)])
    async def do_search():
        return {}

    @app.get("/a", dependencies=[Depends(shared[0])])
    async def a():
        return {}

    @app.get("/b", dependencies=[Depends(shared[1])])
    async def b():
        return {}

    client = make_client(app)
    # the same rate on one backend: separate budgets (a key of None or an int is a key too)
    assert [client.get("/login").status_code for _ in range(3)] == [200, 200, 429]
    assert [client.get("/search").status_code for _ in range(3)] == [200, 200, 429]
    # one scope: one budget
    assert [client.get(path).status_code for path in ("/a", "/b", "/a")] == [200, 200, 429]


def test_a_backend_that_fails_gives_503_or_lets_through(make_client):
    from tests.support.servers import free_port

    down = f"redis://127.0.0.1:{free_port()}/0"  # nothing listens there
    app = FastAPI()

    @app.get("/closed", dependencies=[Depends(RateLimiter("5/minute", backend=RedisBackend(down)))])
    async def closed():
        return {}

    lenient = RateLimiter("5/minute", backend=RedisBackend(down), fail_open=True)

    @app.get("/open", dependencies=[Depends(lenient)])
    async def opened():
        return {"ok": True}

    client = make_client(app)
    refused = client.get("/closed")
    assert (refused.status_code, refused.json()) == (
        503,
        {"detail": "Rate limiting is unavailable"},
    )
    assert client.get("/open").json() == {"ok": True}


def test_a_redis_backend_serves_several_event_loops(redis_url):
    """A client per event loop: TestClient without `with` runs each request on a loop of its
    own, and the native server on another."""
    from FasterAPI.testclient import TestClient

    from tests.support.doors import open_client

    backend = RedisBackend(redis_url)
    limiter = RateLimiter("10/minute", backend=backend, scope="loops", key=lambda r: "one")
    app = FastAPI()

    @app.get("/items", dependencies=[Depends(limiter)])
    async def items():
        return {}

    client = TestClient(app)
    remaining = [client.get("/items").headers["ratelimit-remaining"] for _ in range(3)]
    assert remaining == ["9", "8", "7"]
    with open_client(app, "native") as native:
        assert native.get("/items").headers["ratelimit-remaining"] == "6"
