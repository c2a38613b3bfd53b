"""In-process benchmark: FasterAPI vs faster-api-web vs FastAPI, ASGI app called directly.

Measures the framework alone (routing, parameters, validation, encoding), with no server and no
sockets: each framework runs in its own interpreter (ours from /work/main/.venv, the peers from the
peers venv, since faster-api-web also imports as `FasterAPI`) via asgi_worker.py. Rounds are
interleaved (each round runs every framework once, in a rotating order) and the table shows the
best round, in requests per CPU-second of the process, plus the ratios FasterAPI/faster-api-web
and FasterAPI/FastAPI.

usage: inprocess.py [--requests N] [--repeats R] [--only NAME,NAME] [--endpoints EP,EP]
                    [--py PYTHON] [--peers-venv DIR] [--json OUT.json] [--md OUT.md]
"""

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
WORKER = HERE / "asgi_worker.py"
PEERS_DIR = Path(os.environ.get("PEERS_DIR", "/work/shared/bench/peers"))
ENDPOINTS = ["json", "plaintext", "path+query", "POST body"]
OURS = "FasterAPI"
RATIOS = ["faster-api-web", "FastAPI"]  # the FasterAPI/x ratio columns


def frameworks(ours_py, peers_py):
    """name -> (python, app dir, module:attr, lenient). faster-api-web 0.2.14 answers
    /items/42?q=hello with {"item_id":"42","q":null}: it is measured anyway and flagged."""
    return {
        OURS: (ours_py, HERE / "apps", "fasterapi_app:app", False),
        "FasterAPI (pydantic)": (ours_py, HERE / "apps", "fasterapi_pydantic_app:app", False),
        "faster-api-web": (peers_py, PEERS_DIR, "ref_app:app", True),
        "FastAPI": (peers_py, PEERS_DIR, "fastapi_app:app", False),
    }


def run_worker(name, spec, requests, endpoints):
    python, app_dir, app, lenient = spec
    cmd = [str(python), str(WORKER), str(app_dir), app, f"--requests={requests}", "--repeats=1"]
    cmd += [f"--only={','.join(endpoints)}"] + (["--lenient"] if lenient else [])
    env = dict(os.environ)
    if app_dir == PEERS_DIR:
        env.pop("PYTHONPATH", None)  # never let our package leak into the peers' interpreter
    p = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if p.returncode:
        sys.exit(f"{name} failed ({' '.join(cmd)}):\n{p.stderr.strip()}")
    return json.loads(p.stdout)


def table(names, endpoints, best, notes, requests, repeats, pythons):
    ratios = [r for r in RATIOS if OURS in names and r in names]
    lines = [
        f"In-process ASGI (`await app(scope, receive, send)`, stock asyncio loop, no server), "
        f"requests per second of CPU time (`time.process_time`, which leaves out the time the "
        f"machine gives to other work), best of {repeats} interleaved rounds of "
        f"{requests:,} requests per endpoint; Python {', '.join(sorted(set(pythons)))}.",
        "",
        "| endpoint | " + " | ".join(names) + "".join(f" | {OURS} / {r}" for r in ratios) + " |",
        "|---|" + "---:|" * (len(names) + len(ratios)),
    ]
    for ep in endpoints:
        cells = []
        for n in names:
            mark = f" [{notes[(n, ep)][0]}]" if (n, ep) in notes else ""
            cells.append(f"{best[n][ep]:,.0f}{mark}")
        cells += [f"{best[OURS][ep] / best[r][ep]:.2f}x" for r in ratios]
        lines.append(f"| {ep} | " + " | ".join(cells) + " |")
    for (n, ep), (i, what) in sorted(notes.items(), key=lambda kv: kv[1][0]):
        lines.append(f"\n[{i}] {n}, {ep}: wrong response ({what}); measured anyway.")
    return "\n".join(lines) + "\n"


def main():
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--requests", type=int, default=20000, help="requests per timed loop")
    ap.add_argument("--repeats", type=int, default=5, help="interleaved rounds; best is kept")
    ap.add_argument("--only", default="", help="comma-separated framework names")
    ap.add_argument("--endpoints", default=",".join(ENDPOINTS))
    ap.add_argument("--py", default=str(HERE.parent / ".venv/bin/python"), help="our python")
    ap.add_argument(
        "--peers-venv",
        default=os.environ.get("PEERS_VENV", os.path.expanduser("~/.cache/fasterapi-peers")),
    )
    ap.add_argument("--json", default="", help="write raw results here")
    ap.add_argument("--md", default="", help="write the markdown table here")
    a = ap.parse_args()

    specs = frameworks(a.py, Path(a.peers_venv) / "bin/python")
    names = [n for n in specs if not a.only or n in a.only.split(",")]
    unknown = set(a.only.split(",")) - set(specs) if a.only else set()
    if unknown or not names:
        sys.exit(f"unknown frameworks {sorted(unknown)}; known: {list(specs)}")
    endpoints = a.endpoints.split(",")
    for n in names:
        if not Path(specs[n][0]).exists():
            sys.exit(f"{n}: no interpreter at {specs[n][0]} (make build / make setup)")

    rps = {n: {ep: [] for ep in endpoints} for n in names}
    notes, pythons = {}, []
    for r in range(a.repeats):
        order = names[r % len(names) :] + names[: r % len(names)]
        for n in order:
            out = run_worker(n, specs[n], a.requests, endpoints)
            pythons.append(out["python"])
            for ep, res in out["endpoints"].items():
                rps[n][ep].append(res["best"])
                if "mismatch" in res and (n, ep) not in notes:
                    notes[(n, ep)] = (len(notes) + 1, res["mismatch"])
            print(f"# round {r + 1}/{a.repeats} {n}: done", file=sys.stderr)

    best = {n: {ep: max(v) for ep, v in rps[n].items()} for n in names}
    md = table(names, endpoints, best, notes, a.requests, a.repeats, pythons)
    print(md, end="")
    if a.md:
        Path(a.md).write_text(md)
    if a.json:
        raw = {"requests": a.requests, "repeats": a.repeats, "rps": rps, "best": best}
        Path(a.json).write_text(json.dumps(raw, indent=1))


if __name__ == "__main__":
    main()
