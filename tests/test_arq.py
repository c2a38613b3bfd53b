"""FasterAPI.contrib.arq: durable jobs on arq, with a real redis-server and real arq workers
(`python -m arq tests.test_arq.WorkerSettings`, subprocesses started by the tests), through both
doors: a route enqueues, a worker runs the job, a status route reports it; an idempotency key
enqueues one job; a job outlives the app that enqueued it and waits for a worker; a worker
stopped (SIGTERM) or killed mid-job leaves the job to the next one; retries; a Redis that is
down, goes away or stops answering (SIGSTOP) is a 503 within a bound, never a 500 or a hang.

This module is also the workers' settings module: its jobs write lines to a file the test reads.
"""

import asyncio
import gc
import logging
import os
import pickle
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from fractions import Fraction
from pathlib import Path
from typing import Annotated, Any

import pytest
import redis
from arq import Retry
from arq.connections import ArqRedis, RedisSettings
from FasterAPI import Depends, FastAPI, Header, HTTPException
from FasterAPI.contrib.arq import ArqQueue, job_state
from pydantic import BaseModel

from tests.support.doors import open_client
from tests.support.servers import free_port
from tests.support.services import redis_server

pytestmark = pytest.mark.fasterapi_only

ROOT = Path(__file__).resolve().parents[1]
#: The workers' Redis and job timeout, given to them by the tests.
REDIS_ENV = "FASTERAPI_TEST_ARQ_REDIS"
TIMEOUT_ENV = "FASTERAPI_TEST_ARQ_JOB_TIMEOUT"
WAIT = 20.0  # seconds any wait of these tests lasts at most


# -- the worker's side: its jobs and settings ---------------------------------------------------


def append(path: str, line: str) -> list[str]:
    with open(path, "a") as file:
        file.write(line + "\n")
    return Path(path).read_text().splitlines()


async def write_line(ctx: dict[str, Any], path: str, text: str) -> int:
    """Appends `text` to the file at `path`: the number of lines it then has."""
    return len(append(path, text))


async def wait_for_gate(ctx: dict[str, Any], path: str, gate: str) -> int:
    """Writes "start N" (N: this try), waits until the file `gate` exists (the job's timeout
    bounds the wait), then writes "done N": the try it finished on."""
    append(path, f"start {ctx['job_try']}")
    while not os.path.exists(gate):
        await asyncio.sleep(0.02)
    append(path, f"done {ctx['job_try']}")
    return ctx["job_try"]


async def flaky(ctx: dict[str, Any], path: str, succeed_on: int) -> int:
    """Asks arq to run it again (Retry) until try `succeed_on`."""
    append(path, f"try {ctx['job_try']}")
    if ctx["job_try"] < succeed_on:
        raise Retry(defer=0.05)
    return ctx["job_try"]


async def broken(ctx: dict[str, Any], month: str) -> None:
    raise ValueError(f"no data for {month}")


class WorkerSettings:
    """`arq tests.test_arq.WorkerSettings`: the workers the tests start."""

    functions = [write_line, wait_for_gate, flaky, broken]
    redis_settings = RedisSettings.from_dsn(os.environ.get(REDIS_ENV, "redis://127.0.0.1:6379/0"))
    poll_delay = 0.05
    max_tries = 3
    job_timeout = float(os.environ.get(TIMEOUT_ENV, "20"))


# -- the app's side ------------------------------------------------------------------------------


class Note(BaseModel):
    text: str


def make_app(jobs: ArqQueue, directory: Path) -> FastAPI:
    """An app that enqueues jobs on `jobs` (their files in `directory`) and reports them."""

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        yield
        await jobs.aclose()

    app = FastAPI(lifespan=lifespan)
    Queue = Annotated[ArqRedis, Depends(jobs.pool)]
    IdempotencyKey = Annotated[str | None, Header(max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]

    @app.post("/notes", status_code=202)
    async def add_note(note: Note, queue: Queue, idempotency_key: IdempotencyKey = None):
        job_id = f"note:{idempotency_key}" if idempotency_key else None
        job = await queue.enqueue_job(
            "write_line", str(directory / "notes"), note.text, _job_id=job_id
        )
        return {"job_id": job.job_id if job else job_id, "enqueued": job is not None}

    @app.post("/gated", status_code=202)
    async def gated(queue: Queue):
        job = await queue.enqueue_job(
            "wait_for_gate", str(directory / "gated"), str(directory / "gate")
        )
        assert job is not None
        return {"job_id": job.job_id}

    @app.post("/flaky/{succeed_on}", status_code=202)
    async def add_flaky(succeed_on: int, queue: Queue):
        job = await queue.enqueue_job("flaky", str(directory / "flaky"), succeed_on)
        assert job is not None
        return {"job_id": job.job_id}

    @app.post("/reports/{month}", status_code=202)
    async def report(month: str, queue: Queue):
        job = await queue.enqueue_job("broken", month)
        assert job is not None
        return {"job_id": job.job_id}

    @app.get("/jobs/{job_id}")
    async def status(job_id: str, queue: Queue):
        state = await job_state(queue, job_id)
        if state is None:
            raise HTTPException(404, "No such job")
        return state

    return app


# -- fixtures and helpers ------------------------------------------------------------------------


@contextmanager
def redis_on(port: int, directory: Path) -> Iterator[subprocess.Popen[bytes]]:
    """A redis-server on `port` (services.redis_server chooses its own port): its process."""
    command = ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", ""]
    proc = subprocess.Popen([*command, "--dir", str(directory)], stdout=subprocess.DEVNULL)
    try:
        probe = redis.Redis(port=port, socket_timeout=1)
        eventually(lambda: _pings(probe), f"redis-server on port {port}")
        probe.close()
        yield proc
    finally:
        proc.send_signal(signal.SIGCONT)  # (if a test stopped it)
        proc.terminate()
        proc.wait(timeout=WAIT)


def _pings(client: redis.Redis) -> bool:
    try:
        return bool(client.ping())
    except redis.ConnectionError:
        return False


def eventually(check: Callable[[], Any], what: str, timeout: float = WAIT) -> Any:
    """What `check()` returns once it is truthy; fails after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.05)


def lines(path: Path) -> list[str]:
    return path.read_text().splitlines() if path.exists() else []


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory) -> Iterator[str]:
    with redis_server(tmp_path_factory.mktemp("redis")) as url:
        yield url


@pytest.fixture
def store(redis_url) -> Iterator[redis.Redis]:
    """The Redis, emptied for the test, to look into."""
    client = redis.Redis.from_url(redis_url)
    client.flushdb()
    yield client
    client.close()


class Workers:
    """arq workers, each `python -m arq tests.test_arq.WorkerSettings` in a subprocess."""

    def __init__(self, url: str, store: redis.Redis, directory: Path) -> None:
        self.url = url
        self.store = store
        self.directory = directory
        self.running: list[subprocess.Popen[bytes]] = []

    def start(self, job_timeout: float = 20.0) -> subprocess.Popen[bytes]:
        """A worker, once it polls the queue (its health check key is written then)."""
        log = self.directory / f"worker-{len(self.running)}.log"
        env = {**os.environ, REDIS_ENV: self.url, TIMEOUT_ENV: str(job_timeout)}
        with open(log, "wb") as out:
            proc = subprocess.Popen(
                [sys.executable, "-m", "arq", "tests.test_arq.WorkerSettings"],
                cwd=ROOT,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        self.running.append(proc)

        def polling() -> bool:
            if proc.poll() is not None:
                pytest.fail(f"the arq worker exited with {proc.returncode}: {log.read_text()}")
            return bool(self.store.exists("arq:queue:health-check"))

        eventually(polling, "the arq worker to start")
        return proc

    def stop(self, proc: subprocess.Popen[bytes], sig: int = signal.SIGTERM) -> int:
        proc.send_signal(sig)
        try:
            return proc.wait(timeout=WAIT)
        except subprocess.TimeoutExpired:
            pytest.fail(f"the arq worker did not stop within {WAIT} s of signal {sig}")

    def stop_all(self) -> None:
        for proc in self.running:
            if proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(timeout=WAIT)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()


@pytest.fixture
def workers(redis_url, store, tmp_path) -> Iterator[Workers]:
    running = Workers(redis_url, store, tmp_path)
    try:
        yield running
    finally:
        running.stop_all()


def wait_until(client, job_id: str, status: str) -> dict[str, Any]:
    """The job's state, once the status route says `status`."""

    def reached() -> dict[str, Any] | None:
        response = client.get(f"/jobs/{job_id}")
        assert response.status_code == 200, response.text
        state = response.json()
        return state if state["status"] == status else None

    return eventually(reached, f"job {job_id} to be {status}")


# -- the tests -----------------------------------------------------------------------------------


def test_a_route_enqueues_a_job_a_worker_runs_it_and_a_route_reports_it(
    make_client, redis_url, workers, tmp_path
):
    workers.start()
    client = make_client(make_app(ArqQueue(redis_url), tmp_path))
    response = client.post("/notes", json={"text": "hello"})
    assert response.status_code == 202
    job_id = response.json()["job_id"]
    assert response.json() == {"job_id": job_id, "enqueued": True}

    state = wait_until(client, job_id, "complete")
    assert lines(tmp_path / "notes") == ["hello"]
    assert {key: state[key] for key in ("id", "function", "tries", "success", "result")} == {
        "id": job_id,
        "function": "write_line",
        "tries": 1,
        "success": True,
        "result": 1,
    }
    assert state["enqueued_at"] <= state["finished_at"]  # (ISO 8601, the same zone)

    # a job that raises is not retried (only Retry and a cancelled try are): it failed
    failed = wait_until(client, client.post("/reports/2024-05").json()["job_id"], "complete")
    assert failed["success"] is False and failed["tries"] == 1
    assert failed["error"] == "ValueError('no data for 2024-05')"
    assert "result" not in failed

    missing = client.get("/jobs/no-such-job")
    assert (missing.status_code, missing.json()) == (404, {"detail": "No such job"})


def test_one_idempotency_key_enqueues_one_job(make_client, redis_url, store, workers, tmp_path):
    client = make_client(make_app(ArqQueue(redis_url), tmp_path))
    first = client.post("/notes", json={"text": "once"}, headers={"idempotency-key": "k-1"})
    again = client.post("/notes", json={"text": "once"}, headers={"idempotency-key": "k-1"})
    assert (first.status_code, first.json()) == (202, {"job_id": "note:k-1", "enqueued": True})
    assert (again.status_code, again.json()) == (202, {"job_id": "note:k-1", "enqueued": False})
    queued = client.get("/jobs/note:k-1").json()
    assert (queued["status"], queued["tries"], queued["function"]) == ("queued", 0, "write_line")
    assert store.zcard("arq:queue") == 1

    workers.start()
    wait_until(client, "note:k-1", "complete")
    # once done, its result (kept an hour) still holds the key: the POST retried later too
    late = client.post("/notes", json={"text": "once"}, headers={"idempotency-key": "k-1"})
    assert late.json() == {"job_id": "note:k-1", "enqueued": False}
    assert store.zcard("arq:queue") == 0
    other = client.post("/notes", json={"text": "twice"}, headers={"idempotency-key": "k-2"})
    wait_until(client, other.json()["job_id"], "complete")
    assert lines(tmp_path / "notes") == ["once", "twice"]

    for bad in ("has spaces", "x" * 65):
        refused = client.post("/notes", json={"text": "no"}, headers={"idempotency-key": bad})
        assert refused.status_code == 422


def test_a_result_the_app_cannot_unpickle_is_reported_as_an_error(
    make_client, redis_url, store, tmp_path
):
    """A result of a class only the worker imports: written here as arq writes results, with
    a module name the app lacks (of the same length, so that the pickle stays well formed)."""
    result = {"t": 1, "f": "write_line", "a": (), "k": {}, "et": 0, "s": True}
    result |= {"r": Fraction(1, 3), "st": 0, "ft": 0, "q": "arq:queue", "id": "odd"}
    store.set("arq:result:odd", pickle.dumps(result).replace(b"fractions", b"fractionz"))
    client = make_client(make_app(ArqQueue(redis_url), tmp_path))
    assert client.get("/jobs/odd").json() == {
        "id": "odd",
        "status": "complete",
        "success": False,
        "error": "DeserializationError('unable to deserialize job result')",
    }


def test_a_job_outlives_the_app_that_enqueued_it_and_waits_for_a_worker(
    door, redis_url, workers, tmp_path
):
    with open_client(make_app(ArqQueue(redis_url), tmp_path), door) as client:
        job_id = client.post("/notes", json={"text": "durable"}).json()["job_id"]
    # a new app (as after a restart of the server): the job is in Redis, no worker has run it
    with open_client(make_app(ArqQueue(redis_url), tmp_path), door) as client:
        assert client.get(f"/jobs/{job_id}").json()["status"] == "queued"
        assert lines(tmp_path / "notes") == []
        workers.start()
        assert wait_until(client, job_id, "complete")["result"] == 1
    assert lines(tmp_path / "notes") == ["durable"]


def test_a_worker_stopped_mid_job_leaves_it_to_the_next_worker(
    make_client, redis_url, workers, tmp_path
):
    """SIGTERM: arq cancels the running try and puts the job back at once (not a failure);
    the next worker runs it again, as try 2. A job must therefore be safe to run twice."""
    first = workers.start()
    client = make_client(make_app(ArqQueue(redis_url), tmp_path))
    job_id = client.post("/gated").json()["job_id"]
    eventually(lambda: lines(tmp_path / "gated") == ["start 1"], "the job to start")
    assert wait_until(client, job_id, "in_progress")["tries"] == 1

    assert workers.stop(first) == 0
    assert client.get(f"/jobs/{job_id}").json()["status"] == "queued"
    (tmp_path / "gate").touch()
    workers.start()
    state = wait_until(client, job_id, "complete")
    assert (state["success"], state["tries"], state["result"]) == (True, 2, 2)
    assert lines(tmp_path / "gated") == ["start 1", "start 2", "done 2"]


def test_retry_runs_a_job_again_up_to_max_tries(make_client, redis_url, workers, tmp_path):
    workers.start()
    client = make_client(make_app(ArqQueue(redis_url), tmp_path))
    state = wait_until(client, client.post("/flaky/2").json()["job_id"], "complete")
    assert (state["success"], state["tries"], state["result"]) == (True, 2, 2)
    assert lines(tmp_path / "flaky") == ["try 1", "try 2"]

    (tmp_path / "flaky").unlink()
    state = wait_until(client, client.post("/flaky/99").json()["job_id"], "complete")
    assert lines(tmp_path / "flaky") == ["try 1", "try 2", "try 3"]  # max_tries = 3
    assert state["success"] is False
    assert state["error"] == "JobExecutionFailed('max 3 retries exceeded')"


def test_a_killed_worker_s_job_runs_again_once_its_in_progress_mark_expires(
    redis_url, store, workers, tmp_path
):
    """SIGKILL (or a lost machine): nothing puts the job back, but the mark a worker sets on
    the job it runs expires after the job's timeout + 10 s, and then the next worker runs it."""
    first = workers.start(job_timeout=2)
    app = make_app(ArqQueue(redis_url), tmp_path)
    with open_client(app, "asgi") as client:
        job_id = client.post("/gated").json()["job_id"]
        eventually(lambda: lines(tmp_path / "gated") == ["start 1"], "the job to start")
        assert workers.stop(first, signal.SIGKILL) == -signal.SIGKILL
        (tmp_path / "gate").touch()
        mark = store.pttl(f"arq:in-progress:{job_id}")
        assert 6_000 < mark <= 12_000  # (2 s + 10 s, less the time since the job started)
        workers.start(job_timeout=2)
        assert client.get(f"/jobs/{job_id}").json()["status"] == "in_progress"
        state = wait_until(client, job_id, "complete")
        assert (state["success"], state["tries"]) == (True, 2)
    assert lines(tmp_path / "gated") == ["start 1", "start 2", "done 2"]


def test_an_unreachable_redis_answers_503_and_the_next_request_tries_again(make_client, tmp_path):
    port = free_port()  # nothing listens there, yet
    client = make_client(make_app(ArqQueue(f"redis://127.0.0.1:{port}/0"), tmp_path))
    started = time.monotonic()
    refused = client.post("/notes", json={"text": "lost"})
    assert (refused.status_code, refused.json()) == (
        503,
        {"detail": "The job queue is unavailable"},
    )
    assert time.monotonic() - started < 5  # (no reconnection retries in a request)
    with redis_on(port, tmp_path):  # Redis is back: the pool is opened anew
        accepted = client.post("/notes", json={"text": "kept"})
        assert accepted.status_code == 202 and accepted.json()["enqueued"] is True


UNAVAILABLE = (503, {"detail": "The job queue is unavailable"})


class Records(logging.Handler):
    """The messages logged on `fasterapi.error` while it is attached."""

    def __init__(self) -> None:
        super().__init__()
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())

    def __enter__(self) -> "Records":
        logging.getLogger("fasterapi.error").addHandler(self)
        return self

    def __exit__(self, *exc: object) -> None:
        logging.getLogger("fasterapi.error").removeHandler(self)


def answer(response) -> tuple[int, Any]:
    return response.status_code, response.json()


def test_redis_that_goes_away_after_the_pool_opened_answers_503(make_client, tmp_path):
    """Redis stops once the pool is open: a route's enqueue_job or job_state fails with
    redis-py's ConnectionError, which the pool dependency answers 503 (and logs); once Redis
    is back, the pool's connections are made anew."""
    port = free_port()
    client = make_client(make_app(ArqQueue(f"redis://127.0.0.1:{port}/0"), tmp_path))
    with redis_on(port, tmp_path):
        accepted = client.post("/notes", json={"text": "one"})
        assert accepted.status_code == 202
        job_id = accepted.json()["job_id"]
    with Records() as records:
        assert answer(client.post("/notes", json={"text": "lost"})) == UNAVAILABLE
        assert answer(client.get(f"/jobs/{job_id}")) == UNAVAILABLE
    assert len(records.messages) == 2
    assert all(
        m.startswith("The job queue's Redis failed: ConnectionError") for m in records.messages
    )
    with redis_on(port, tmp_path):
        assert client.post("/notes", json={"text": "two"}).status_code == 202


def test_a_redis_that_does_not_answer_is_a_503_within_a_bound(make_client, tmp_path):
    """A Redis that accepts connections but never answers (SIGSTOP): opening the pool gives up
    after the settings' conn_timeout (1 s), a command of an open pool after socket_timeout."""
    port = free_port()
    jobs = ArqQueue(f"redis://127.0.0.1:{port}/0", socket_timeout=0.5)
    client = make_client(make_app(jobs, tmp_path))
    with redis_on(port, tmp_path) as proc:
        proc.send_signal(signal.SIGSTOP)
        started = time.monotonic()
        assert answer(client.post("/notes", json={"text": "lost"})) == UNAVAILABLE
        assert time.monotonic() - started < 4
        proc.send_signal(signal.SIGCONT)
        assert client.post("/notes", json={"text": "kept"}).status_code == 202

        proc.send_signal(signal.SIGSTOP)  # the pool is open now
        started = time.monotonic()
        assert answer(client.post("/notes", json={"text": "lost"})) == UNAVAILABLE
        assert answer(client.get("/jobs/any")) == UNAVAILABLE
        assert time.monotonic() - started < 4
        proc.send_signal(signal.SIGCONT)
        assert client.post("/notes", json={"text": "kept"}).status_code == 202
        assert client.get("/jobs/any").status_code == 404


def test_pools_of_closed_event_loops_are_let_go(redis_url, tmp_path):
    """A pool of an event loop that has closed (TestClient without `with` runs each request on
    a loop of its own) is let go by the next pool() of any loop, and by aclose()."""
    from FasterAPI.testclient import TestClient

    jobs = ArqQueue(redis_url)
    app = make_app(jobs, tmp_path)
    with TestClient(app) as kept:  # (its loop runs until the `with` ends)
        assert kept.get("/jobs/none").status_code == 404
        assert TestClient(app).get("/jobs/none").status_code == 404
        assert len(jobs._pools) == 2
        assert kept.get("/jobs/none").status_code == 404
        (loop,) = jobs._pools
        assert not loop.is_closed()
    assert TestClient(app).get("/jobs/none").status_code == 404
    assert len(jobs._pools) == 1
    asyncio.run(jobs.aclose())  # (from yet another loop)
    assert jobs._pools == {}


def test_a_pool_per_event_loop_closed_by_the_lifespan(redis_url, store, tmp_path):
    """TestClient without `with` runs each request on a loop of its own, the native server on
    another; the lifespan's `aclose()` closes its loop's pool (its connections go)."""
    from FasterAPI.testclient import TestClient

    jobs = ArqQueue(redis_url)
    app = make_app(jobs, tmp_path)
    client = TestClient(app)
    ids = [client.post("/notes", json={"text": str(n)}).json()["job_id"] for n in range(3)]
    assert len(jobs._pools) == 1  # (the last loop's: the others' were let go with them)
    with open_client(app, "native") as native:
        assert native.get(f"/jobs/{ids[0]}").json()["status"] == "queued"
        assert list(jobs._pools) == [native.server.loop]
    assert len(jobs._pools) == 0  # (closed by the lifespan)
    gc.collect()  # (the pools of closed loops, let go: their connections close)
    eventually(lambda: clients(store) == 1, "only this test's own connection to remain")
    with TestClient(app) as client:
        assert client.get(f"/jobs/{ids[2]}").json()["status"] == "queued"
        (opened,) = jobs._pools.values()
        pool = opened.result()  # (held here: its connection is not closed by its collection)
        assert clients(store) == 2
    assert len(jobs._pools) == 0
    eventually(
        lambda: clients(store) == 1,
        "the lifespan to close the pool's connection",
    )
    del pool


def clients(store: redis.Redis) -> int:
    return store.info("clients")["connected_clients"]


def test_bad_arguments_are_clear_errors():
    with pytest.raises(TypeError, match="a Redis URL or arq's RedisSettings, not int"):
        ArqQueue(6379)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="invalid Redis URL 'http://localhost'"):
        ArqQueue("http://localhost")
    with pytest.raises(ValueError, match="queue_name"):
        ArqQueue("redis://localhost", queue_name="")
    settings = RedisSettings(host="example", port=6380, conn_retries=7)
    queue = ArqQueue(settings, queue_name="reports")
    assert queue.redis_settings is settings and queue.queue_name == "reports"
    assert ArqQueue("redis://h:1/2").redis_settings == RedisSettings(host="h", port=1, database=2)
    with pytest.raises(TypeError, match="job_serializer is a function .*not str"):
        ArqQueue("redis://h", job_serializer="x")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="job_deserializer is a function"):
        ArqQueue("redis://h", job_deserializer=b"x")  # type: ignore[arg-type]
    ArqQueue("redis://h", job_serializer=pickle.dumps, job_deserializer=pickle.loads)
    for bad in (0, -1, "5", True):
        with pytest.raises(ValueError, match="socket_timeout"):
            ArqQueue("redis://h", socket_timeout=bad)  # type: ignore[arg-type]
    assert ArqQueue("redis://h", socket_timeout=None).socket_timeout is None
