"""`make test-cluster`: the example app scaled out as in production, with real parts
(tests/support/cluster.py): PostgreSQL, Redis, nginx (examples/deploy/nginx.conf) and three
instances of `fasterapi run --workers 2`, under a bounded load, with an instance stopped by
SIGTERM and restarted mid-run. Skipped by a plain `pytest`: it takes a minute or two and
needs nginx, which `make test-cluster` installs."""

import asyncio
import os
import time

import pytest

from tests.support.cluster import Load, Writes, client_for, cluster, rows, write_items

pytestmark = [
    pytest.mark.fasterapi_only,  # (the example app's models are msgspec Structs)
    pytest.mark.skipif(
        not os.environ.get("FASTERAPI_CLUSTER"), reason="run by `make test-cluster`"
    ),
]

CLIENTS, ITEMS_PER_CLIENT = 50, 200  # 10,000 POSTs and 10,000 PUTs, 50 at a time
RATE, BURST = 1000, 1000  # RATE_LIMIT="1000/minute", per client


@pytest.fixture(scope="module")
def rig(tmp_path_factory):
    with cluster(tmp_path_factory.mktemp("cluster"), instances=3, workers=2) as running:
        yield running


def test_no_acknowledged_write_is_lost_or_doubled_across_a_restart(rig):
    """20,000 writes while instance 1 is stopped by SIGTERM and started again: every write
    that got a 2xx is in PostgreSQL exactly once, and no request failed (the instance
    finishes what it has, nginx sends what it could not take to the others)."""
    load, writes = Load(), Writes()
    total = 2 * CLIENTS * ITEMS_PER_CLIENT
    stopped = rig.instances[1]

    async def run() -> int:
        work = asyncio.create_task(write_items(rig.base, CLIENTS, ITEMS_PER_CLIENT, load, writes))
        while load.done < total // 3:
            assert not work.done(), work.exception()
            await asyncio.sleep(0.02)
        code = await asyncio.to_thread(stopped.terminate)
        await asyncio.to_thread(stopped.start)
        await asyncio.to_thread(stopped.wait_ready)
        assert not work.done()  # the restart happened mid-run
        await work
        return code

    assert asyncio.run(run()) == 0, stopped.log.read_text()[-3000:]

    table = asyncio.run(rows(rig.database_url))
    assert len(writes.ids) == CLIENTS * ITEMS_PER_CLIENT
    assert len(table) == len(writes.ids)  # none doubled, none made without an answer
    stored = {key: (item_id, name, price) for item_id, key, name, price in table}
    for key, item_id in writes.ids.items():
        name, price = writes.last[item_id]
        assert stored[key] == (item_id, name, price)
    assert load.failures == []
    # nginx did meet the stopped instance (a refused connection, or a kept-alive one closed
    # under it) and sent those requests to the others: the run went through the restart.
    nginx_log = next(rig.directory.glob("nginx-*/error.log")).read_text()
    assert f'upstream: "http://127.0.0.1:{stopped.port}/' in nginx_log, nginx_log[-2000:]


def test_the_rate_limit_holds_across_instances(rig):
    """One client's requests, spread by nginx over the three instances (six workers): the
    budget is the one Redis keeps, within 5%."""
    statuses: list[int] = []

    async def run() -> float:
        async with client_for("127.0.0.200", rig.base, 8) as client:

            async def worker() -> None:
                for _ in range(170):
                    statuses.append((await client.get("/items?limit=1")).status_code)

            start = time.monotonic()
            await asyncio.gather(*(worker() for _ in range(8)))
            return time.monotonic() - start

    elapsed = asyncio.run(run())
    allowed = statuses.count(200)
    assert set(statuses) == {200, 429}
    most = BURST + RATE / 60 * elapsed  # the burst, and what refilled meanwhile
    assert BURST * 0.95 <= allowed <= most * 1.05, (allowed, most)


def test_a_write_through_one_instance_drops_the_cached_answers_of_all(rig):
    """GET /items/{id} is cached in Redis; a PUT through any instance drops the entry, so
    every instance answers the new item next."""
    import httpx

    with httpx.Client(base_url=rig.base, trust_env=False, timeout=30) as client:
        item = client.post("/items", json={"name": "lamp", "price": 5.0}).json()
        url = f"/items/{item['id']}"
        seen = [client.get(url) for _ in range(12)]  # round robin: every instance, twice
        assert {r.headers["x-cache"] for r in seen[1:]} == {"HIT"}
        assert all(r.json() == item for r in seen)
        for version in range(3):
            new = {"name": f"lamp v{version}", "price": 6.0 + version}
            assert client.put(url, json=new).status_code == 200
            for _ in range(12):
                assert client.get(url).json() == {"id": item["id"], **new, "tags": []}
