"""WebSocket echo: server CPU time per echoed message (stdlib only, run with python3).

FasterAPI on its native server (the frames are Rust's), FasterAPI under uvicorn and FastAPI under
uvicorn (uvicorn's `websockets` protocol for both), all serving apps/ws_echo_app.py. As in
peerbench.py the server is pinned to CPU 0 and the client (ws_client.py: 16 connections, each
sending 64-byte text messages one at a time and awaiting the echo) to CPU 1. The server's CPU
seconds (user+system, from /proc) over the client's run, divided by the messages echoed, is the
cost of one echo; contenders are interleaved round by round and the median is reported.

    python3 ws_echo.py --py ../.venv/bin/python --rounds 3 --json out.json --md out.md
"""

import argparse
import json
import os
import statistics
import subprocess
from pathlib import Path

from httpbench import APPS, HERE, PEERS_VENV, cpu_seconds, native, server

NATIVE = "FasterAPI native"
BASELINE = "FastAPI+uvicorn"


def contenders(py: str) -> dict:
    uvicorn = "{bin}/uvicorn ws_echo_app:app --host 127.0.0.1 --port {port} --ws websockets"
    uvicorn += " --no-access-log --log-level warning"
    ours = str(Path(py).parent)
    return {
        NATIVE: native(py, 8311, "ws_echo_app:app"),
        "FasterAPI+uvicorn": (uvicorn.format(bin=ours, port=8312), 8312, str(APPS)),
        BASELINE: (
            "env WS_FRAMEWORK=fastapi " + uvicorn.format(bin=f"{PEERS_VENV}/bin", port=8313),
            8313,
            str(APPS),
        ),
    }


def echo_run(py: str, port: int, connections: int, messages: int, size: int) -> tuple[int, float]:
    cmd = ["taskset", "-c", "1", py, str(HERE / "ws_client.py")]
    cmd += [str(port), str(connections), str(messages), str(size)]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout.split()
    return int(out[0]), float(out[1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--py", default=str(HERE.parent / ".venv/bin/python"))
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--connections", type=int, default=16)
    ap.add_argument("--messages", type=int, default=2000, help="per connection")
    ap.add_argument("--size", type=int, default=64)
    ap.add_argument("--json", default="")
    ap.add_argument("--md", default="")
    a = ap.parse_args()
    a.py = os.path.abspath(a.py)  # the servers run from apps/

    runs: dict[str, list[dict]] = {name: [] for name in contenders(a.py)}
    for _ in range(a.rounds):
        for name, (cmd, port, cwd) in contenders(a.py).items():
            with server(cmd, port, cwd, cpu=0) as proc:
                echo_run(a.py, port, a.connections, 200, a.size)  # warm-up
                before = cpu_seconds(proc.pid)
                count, seconds = echo_run(a.py, port, a.connections, a.messages, a.size)
                cpu = cpu_seconds(proc.pid) - before
                runs[name].append({"us_per_msg": cpu / count * 1e6, "msg_per_s": count / seconds})

    med = {
        name: {k: statistics.median(r[k] for r in rs) for k in ("us_per_msg", "msg_per_s")}
        for name, rs in runs.items()
    }
    base = med[BASELINE]["us_per_msg"]
    lines = [
        f"server on CPU 0, client on CPU 1: {a.connections} connections x {a.messages} "
        f"{a.size}-byte text messages, each awaited; median of {a.rounds} rounds",
        "",
        f"| contender | server CPU µs per echo | echoes/s | {BASELINE}'s CPU per echo ÷ this |",
        "|---|---:|---:|---:|",
    ]
    for name, m in med.items():
        ratio = base / m["us_per_msg"]
        lines.append(f"| {name} | {m['us_per_msg']:.1f} | {m['msg_per_s']:,.0f} | {ratio:.2f}x |")
    md = "\n".join(lines)
    print(md)
    if a.md:
        Path(a.md).write_text(md + "\n")
    if a.json:
        Path(a.json).write_text(json.dumps({"runs": runs, "median": med}, indent=1))


if __name__ == "__main__":
    main()
