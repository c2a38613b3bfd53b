"""The native server's memory while one client pipelines 1 GiB of requests (stdlib only).

Starts `fasterapi run fasterapi_app:app` (pinned to CPU 0) and opens one connection that
pipelines GET /json requests (each padded with a 1 KiB header, so 1 GiB is about a million
requests). First it sends without reading a byte of the answers, until the server stops reading
(its sends block for --stall seconds): the server must hold what it has read, not everything
sent. Then a reader thread drains the answers while the rest of the 1 GiB goes out. VmRSS is read
every 50 ms throughout; the verdict is on the peak growth over the RSS after start-up (--limit).

    python3 flood.py --py ../.venv/bin/python --gib 1 --json out.json --md out.md
"""

import argparse
import json
import socket
import threading
import time
from pathlib import Path

from httpbench import HERE, native, rss_kib, server

PORT = 8214
REQUEST = b"GET /json HTTP/1.1\r\nHost: bench\r\nX-Pad: " + b"p" * 1024 + b"\r\n\r\n"


class Sampler(threading.Thread):
    """Keeps the peak VmRSS of `pid` until stopped."""

    def __init__(self, pid):
        super().__init__(daemon=True)
        self.pid, self.peak, self.running = pid, rss_kib(pid), True

    def run(self):
        while self.running:
            self.peak = max(self.peak, rss_kib(self.pid))
            time.sleep(0.05)


def drain(sock, counts):
    """Reads answers until the connection ends, counting the status lines."""
    tail = b""
    while True:
        try:
            data = sock.recv(1 << 20)
        except OSError:
            return
        if not data:
            return
        # a status line never straddles two reads unnoticed: keep the last few bytes
        text = tail + data
        counts["200"] += text.count(b"HTTP/1.1 200 ")
        tail = text[-16:]
        counts["200"] -= tail.count(b"HTTP/1.1 200 ")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--py", default=str(HERE.parent / ".venv/bin/python"))
    ap.add_argument("--gib", type=float, default=1.0, help="how much to pipeline")
    ap.add_argument("--stall", type=float, default=3.0, help="seconds blocked = stopped reading")
    ap.add_argument("--limit", type=float, default=64.0, help="allowed RSS growth, MiB")
    ap.add_argument("--json", default="")
    ap.add_argument("--md", default="")
    a = ap.parse_args()
    total = int(a.gib * (1 << 30))
    batch = REQUEST * 256

    cmd, port, cwd = native(a.py, PORT)
    with server(cmd, port, cwd, cpu=0) as p:
        start_rss = rss_kib(p.pid)
        sampler = Sampler(p.pid)
        sampler.start()
        sock = socket.create_connection(("127.0.0.1", port))
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
        sock.settimeout(a.stall)
        sent, t0 = 0, time.monotonic()
        try:  # phase 1: never read
            while sent < total:
                sock.sendall(batch)
                sent += len(batch)
        except TimeoutError:
            pass
        unread_phase = (sent, sampler.peak - start_rss)
        counts = {"200": 0}
        reader = threading.Thread(target=drain, args=(sock, counts), daemon=True)
        reader.start()
        sock.settimeout(60)
        while sent < total:  # phase 2: the rest, answers drained
            sock.sendall(batch)
            sent += len(batch)
        sock.shutdown(socket.SHUT_WR)
        reader.join(300)
        elapsed = time.monotonic() - t0
        sampler.running = False
        sampler.join()
        growth = (sampler.peak - start_rss) / 1024

    requests = sent // len(REQUEST)
    result = {
        "sent_bytes": sent,
        "requests": requests,
        "answered": counts["200"],
        "accepted_before_stall_bytes": unread_phase[0],
        "growth_while_unread_mib": unread_phase[1] / 1024,
        "rss_start_mib": start_rss / 1024,
        "peak_growth_mib": growth,
        "seconds": elapsed,
    }
    verdict = "met" if growth <= a.limit and counts["200"] == requests else "not met"
    lines = [
        f"One connection pipelines {sent / (1 << 30):.2f} GiB of GET /json ({requests:,} requests"
        f" with a 1 KiB header) to `fasterapi run fasterapi_app:app` on CPU 0. It first sends"
        f" without reading until its sends block for {a.stall:g} s, then drains the answers while"
        " sending the rest.",
        "",
        "| measure | value |",
        "|---|---:|",
        f"| sent before the server stopped reading | {unread_phase[0] / (1 << 20):.1f} MiB |",
        f"| RSS growth while nothing was read | {unread_phase[1] / 1024:.1f} MiB |",
        f"| peak RSS growth over the whole run | {growth:.1f} MiB |",
        f"| requests answered (200) | {counts['200']:,} of {requests:,} |",
        f"| duration | {elapsed:.1f} s |",
        "",
        f"Target: peak growth under {a.limit:g} MiB and every request answered: **{verdict}**.",
    ]
    md = "\n".join(lines)
    print(md)
    if a.json:
        Path(a.json).write_text(json.dumps(result, indent=2))
    if a.md:
        Path(a.md).write_text(md + "\n")


if __name__ == "__main__":
    main()
