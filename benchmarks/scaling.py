"""Multi-core scaling of FasterAPI's own server (stdlib only, run with python3).

Runs `fasterapi run fasterapi_app:app --workers 1` and then `--workers 2`, neither the server nor
wrk pinned to a CPU, and measures GET /json with `wrk -t1 -c64 -d<DUR>s` after a 1s warm-up.
The two are interleaved round by round and the medians are reported: requests/s, the server's
CPU µs per request (all its processes) and the scaling figure, req/s with 2 workers / req/s with 1.
wrk shares the machine's CPUs with the workers, so on a 2-CPU machine 2.0x is out of reach.

    python3 scaling.py --py ../.venv/bin/python --dur 5 --rounds 3 --json out.json --md out.md
"""

import argparse
import json
import os
import statistics
from pathlib import Path

from httpbench import HERE, cpu_seconds, native, server, wrk

PORT = 8214
WORKERS = (1, 2)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--py", default=str(HERE.parent / ".venv/bin/python"))
    ap.add_argument("--dur", type=int, default=5)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--conn", type=int, default=64)
    ap.add_argument("--json", default="")
    ap.add_argument("--md", default="")
    a = ap.parse_args()

    runs = {w: {"rps": [], "us": []} for w in WORKERS}
    for _ in range(a.rounds):
        for w in WORKERS:
            with server(*native(a.py, PORT, workers=w)) as p:
                wrk(PORT, "/json", 1, a.conn, cpu=None)  # warm-up
                t0 = cpu_seconds(p.pid)
                r = wrk(PORT, "/json", a.dur, a.conn, cpu=None)
                t1 = cpu_seconds(p.pid)
                runs[w]["rps"].append(r["rps"])
                runs[w]["us"].append((t1 - t0) * 1e6 / r["requests"])
    med = {w: {k: statistics.median(v) for k, v in runs[w].items()} for w in WORKERS}
    scaling = med[2]["rps"] / med[1]["rps"]

    lines = [
        f"GET /json, `wrk -t1 -c{a.conn} -d{a.dur}s`, nothing pinned, {os.cpu_count()} CPUs, "
        f"median of {a.rounds} rounds",
        "",
        "| server | req/s | CPU µs/req |",
        "|---|---:|---:|",
        *(
            f"| `fasterapi run --workers {w}` | {med[w]['rps']:,.0f} | {med[w]['us']:.1f} |"
            for w in WORKERS
        ),
        "",
        f"Scaling, 2 workers / 1 worker: **{scaling:.2f}x** requests/s.",
    ]
    md = "\n".join(lines)
    print(md)
    if a.md:
        Path(a.md).write_text(md + "\n")
    if a.json:
        data = {"median": med, "raw": runs, "scaling": scaling}
        Path(a.json).write_text(json.dumps(data, indent=1))


if __name__ == "__main__":
    main()
