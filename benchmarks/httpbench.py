"""Helpers shared by latency.py, memory.py and scaling.py (stdlib only, run with python3).

They start a server the way /work/shared/bench/peerbench.py does (under bash, optionally pinned
with taskset, in its own process group), wait for its port, drive it with wrk and parse wrk's
output, read a process tree's CPU time and resident memory from /proc, and stop it again.
"""

import json
import os
import re
import signal
import socket
import subprocess
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

HERE = Path(__file__).resolve().parent
APPS = HERE / "apps"
SHARED = Path(os.environ.get("SHARED", "/work/shared/bench"))
PEERS_VENV = os.environ.get("PEERS_VENV", os.path.expanduser("~/.cache/fasterapi-peers"))
TICK = os.sysconf("SC_CLK_TCK")
FLOOR = "axum-floor (pure Rust)"
NATIVE = "FasterAPI native"


def peer(name):
    """(command, port, cwd) of a contender of the shared peers.json."""
    c = json.loads((SHARED / "peers.json").read_text())["contenders"][name]
    return c["cmd"], c["port"], str(SHARED / "peers" / c.get("cwd", "."))


def native(py, port, app="fasterapi_app:app", workers=1):
    """(command, port, cwd) of `fasterapi run` from our venv, serving one of apps/."""
    fasterapi = Path(py).parent / "fasterapi"
    cmd = (
        f"{fasterapi} run {app} --host 127.0.0.1 --port {port} --workers {workers}"
        " --no-access-log --log-level warning"
    )
    return cmd, port, str(APPS)


def port_free(port):
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) != 0


def wait_up(port, path="/json", timeout=60):
    t0 = time.time()
    while time.time() - t0 < timeout:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=1).read()
            return True
        except Exception:
            time.sleep(0.2)
    return False


@contextmanager
def server(cmd, port, cwd, cpu=None, path="/json"):
    """Run `cmd` (pinned to `cpu` if given) until the with-block ends, once `path` answers;
    yields the Popen."""
    if not port_free(port):
        raise SystemExit(f"port {port} is already in use: is another benchmark running?")
    argv = ["bash", "-c", "exec " + cmd]
    if cpu is not None:
        argv = ["taskset", "-c", str(cpu), *argv]
    env = dict(os.environ, PEERS_VENV=PEERS_VENV)
    p = subprocess.Popen(
        argv,
        cwd=cwd,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        if not wait_up(port, path):
            raise SystemExit(f"{cmd!r} did not answer on port {port}")
        yield p
    finally:
        os.killpg(p.pid, signal.SIGTERM)
        try:
            p.wait(5)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
            p.wait()
        time.sleep(0.5)


def wrk(port, path, dur, conn=64, cpu=1, latency=False, script=None, args=()):
    """Run wrk once; returns requests, rps, non2xx, socket errors and, with latency=True,
    p50/p99 in ms."""
    cmd = ["wrk", "-t1", f"-c{conn}", f"-d{dur}s"]
    if cpu is not None:
        cmd = ["taskset", "-c", str(cpu), *cmd]
    if latency:
        cmd.append("--latency")
    if script:
        cmd += ["-s", str(script)]
    cmd.append(f"http://127.0.0.1:{port}{path}")
    if args:
        cmd += ["--", *map(str, args)]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    res = {"requests": 0, "rps": 0.0, "non2xx": 0, "errors": 0}
    for line in out.splitlines():
        s = line.split()
        if "requests in" in line:
            res["requests"] = int(s[0])
        elif line.startswith("Requests/sec"):
            res["rps"] = float(s[1])
        elif "Non-2xx" in line:
            res["non2xx"] = int(s[-1])
        elif line.strip().startswith("Socket errors"):  # connect N, read N, write N, timeout N
            res["errors"] = sum(int(n.rstrip(",")) for n in s[3::2])
        elif s and s[0] in ("50%", "99%"):
            res["p" + s[0][:-1]] = to_ms(s[1])
    if res["requests"] == 0:
        raise SystemExit(f"wrk got no responses:\n{out}")
    return res


def to_ms(text):
    """wrk's '812.00us', '1.25ms' or '2.01s' in milliseconds."""
    value, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()
    return float(value) * {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 60e3}[unit]


def tree_pids(pid):
    pids = [pid]
    out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout
    for kid in out.split():
        pids += tree_pids(int(kid))
    return pids


def cpu_seconds(pid):
    """user+system CPU seconds of a process and its descendants."""
    ticks = 0
    for p in tree_pids(pid):
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
            ticks += int(fields[11]) + int(fields[12])
        except (OSError, IndexError, ValueError):
            pass
    return ticks / TICK


def rss_kib(pid):
    """VmRSS of a process and its descendants, in KiB."""
    total = 0
    for p in tree_pids(pid):
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            pass
    return total
