"""Latency at 64 connections: p50 and p99 from `wrk --latency` (stdlib only, run with python3).

FasterAPI's own server (`fasterapi run`, apps/fasterapi_app.py) beside FastAPI+uvicorn,
faster-api-web+uvicorn and the pure-Rust axum floor, on GET /json and GET /items/42?q=hello.
As in peerbench.py, the server is pinned to CPU 0 and wrk to CPU 1. Each server is started, warmed
up for a second, measured with `wrk -t1 -c64 -d<DUR>s --latency` per endpoint, and stopped;
contenders are interleaved round by round and the median of the rounds is reported.

    python3 latency.py --py ../.venv/bin/python --dur 5 --rounds 3 --json out.json --md out.md
"""

import argparse
import json
import statistics
from pathlib import Path

from httpbench import FLOOR, HERE, NATIVE, native, peer, server, wrk

ENDPOINTS = {"json": "/json", "path+query": "/items/42?q=hello"}
PEERS = ["FastAPI+uvicorn", "reference faster-api-web+uvicorn"]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--py", default=str(HERE.parent / ".venv/bin/python"))
    ap.add_argument("--dur", type=int, default=5)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--conn", type=int, default=64)
    ap.add_argument("--json", default="")
    ap.add_argument("--md", default="")
    a = ap.parse_args()

    contenders = {FLOOR: peer(FLOOR), NATIVE: native(a.py, 8211)} | {n: peer(n) for n in PEERS}
    runs = {n: {e: [] for e in ENDPOINTS} for n in contenders}
    for _ in range(a.rounds):
        for name, (cmd, port, cwd) in contenders.items():
            with server(cmd, port, cwd, cpu=0):
                wrk(port, "/json", 1, a.conn)  # warm-up
                for e, path in ENDPOINTS.items():
                    runs[name][e].append(wrk(port, path, a.dur, a.conn, latency=True))

    med = {
        n: {e: {k: statistics.median(r[k] for r in rs) for k in ("p50", "p99", "rps")}
            for e, rs in eps.items()}
        for n, eps in runs.items()
    }  # fmt: skip
    bad = {n: sum(r["non2xx"] for rs in eps.values() for r in rs) for n, eps in runs.items()}

    lines = [
        f"server on CPU 0, `wrk -t1 -c{a.conn} -d{a.dur}s --latency` on CPU 1, "
        f"median of {a.rounds} rounds; latency in ms",
        "",
        "| contender | " + " | ".join(f"{e} p50 | {e} p99 | {e} req/s" for e in ENDPOINTS) + " |",
        "|---|" + "---:|" * 3 * len(ENDPOINTS),
    ]
    for n, eps in med.items():
        cells = [f"{m['p50']:.2f} | {m['p99']:.2f} | {m['rps']:,.0f}" for m in eps.values()]
        flag = f" [{bad[n]} non-2xx]" if bad[n] else ""
        lines.append(f"| {n}{flag} | " + " | ".join(cells) + " |")
    md = "\n".join(lines)
    print(md)
    if a.md:
        Path(a.md).write_text(md + "\n")
    if a.json:
        Path(a.json).write_text(json.dumps({"median": med, "raw": runs}, indent=1))


if __name__ == "__main__":
    main()
