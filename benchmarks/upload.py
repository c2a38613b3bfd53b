"""The native server's memory while a client uploads a 2 GiB file in a multipart form (stdlib).

Starts `fasterapi run tests.apps.upload_app:app` (pinned to CPU 0; its route takes an
UploadFile and hashes it) and sends one multipart body with a 2 GiB file part, in 1 MiB
pieces, with no `max_body_size` set. The body is parsed as it arrives and the file spooled to
disk, so VmRSS (read every 50 ms) must stay flat: the verdict is on its peak growth (--limit).

    python3 upload.py --py ../.venv/bin/python --gib 2 --md out.md
"""

import argparse
import hashlib
import json
import socket
import time
from pathlib import Path

from flood import Sampler
from httpbench import HERE, rss_kib, server

PORT = 8218
BOUNDARY = b"benchB0undary"


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--py", default=str(HERE.parent / ".venv/bin/python"))
    ap.add_argument("--gib", type=float, default=2.0)
    ap.add_argument("--limit", type=float, default=64.0, help="allowed RSS growth, MiB")
    ap.add_argument("--json", default="")
    ap.add_argument("--md", default="")
    a = ap.parse_args()
    size = int(a.gib * (1 << 30))
    before = (
        b"--" + BOUNDARY + b'\r\nContent-Disposition: form-data; name="name"\r\n\r\nbig\r\n'
        b"--" + BOUNDARY + b'\r\nContent-Disposition: form-data; name="file"; filename="b.bin"'
        b"\r\nContent-Type: application/octet-stream\r\n\r\n"
    )
    after = b"\r\n--" + BOUNDARY + b"--\r\n"
    head = (
        b"POST /upload HTTP/1.1\r\nHost: bench\r\nContent-Type: multipart/form-data; boundary="
        + BOUNDARY
        + f"\r\nContent-Length: {len(before) + size + len(after)}\r\n\r\n".encode()
    )
    piece = bytes(range(256)) * 4096  # 1 MiB

    fasterapi = Path(a.py).parent / "fasterapi"
    cmd = f"{fasterapi} run tests.apps.upload_app:app --port {PORT} --no-access-log"
    with server(cmd, PORT, str(HERE.parent), cpu=0, path="/health") as p:
        start = rss_kib(p.pid)
        sampler = Sampler(p.pid)
        sampler.start()
        digest = hashlib.sha256()
        t0 = time.monotonic()
        with socket.create_connection(("127.0.0.1", PORT), timeout=120) as sock:
            sock.sendall(head + before)
            sent = 0
            while sent < size:
                chunk = piece[: size - sent]
                sock.sendall(chunk)
                digest.update(chunk)
                sent += len(chunk)
            sock.sendall(after)
            answer = b""
            while b"}" not in answer:
                data = sock.recv(65536)
                if not data:
                    break
                answer += data
        elapsed = time.monotonic() - t0
        sampler.running = False
        sampler.join()
    status = answer.split(b" ", 2)[1].decode() if answer else "none"
    body = json.loads(answer.split(b"\r\n\r\n", 1)[1]) if status == "200" else {}
    whole = body.get("size") == size and body.get("sha256") == digest.hexdigest()
    growth = (sampler.peak - start) / 1024
    verdict = "met" if whole and growth <= a.limit else "not met"
    md = "\n".join(
        [
            f"One {size / (1 << 30):.2f} GiB file uploaded in a multipart form to"
            " `fasterapi run tests.apps.upload_app:app` on CPU 0 (no max_body_size).",
            "",
            "| measure | value |",
            "|---|---:|",
            f"| answer | {status}, {'whole (size and SHA-256 match)' if whole else 'WRONG'} |",
            f"| RSS at start | {start / 1024:.1f} MiB |",
            f"| peak RSS growth | {growth:.1f} MiB |",
            f"| duration | {elapsed:.1f} s ({size / elapsed / (1 << 20):.0f} MiB/s) |",
            "",
            f"Target: the file arrives whole and RSS grows under {a.limit:g} MiB: **{verdict}**.",
        ]
    )
    print(md)
    if a.json:
        Path(a.json).write_text(json.dumps({"growth_mib": growth, "whole": whole}))
    if a.md:
        Path(a.md).write_text(md + "\n")


if __name__ == "__main__":
    main()
