"""Assemble RESULTS.md from the tables that `make all` has just produced.

usage: report.py --inprocess OUT.md --peers OUT.md [--realistic OUT.md] [--middleware OUT.md]
                 [--targets OUT.md]
                 [--chart PNG] [--latency OUT.md] [--memory OUT.md] [--scaling OUT.md]
                 [--cpu OUT.md] [--ws OUT.md] [--flood OUT.md] [--upload OUT.md]
                 --py PYTHON --peers-py PYTHON --cmd "COMMAND" [--cmd ...] [-o RESULTS.md]

Adds the date, the machine (nproc, CPU model), the interpreter and package versions, and the
commands that reproduce the run. It never measures anything itself.
"""

import argparse
import datetime
import os
import subprocess
from pathlib import Path

VERSIONS = (
    "fastapi faster-api-web uvicorn granian starlette blacksheep litestar robyn pydantic msgspec"
).split()
OURS = ["fasterapi", "uvicorn", "uvloop", "httptools", "granian", "pydantic", "msgspec"]


def cpu_model():
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return "unknown"


def versions(python, dists):
    code = (
        "import importlib.metadata as m, sys\n"
        f"for d in {dists!r}:\n"
        "    try: print(d, m.version(d))\n"
        "    except m.PackageNotFoundError: pass\n"
    )
    out = subprocess.run([python, "-c", code], capture_output=True, text=True).stdout
    return ", ".join(out.split("\n")[:-1]) or "?"


def peers_table(path):
    """peerbench's output, with a blank line before the table; refuse failed contenders."""
    lines = Path(path).read_text().strip().splitlines()
    rows = [i for i, line in enumerate(lines) if line.startswith("|")]
    if not rows:
        raise SystemExit(f"{path}: no table")
    for line in lines[rows[0] + 2 :]:
        if "| - |" in line or "non-2xx" in line:
            raise SystemExit(f"{path}: a contender did not answer or answered errors: {line}")
    return "\n".join(lines[: rows[0]] + [""] + lines[rows[0] :])


def realistic_section(path):
    """realistic.py's output under its heading; refuse failed contenders."""
    text = Path(path).read_text().strip()
    for line in text.splitlines():
        if "did not answer" in line or "non-2xx" in line:
            raise SystemExit(f"{path}: a contender did not answer or answered errors: {line}")
    if "**native**" in text:
        paths = "Which FasterAPI routes take the native short path, and which the ASGI path, is\n"
        paths += "listed under the table (read from the app in this run)."
    else:
        paths = "**Every realistic route leaves FasterAPI's native short path** (`fasterapi run`\n"
        paths += "serves them by the ASGI path): the CORS middleware sends every request through\n"
        paths += "the ASGI middleware stack, and a route with dependencies leaves the short path\n"
        paths += "even without middleware. Issue 14 is to change that; the reasons, per route,\n"
        paths += "are listed under the table (read from the app in this run)."
    return f"""## Realistic app (server pinned to one core, wrk on another)

The same app for each framework (`apps/realistic_*.py`): CORS middleware, an HTTP bearer
security dependency, a `yield` dependency standing in for a database session (no I/O), a
pydantic `response_model` and a constrained query parameter; POST adds a pydantic body and a
background task. Cells: requests/s, server CPU µs per request (x FastAPI+uvicorn's CPU µs per
request).

{paths}

{text}

"""


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--inprocess", required=True)
    ap.add_argument("--peers", required=True)
    ap.add_argument("--realistic", help="markdown made by `make realistic`")
    for section in (
        "middleware",
        "targets",
        "latency",
        "memory",
        "scaling",
        "cpu",
        "ws",
        "flood",
        "upload",
        "scaleout",
    ):
        ap.add_argument(f"--{section}", help="markdown made by `make {section}`")
    ap.add_argument("--chart", help="PNG beside RESULTS.md; linked if it exists")
    ap.add_argument("--cmd", action="append", default=[])
    ap.add_argument("--py", required=True, help="our interpreter")
    ap.add_argument("--peers-py", required=True)
    ap.add_argument("-o", "--output", default="RESULTS.md")
    a = ap.parse_args()

    inprocess, peers = Path(a.inprocess).read_text().strip(), peers_table(a.peers)
    realistic = realistic_section(a.realistic) if a.realistic else ""
    now = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
    chart = ""
    if a.chart and Path(a.chart).exists():
        chart = f"\n\n![server CPU µs per request, by endpoint]({a.chart})"
    optional = [
        ("middleware", '`@app.middleware("http")` over HTTP (server pinned to one core)'),
        ("targets", "Targets (issues #3 and #14)"),
        ("latency", "Latency at 64 connections (server pinned to one core, wrk on another)"),
        ("memory", "Memory of the native server"),
        ("scaling", "Scaling with --workers (nothing pinned)"),
        ("cpu", "CPU-bound work: inline, sub-interpreters, processes (Python 3.13)"),
        ("ws", "WebSocket echo (server pinned to one core, client on another)"),
        ("flood", "A client that pipelines 1 GiB and does not read (native server)"),
        ("upload", "A 2 GiB upload (native server)"),
        ("scaleout", "Scale-out: the example app behind nginx on 1, 2 and 3 instances"),
    ]
    sections = "".join(
        f"## {title}\n\n{Path(getattr(a, key)).read_text().strip()}\n\n"
        for key, title in optional
        if getattr(a, key)
    )
    fuzzing = Path(__file__).with_name("FUZZING.md")  # long `make fuzz` runs, kept by hand
    if fuzzing.exists():
        sections += f"## Fuzzing (`make fuzz`, separate runs)\n\n{fuzzing.read_text().strip()}\n\n"
    cmds = "\n".join(a.cmd)
    text = f"""# Benchmark results

Run on {now}, on {os.cpu_count()} CPUs ({cpu_model()}).
Ours: {versions(a.py, OURS)}.
Peers: {versions(a.peers_py, VERSIONS)}.

**Compare ratios, not absolute numbers.** Absolute requests/s depend on the machine and on
whatever else it is doing; ratios between frameworks measured in the same run are what carry
over. See README.md for what each table measures.

## In-process (framework only, no server)

{inprocess}

## Over HTTP (server pinned to one core, wrk on another)

Cells: requests/s, server CPU µs per request (x the pure-Rust axum floor's CPU µs per request).
Read the CPU column first: it moves far less than requests/s on a shared machine.
"FasterAPI native" is FasterAPI's own server (`fasterapi run`); "(pydantic)" serves the app whose
POST body model is a pydantic `BaseModel` instead of a `msgspec.Struct`.

{peers}{chart}

{realistic}{sections}## Reproduce

```
{cmds}
```
"""
    Path(a.output).write_text(text)


if __name__ == "__main__":
    main()
