"""A CPU-bound endpoint three ways, on Python 3.13: inline in the handler, on a
SubInterpreterPool (sub-interpreters, each with its own GIL) and on a ProcessPoolExecutor.

The app is called in-process (ASGI, no server). Each round sends CONCURRENCY requests at once
to one endpoint, each computing count(N) in pure Python, while a pinger requests /ping every
few milliseconds; it reports requests/s for the CPU-bound requests and how late the /ping
answers came meanwhile (the event loop's responsiveness: inline work blocks it). Pools have
one worker per CPU.

usage: python cpu_bound.py [--n N] [--concurrency C] [--rounds R] [--json OUT] [--md OUT]
"""

import argparse
import asyncio
import json
import multiprocessing
import os
import statistics
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent / "apps"))

import cpu_funcs  # noqa: E402
from asgi_worker import Exchange, make_scope  # noqa: E402
from FasterAPI import Faster  # noqa: E402
from FasterAPI.subinterpreters import SubInterpreterPool  # noqa: E402

MODES = ["inline", "subinterpreters", "processes"]


def make_app(workers: int):
    app = Faster()
    pools = {"subinterpreters": SubInterpreterPool(workers), "processes": None}

    @app.get("/inline")
    async def inline(n: int):
        return {"result": cpu_funcs.count(n)}

    @app.get("/subinterpreters")
    async def subinterpreters(n: int):
        return {"result": await pools["subinterpreters"].run(cpu_funcs.count, n)}

    @app.get("/processes")
    async def processes(n: int):
        loop = asyncio.get_running_loop()
        return {"result": await loop.run_in_executor(pools["processes"], cpu_funcs.count, n)}

    @app.get("/ping")
    async def ping():
        return {"pong": True}

    return app, pools


async def call(app, path: str, query: bytes = b"") -> dict:
    """One GET, with the in-process benchmark's scope and receive/send pair."""
    exchange = Exchange(b"")
    await app(make_scope("GET", path, query, b"", {}), exchange.receive, exchange.send)
    body = b"".join(exchange.chunks)
    if exchange.status != 200:
        sys.exit(f"{path}: status {exchange.status}: {body!r}")
    return json.loads(body)


async def one_round(app, mode: str, n: int, concurrency: int) -> tuple[float, list[float]]:
    """(seconds for `concurrency` simultaneous requests, how late each /ping meanwhile was
    answered: the time from when it was due to its response)."""
    pings: list[float] = []
    started = time.perf_counter()
    work = asyncio.ensure_future(
        asyncio.gather(*(call(app, f"/{mode}", b"n=%d" % n) for _ in range(concurrency)))
    )
    while not work.done():
        due = time.perf_counter() + 0.005
        await asyncio.sleep(0.005)
        await call(app, "/ping")
        pings.append(max(0.0, time.perf_counter() - due))  # how late the answer came
    results = await work
    elapsed = time.perf_counter() - started
    assert all(r["result"] == n * (n - 1) // 2 for r in results)
    return elapsed, pings


async def run(n: int, concurrency: int, rounds: int) -> dict:
    workers = os.cpu_count() or 1
    app, pools = make_app(workers)
    # forkserver: forking a process that runs sub-interpreters crashes the child on 3.13
    context = multiprocessing.get_context("forkserver")
    pools["processes"] = ProcessPoolExecutor(workers, mp_context=context)
    out = {}
    try:
        for mode in MODES:
            await one_round(app, mode, 1000, workers)  # start the workers
            times, pings = [], []
            for _ in range(rounds):
                elapsed, round_pings = await one_round(app, mode, n, concurrency)
                times.append(elapsed)
                pings += round_pings
            out[mode] = {
                "rps": concurrency / statistics.median(times),
                "times": times,
                "ping_p50_ms": 1000 * statistics.median(pings) if pings else None,
                "ping_max_ms": 1000 * max(pings) if pings else None,
                "pings": len(pings),
            }
    finally:
        pools["subinterpreters"].shutdown()
        pools["processes"].shutdown()
    return {
        "python": sys.version.split()[0],
        "cpus": workers,
        "n": n,
        "concurrency": concurrency,
        "rounds": rounds,
        "kind": pools["subinterpreters"].kind,
        "modes": out,
    }


def table(res: dict) -> str:
    inline = res["modes"]["inline"]["rps"]
    lines = [
        f"Python {res['python']}, {res['cpus']} CPUs; {res['concurrency']} requests at once, "
        f"each computing a pure-Python loop of {res['n']:,} additions; pools have "
        f"{res['cpus']} workers; median of {res['rounds']} rounds. /ping is requested every "
        "5 ms meanwhile; its delay is from when it was due to its answer (in-process ASGI, "
        "no server).",
        "",
        "| mode | CPU-bound req/s | x inline | /ping delay p50 (ms) | /ping delay max (ms) "
        "| pings answered |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    names = {
        "inline": "inline in the handler",
        "subinterpreters": "SubInterpreterPool",
        "processes": "ProcessPoolExecutor",
    }
    for mode in MODES:
        m = res["modes"][mode]
        p50 = "-" if m["ping_p50_ms"] is None else f"{m['ping_p50_ms']:.2f}"
        pmax = "-" if m["ping_max_ms"] is None else f"{m['ping_max_ms']:.1f}"
        lines.append(
            f"| {names[mode]} | {m['rps']:.1f} | {m['rps'] / inline:.2f}x | {p50} | "
            f"{pmax} | {m['pings']} |"
        )
    if res["kind"] != "subinterpreters":
        lines.append(
            "\nSubInterpreterPool ran on processes here: this Python has no "
            "sub-interpreters with their own GIL."
        )
    return "\n".join(lines) + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=2_000_000)
    ap.add_argument("--concurrency", type=int, default=8)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--json", default="")
    ap.add_argument("--md", default="")
    a = ap.parse_args()
    res = asyncio.run(run(a.n, a.concurrency, a.rounds))
    md = table(res)
    print(md, end="")
    if a.json:
        Path(a.json).write_text(json.dumps(res, indent=1))
    if a.md:
        Path(a.md).write_text(md)


if __name__ == "__main__":
    main()
