"""Resident memory of FasterAPI's own server as requests accumulate (stdlib only, run with python3).

Starts `fasterapi run fasterapi_app:app` (pinned to CPU 0), reads VmRSS from /proc/<pid>/status
after start-up, then drives GET /json with `wrk -t1 -c64` (on CPU 1) and reads VmRSS again once
the server has answered 100,000 and 1,000,000 requests (--marks). wrk has no request-count
option, so it runs in chunks: a chunk lasts as long as the last measured rate says the next mark
needs, and stop_after.lua stops wrk's thread once the chunk has had the remaining responses
(wrk counts only completed responses, so the count is exact to within the few in flight).
Passes if RSS grows by at most 10% (--limit) from the first mark to the last.

    python3 memory.py --py ../.venv/bin/python --marks 100000,1000000 --json out.json --md out.md
"""

import argparse
import json
from pathlib import Path

from httpbench import HERE, native, rss_kib, server, wrk

PORT = 8213


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--py", default=str(HERE.parent / ".venv/bin/python"))
    ap.add_argument("--marks", default="100000,1000000")
    ap.add_argument("--conn", type=int, default=64)
    ap.add_argument("--limit", type=float, default=10.0, help="allowed growth, percent")
    ap.add_argument("--json", default="")
    ap.add_argument("--md", default="")
    a = ap.parse_args()
    marks = [int(m) for m in a.marks.split(",")]

    cmd, port, cwd = native(a.py, PORT)
    with server(cmd, port, cwd, cpu=0) as p:
        rows = [("after start-up", 0, rss_kib(p.pid))]
        done, rate, bad = 0, float("inf"), 0  # the first chunk lasts 1s and measures the rate
        for mark in marks:
            while done < mark:
                left = mark - done
                dur = max(1, min(30, int(left / rate) + 1))
                script = HERE / "stop_after.lua"
                r = wrk(port, "/json", dur, a.conn, script=script, args=[left])
                done += r["requests"]
                bad += r["non2xx"]
                if r["requests"] < left:  # ran for the whole chunk: a fair rate
                    rate = max(r["requests"] / dur, 1.0)
            rows.append((f"after {mark:,} requests", done, rss_kib(p.pid)))

    first, last = rows[1][2], rows[-1][2]
    growth = (last - first) / first * 100
    verdict = "met" if growth <= a.limit else "not met"
    lines = [
        f"`fasterapi run fasterapi_app:app` on CPU 0, GET /json with `wrk -t1 -c{a.conn}` on CPU 1",
        "",
        "| when | requests answered | VmRSS |",
        "|---|---:|---:|",
        *(f"| {w} | {n:,} | {kib / 1024:.1f} MiB |" for w, n, kib in rows),
        "",
        f"Growth from {marks[0]:,} to {marks[-1]:,} requests: {growth:+.1f}% "
        f"(target: at most {a.limit:g}%): **{verdict}**."
        + (f" {bad} non-2xx responses." if bad else ""),
    ]
    md = "\n".join(lines)
    print(md)
    if a.md:
        Path(a.md).write_text(md + "\n")
    if a.json:
        data = {"rows": rows, "growth_percent": growth, "met": growth <= a.limit}
        Path(a.json).write_text(json.dumps(data, indent=1))


if __name__ == "__main__":
    main()
