"""A bounded run of the socket-level fuzzer (benchmarks/fuzz_server.py) on every `make test`:
hypothesis picks requests for every kind of route, mutates them, pipelines a few on one
connection and sends the bytes in random fragments. Whatever arrives, the server answers
with well-formed HTTP/1.1 responses (framing checked byte by byte), never a 5xx but 501/505,
never hangs past its timeouts, logs no traceback, and is alive and no bigger at the end. On
the native short path (`app`) and on the ASGI path (`wrapped`, behind a middleware)."""

import random
import sys
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from benchmarks.fuzz_server import (
    CLOSE,
    SEEDS,
    check,
    exchange,
    fuzz,
    mutate,
    parse_responses,
    rss_kib,
    start_server,
)
from tests.support.servers import free_port

pytestmark = pytest.mark.fasterapi_only


@pytest.fixture(scope="module", params=["app", "wrapped"])
def server(request):
    port = free_port()
    proc = start_server(sys.executable, request.param, port, timeout=0.3)
    before = rss_kib(proc.pid)
    yield port, proc
    alive = proc.poll() is None
    grown = rss_kib(proc.pid) - before if alive else 0
    proc.terminate()
    _, stderr = proc.communicate(timeout=15)
    assert alive, "the server died"
    assert b"Traceback" not in stderr, stderr.decode(errors="replace")[-3000:]
    assert grown < 32 * 1024, f"RSS grew by {grown >> 10} MiB"


REQUEST = st.tuples(st.sampled_from(SEEDS), st.booleans(), st.randoms(use_true_random=False))


@settings(
    max_examples=400,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(
    requests=st.lists(REQUEST, min_size=1, max_size=3),
    cuts=st.lists(st.integers(min_value=0, max_value=4000), max_size=4),
)
def test_mutated_fragmented_pipelined_requests_get_well_formed_answers(server, requests, cuts):
    port, _ = server
    payload = b"".join(
        mutate(random.Random(rng.random()), seed) if mutated else seed
        for seed, mutated, rng in requests
    )
    payload += CLOSE
    pieces = sorted({cut % len(payload) for cut in cuts})
    started = time.monotonic()
    received = exchange(port, payload, pieces, timeout=10, pause=0.001)
    statuses = parse_responses(received)
    check(statuses)
    assert time.monotonic() - started < 10
    assert statuses, "no answer at all"


def test_the_server_still_serves_after_the_fuzzing(server):
    port, _ = server
    assert parse_responses(exchange(port, CLOSE, [], timeout=5)) == [200]


def test_a_bounded_run_of_the_long_fuzzer(server):
    """The engine `make fuzz` runs for millions of requests, for 100,000 of them: seeded
    batches of pipelined requests, 5% mutated, four connections at a time."""
    port, proc = server
    run = fuzz(port, 100_000, clients=4, batch_size=32, mutation_rate=0.05, seed=7, pid=proc.pid)
    assert run.failures == []
    assert sum(run.statuses.values()) > 25_000  # most requests were answered
    assert run.statuses[200] > 0 and run.statuses[400] > 0  # valid and broken ones both
