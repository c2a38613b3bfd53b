"""Scale-out figures: the example app behind nginx on 1, 2 and 3 instances (run with our venv's
python: it uses the test rig, tests/support/cluster.py).

Starts PostgreSQL, Redis and three instances of examples/items_app.py on `fasterapi run
--workers 2` (as `make test-cluster` does), fills 100 items, then for 1, 2 and 3 instances
starts nginx (examples/deploy/nginx.conf) in front of that many and runs wrk against it with
scaleout.lua: 9 cached reads to 1 create with an Idempotency-Key. Reports requests/s, p99
latency and failed requests (non-2xx answers and socket errors) for each, and the ratio to
one instance. Everything shares the machine's CPUs: on a 2-CPU machine the instances, nginx,
PostgreSQL, Redis and wrk compete for the same two cores, so the figures show what the
layers cost, not what more machines would add.

    ../.venv/bin/python scaleout.py --dur 10 --json out/scaleout.json --md out/scaleout.md
"""

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))  # the test rig, tests/support/cluster.py
sys.path.insert(0, str(HERE))

import httpx  # noqa: E402
from httpbench import wrk  # noqa: E402

from tests.support.cluster import cluster  # noqa: E402
from tests.support.services import nginx_server  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dur", type=int, default=10)
    ap.add_argument("--conn", type=int, default=64)
    ap.add_argument("--json", default="")
    ap.add_argument("--md", default="")
    a = ap.parse_args()

    results = {}
    with (
        tempfile.TemporaryDirectory() as tmp,
        cluster(Path(tmp), instances=3, workers=2, RATE_LIMIT="1000000000/second") as rig,
    ):
        with httpx.Client(base_url=rig.base, trust_env=False) as client:
            for n in range(100):
                client.post("/items", json={"name": f"item {n}", "price": 1.0 + n})
        for count in (1, 2, 3):
            ports = [instance.port for instance in rig.instances[:count]]
            with nginx_server(Path(tmp), ports) as base:
                port = int(base.rsplit(":", 1)[1])
                wrk(port, "/", 2, a.conn, cpu=None, script=HERE / "scaleout.lua", args=["warm"])
                run = wrk(
                    port,
                    "/",
                    a.dur,
                    a.conn,
                    cpu=None,
                    latency=True,
                    script=HERE / "scaleout.lua",
                    args=[f"n{count}-{time.time_ns()}"],
                )
            results[count] = run
    one = results[1]["rps"]
    lines = [
        f"The example app (PostgreSQL, Redis, `fasterapi run --workers 2` per instance) behind "
        f"nginx; `wrk -t1 -c{a.conn} -d{a.dur}s` with benchmarks/scaleout.lua (9 cached "
        f"GET /items/{{id}} to 1 POST /items with an Idempotency-Key); everything on the same "
        f"{os.cpu_count()} CPUs, nothing pinned, one run",
        "",
        "| instances | req/s | vs 1 instance | p50 ms | p99 ms | failed requests |",
        "|---:|---:|---:|---:|---:|---:|",
        *(
            f"| {n} | {r['rps']:,.0f} | {r['rps'] / one:.2f}x | {r['p50']:.1f} | "
            f"{r['p99']:.1f} | {r['non2xx'] + r['errors']} |"
            for n, r in results.items()
        ),
        "",
        f"On {os.cpu_count()} CPUs shared by every part, more instances cannot add CPU: the "
        "figures are the cost of the layers and of spreading the load, not a scale-out "
        "measurement across machines (`make test-cluster` checks correctness across them).",
    ]
    md = "\n".join(lines)
    print(md)
    if a.json:
        Path(a.json).write_text(json.dumps(results, indent=2))
    if a.md:
        Path(a.md).write_text(md + "\n")


if __name__ == "__main__":
    main()
