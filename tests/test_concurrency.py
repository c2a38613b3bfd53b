"""run_in_threadpool, a process pool from a handler (the Async/Await primer's example) and
SubInterpreterPool / run_in_subinterpreter: real sub-interpreters on Python 3.13+, a process
pool below. `make test` runs this file on 3.11 and on 3.13."""

import asyncio
import json
import os
import subprocess
import sys
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

import pytest
from FasterAPI import Faster, run_in_threadpool
from FasterAPI.subinterpreters import SubInterpreterPool, run_in_subinterpreter

from tests.apps import cpu_work

SUBINTERPRETERS = sys.version_info >= (3, 13)
ROOT = Path(__file__).resolve().parent.parent


def test_run_in_threadpool_runs_elsewhere_and_returns():
    async def main():
        name = await run_in_threadpool(cpu_work.main_thread_name)
        total = await run_in_threadpool(cpu_work.describe, 1, b=2, scale=3)
        return name, total

    name, total = asyncio.run(main())
    assert name != threading.current_thread().name
    assert total["sum"] == 9


def test_a_process_pool_from_a_handler_as_the_primer_shows(make_client):
    app = Faster()
    executor = ProcessPoolExecutor(max_workers=1)

    @app.get("/compute")
    async def compute(n: int = 1_000_000):
        loop = asyncio.get_running_loop()
        result = await loop.run_in_executor(executor, cpu_work.count, n)
        return {"result": result}

    try:
        response = make_client(app).get("/compute?n=1000")
        assert response.json() == {"result": sum(range(1000))}
    finally:
        executor.shutdown()


def test_the_pool_uses_subinterpreters_from_313_and_processes_below():
    with SubInterpreterPool(max_workers=2) as pool:
        assert pool.kind == ("subinterpreters" if SUBINTERPRETERS else "processes")
        assert pool.max_workers == 2
        info = asyncio.run(pool.run(cpu_work.describe, 2, b=3, scale=10))
    assert info["sum"] == 50
    if SUBINTERPRETERS:  # same process, another interpreter
        assert info["pid"] == os.getpid() and info["interpreter"] != 0
    else:
        assert info["pid"] != os.getpid()


def test_an_exception_comes_back_with_its_type_and_message():
    async def main(pool):
        with pytest.raises(cpu_work.WorkError, match="no good"):
            await pool.run(cpu_work.fail, "no good")
        with pytest.raises(ZeroDivisionError):
            await pool.run(divmod, 1, 0)
        return await pool.run(cpu_work.count, 10)  # the worker carries on

    with SubInterpreterPool(max_workers=1) as pool:
        assert asyncio.run(main(pool)) == 45


def test_functions_go_by_reference():
    with SubInterpreterPool(max_workers=1) as pool:
        with pytest.raises(TypeError, match="top level of a module"):
            asyncio.run(pool.run(lambda: 1))


def test_a_broken_worker_is_replaced():
    async def main(pool):
        expected = RuntimeError if SUBINTERPRETERS else BrokenProcessPool
        with pytest.raises(expected):
            await pool.run(cpu_work.exit_worker)
        return await pool.run(cpu_work.count, 100)

    with SubInterpreterPool(max_workers=1) as pool:
        assert asyncio.run(main(pool)) == sum(range(100))


@pytest.mark.skipif(not SUBINTERPRETERS, reason="sub-interpreters need Python 3.13")
def test_a_subinterpreter_that_breaks_is_replaced():
    async def main(pool):
        with pytest.raises(RuntimeError, match="sub-interpreter failed"):
            await pool.run(cpu_work.sabotage)
        return await pool.run(cpu_work.describe, 1)

    with SubInterpreterPool(max_workers=1) as pool:
        assert asyncio.run(main(pool))["sum"] == 1


def test_shutdown_refuses_later_calls():
    pool = SubInterpreterPool(max_workers=1)
    assert asyncio.run(pool.run(cpu_work.count, 3)) == 3
    pool.shutdown()
    with pytest.raises(RuntimeError, match="shut down"):
        asyncio.run(pool.run(cpu_work.count, 3))


def test_run_in_subinterpreter_uses_a_shared_pool():
    async def main():
        return await asyncio.gather(
            run_in_subinterpreter(cpu_work.count, 1000),
            run_in_subinterpreter(cpu_work.describe, 1, scale=2),
        )

    total, info = asyncio.run(main())
    assert total == sum(range(1000)) and info["sum"] == 2


@pytest.mark.skipif(not SUBINTERPRETERS, reason="parallel sub-interpreters need Python 3.13")
def test_two_cpu_bound_calls_overlap_while_the_loop_keeps_answering():
    """Two CPU-bound requests run at the same time (their spans overlap, and the wall time
    is clearly below the sum of their durations) while requests to another route are
    answered meanwhile."""
    app = Faster()
    pool = SubInterpreterPool(max_workers=2)

    @app.get("/cpu")
    async def cpu(n: int):
        return await pool.run(cpu_work.timed_count, n)

    @app.get("/ping")
    async def ping():
        return {"pong": True}

    async def request(path, query=b""):
        sent = []

        async def receive():
            return {"type": "http.request", "body": b"", "more_body": False}

        async def send(message):
            sent.append(message)

        scope = {
            "type": "http",
            "method": "GET",
            "path": path,
            "query_string": query,
            "headers": [],
            "root_path": "",
        }
        await app(scope, receive, send)
        return json.loads(sent[1]["body"])

    async def pings(until):
        answered = []
        while not until.done():
            started = time.perf_counter()
            assert await request("/ping") == {"pong": True}
            answered.append(time.perf_counter() - started)
            await asyncio.sleep(0.01)
        return answered

    async def main():
        await asyncio.gather(pool.run(cpu_work.count, 10), pool.run(cpu_work.count, 10))
        started = time.perf_counter()
        both = asyncio.gather(request("/cpu", b"n=8000000"), request("/cpu", b"n=8000000"))
        answered = await pings(asyncio.ensure_future(both))
        spans = await both
        return spans, time.perf_counter() - started, answered

    try:
        spans, wall, answered = asyncio.run(main())
    finally:
        pool.shutdown()
    first, second = sorted(spans, key=lambda span: span["start"])
    durations = [span["end"] - span["start"] for span in spans]
    assert second["start"] < first["end"], spans  # they ran at the same time
    assert wall < 0.8 * sum(durations), (wall, durations)
    assert len(answered) >= 5 and max(answered) < 0.05, answered


# -- regressions ---------------------------------------------------------------------------------


def test_a_bound_method_is_refused_rather_than_called_without_its_instance():
    with SubInterpreterPool(max_workers=1) as pool:
        with pytest.raises(TypeError, match="bound method"):
            asyncio.run(pool.run(cpu_work.Scaler(3).scale, 5))


def test_functions_and_argument_classes_of_the_main_script(tmp_path):
    script = tmp_path / "script.py"
    script.write_text(
        "import asyncio, dataclasses, sys\n"
        f"sys.path.insert(0, {str(ROOT)!r})\n"
        "@dataclasses.dataclass\n"
        "class Point:\n"
        "    x: int\n"
        "def double(point):\n"
        "    return Point(point.x * 2)\n"
        "if __name__ == '__main__':\n"
        "    from FasterAPI.subinterpreters import SubInterpreterPool\n"
        "    async def main():\n"
        "        with SubInterpreterPool(1) as pool:\n"
        "            print(await pool.run(double, Point(21)))\n"
        "    asyncio.run(main())\n"
    )
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True)
    assert done.stdout.strip() == "Point(x=42)", done.stderr


@pytest.mark.skipif(not SUBINTERPRETERS, reason="sub-interpreters need Python 3.13")
def test_shutdown_without_waiting_still_destroys_busy_workers():
    import _interpreters

    before = len(_interpreters.list_all())  # the main one, and the shared pool's if any

    async def main(pool):
        calls = [asyncio.ensure_future(pool.run(cpu_work.nap, 0.3)) for _ in range(2)]
        await asyncio.sleep(0.1)
        assert len(_interpreters.list_all()) == before + 2
        pool.shutdown(wait=False)
        assert await asyncio.gather(*calls) == [0.3, 0.3]  # the calls under way finish

    asyncio.run(main(SubInterpreterPool(max_workers=2)))
    time.sleep(0.1)
    assert len(_interpreters.list_all()) == before
