"""The scale-out rig of `make test-cluster` (tests/test_cluster.py) and of the scale-out
figures (benchmarks/scaleout.py): PostgreSQL, Redis and nginx started in a temporary
directory on loopback ports, and instances of the example app (examples/items_app.py) on the
native server, `--workers 2` each, behind nginx; and a bounded load generator that retries
what failed with the same Idempotency-Key, as a careful client does."""

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from tests.support.servers import free_port
from tests.support.services import new_database, nginx_server, postgres_server, redis_server

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
GRACE = 10  # --timeout-graceful-shutdown


class Instance:
    """One instance of the example app: `fasterapi run --workers N` on its own port."""

    def __init__(self, index: int, directory: Path, env: dict[str, str], workers: int) -> None:
        self.index, self.port, self.env, self.workers = index, free_port(), env, workers
        self.log = directory / f"instance-{index}.log"
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        command = [str(BIN / "fasterapi"), "run", "items_app:app", "--host", "127.0.0.1"]
        command += ["--port", str(self.port), "--workers", str(self.workers), "--no-access-log"]
        command += ["--timeout-graceful-shutdown", str(GRACE)]
        command += ["--forwarded-allow-ips", "127.0.0.1"]
        with open(self.log, "ab") as out:
            self.proc = subprocess.Popen(
                command, cwd=ROOT / "examples", env=self.env, stdout=out, stderr=out
            )

    def wait_ready(self, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        url = f"http://127.0.0.1:{self.port}/readyz"
        while True:
            assert self.proc is not None
            if self.proc.poll() is not None:
                raise RuntimeError(f"instance {self.index} exited:\n{self.log.read_text()}")
            try:
                if httpx.get(url, timeout=1, trust_env=False).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"instance {self.index} not ready:\n{self.log.read_text()}")
            time.sleep(0.1)

    def terminate(self, timeout: float = GRACE + 10) -> int:
        """SIGTERM, as an orchestrator stops it; its exit code once it has stopped."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(timeout=timeout)

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


@dataclass
class Cluster:
    directory: Path
    base: str  # nginx
    database_url: str
    redis_url: str
    instances: list[Instance]


@contextmanager
def cluster(directory: Path, instances: int = 3, workers: int = 2, **env: str) -> Iterator[Cluster]:
    """PostgreSQL, Redis, `instances` instances of the example app behind nginx; all stopped
    when the block ends."""
    with ExitStack() as stack:
        database_url = new_database(stack.enter_context(postgres_server()))
        redis_url = stack.enter_context(redis_server(directory))
        app_env = dict(
            os.environ,
            DATABASE_URL=database_url,
            REDIS_URL=redis_url,
            DATABASE_POOL_SIZE="5",
            DATABASE_MAX_OVERFLOW="5",
            **env,
        )
        started = [Instance(n, directory, app_env, workers) for n in range(instances)]
        for instance in started:
            stack.callback(instance.kill)
            instance.start()
        for instance in started:
            instance.wait_ready()
        base = stack.enter_context(nginx_server(directory, [i.port for i in started]))
        yield Cluster(directory, base, database_url, redis_url, started)


# -- the load generator -------------------------------------------------------------------------


@dataclass
class Load:
    """What the clients saw: every answer's latency, and every attempt that failed (a 5xx or
    a broken connection; the client retried it)."""

    latencies: list[float] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    done: int = 0


def client_for(address: str, base: str, connections: int) -> httpx.AsyncClient:
    """A client whose connections come from `address` (127.0.0.x): nginx forwards it as the
    client's address, so each such client has a rate-limit budget of its own."""
    transport = httpx.AsyncHTTPTransport(local_address=address, retries=0)
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    return httpx.AsyncClient(
        base_url=base, transport=transport, limits=limits, timeout=60, trust_env=False
    )


async def send(
    client: httpx.AsyncClient, load: Load, method: str, url: str, attempts: int = 30, **kw
) -> httpx.Response:
    """One request, sent again (the same request: the same Idempotency-Key) until it gets an
    answer that is not a 5xx."""
    for attempt in range(attempts):
        start = time.perf_counter()
        try:
            response = await client.request(method, url, **kw)
        except httpx.TransportError as exc:
            load.failures.append(f"{method} {url}: {exc!r}")
        else:
            load.latencies.append(time.perf_counter() - start)
            if response.status_code < 500:
                load.done += 1
                return response
            load.failures.append(f"{method} {url}: {response.status_code} {response.text[:200]}")
        await asyncio.sleep(min(0.05 * 2**attempt, 1.0))
    raise RuntimeError(f"{method} {url} failed {attempts} times: {load.failures[-3:]}")


@dataclass
class Writes:
    """Acknowledged writes: the id each Idempotency-Key got, and each item's last PUT."""

    ids: dict[str, int] = field(default_factory=dict)
    last: dict[int, tuple[str, float]] = field(default_factory=dict)


async def write_items(
    base: str, clients: int, items_per_client: int, load: Load, writes: Writes
) -> None:
    """Each client creates its items (POST, with an Idempotency-Key) and replaces each once
    (PUT); `clients` of them at once, each from its own address."""

    async def one_client(n: int) -> None:
        async with client_for(f"127.0.0.{10 + n}", base, 1) as client:
            for k in range(items_per_client):
                key = f"c{n}-i{k}"
                body = {"name": key, "price": 1.0 + k}
                response = await send(
                    client, load, "POST", "/items", json=body, headers={"Idempotency-Key": key}
                )
                assert response.status_code == 201, response.text
                item_id = response.json()["id"]
                writes.ids[key] = item_id
                new = {"name": f"{key}-v2", "price": 2.0 + k, "tags": ["updated"]}
                response = await send(client, load, "PUT", f"/items/{item_id}", json=new)
                assert response.status_code == 200, response.text
                writes.last[item_id] = (new["name"], new["price"])

    await asyncio.gather(*(one_client(n) for n in range(clients)))


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


async def rows(database_url: str) -> list[tuple]:
    """Every item with the Idempotency-Key that made it (None for none), read straight from
    PostgreSQL: (id, key, name, price)."""
    import asyncpg

    conn = await asyncpg.connect(database_url.replace("+asyncpg", ""))
    try:
        records = await conn.fetch(
            "SELECT i.id, k.key, i.name, i.price FROM items i"
            " LEFT JOIN idempotency_keys k ON k.item_id = i.id"
        )
    finally:
        await conn.close()
    return [tuple(record) for record in records]
