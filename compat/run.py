"""`make compat`: FastAPI 0.165.0's own test suite, run on FasterAPI through its drop-in mode.

    python compat/run.py            # the suite on FasterAPI; fails below compat/floor.txt
    python compat/run.py --real     # the same suite on the real FastAPI (installed apart)
    python compat/run.py --raise-floor   # record a higher count as the new floor

Downloads FastAPI's sdist once (into ~/.cache/fasterapi-compat), runs its tests/ with the
plugin compat/plugin.py, and prints `PASSED/4971`: 4,971 is what passes when the same suite
runs on FastAPI 0.165.0 itself. The sdist's own `fastapi/` package is moved aside, or it would
shadow the drop-in mode. The full output goes to compat/last-run.txt and the failing tests,
one per line, to compat/last-failures.txt (neither is committed).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

VERSION = "0.165.0"
#: Tests that pass when the suite runs on FastAPI 0.165.0 itself, on Python 3.11.
FASTAPI_PASSES = 4971
HERE = Path(__file__).resolve().parent
CACHE = Path.home() / ".cache" / "fasterapi-compat" / f"fastapi-{VERSION}"
FLOOR = HERE / "floor.txt"
#: The floor is kept this far below the count measured when it was set, so that one
#: timing-sensitive test does not fail a landing.
MARGIN = 10
#: Benchmarks and telemetry tests measure FastAPI's internals, not its behaviour.
IGNORED = ["tests/benchmarks", "tests/memory_benchmarks", "tests/test_telemetry"]


def fetch_suite() -> Path:
    """FastAPI's sdist, unpacked into the cache (once), its `fastapi/` package moved aside."""
    if not (CACHE / "tests").is_dir():
        with tempfile.TemporaryDirectory() as tmp:
            subprocess.run(
                [sys.executable, "-m", "pip", "download", "-q", "--no-deps"]
                + ["--no-binary", ":all:", f"fastapi=={VERSION}", "-d", tmp],
                check=True,
            )
            with tarfile.open(Path(tmp) / f"fastapi-{VERSION}.tar.gz") as archive:
                archive.extractall(tmp, filter="data")
            CACHE.parent.mkdir(parents=True, exist_ok=True)
            shutil.rmtree(CACHE, ignore_errors=True)
            shutil.move(Path(tmp) / f"fastapi-{VERSION}", CACHE)
    source = CACHE / "fastapi"
    if source.is_dir():
        source.rename(CACHE / "fastapi-src-unused")
    return CACHE


def run_suite(real: bool) -> tuple[int, str]:
    """Runs the suite; returns the number of passes and pytest's output."""
    suite = fetch_suite()
    env = dict(os.environ, PYTHONPATH=f"{HERE}{os.pathsep}{suite}", COLUMNS="400")
    if real:
        env["FASTERAPI_COMPAT_REAL"] = "1"
    command = [sys.executable, "-m", "pytest", "tests", "-q", "-p", "no:cacheprovider"]
    command += ["-c", "/dev/null", "--rootdir", str(suite), "-W", "ignore", "-p", "plugin"]
    command += ["--continue-on-collection-errors", "-rfE"]
    command += [f"--ignore={path}" for path in IGNORED]
    done = subprocess.run(command, cwd=suite, env=env, capture_output=True, text=True, timeout=1800)
    output = done.stdout + done.stderr
    (HERE / "last-run.txt").write_text(output)
    failures = sorted(set(re.findall(r"^(?:FAILED|ERROR) (\S+)", output, re.MULTILINE)))
    (HERE / "last-failures.txt").write_text("".join(f"{name}\n" for name in failures))
    if "INTERNALERROR" in output:
        raise SystemExit("the run was aborted (INTERNALERROR): see compat/last-run.txt")
    summary = re.findall(r"^=*\s*(.*\d+ (?:passed|failed).* in [\d.]+s.*?)\s*=*$", output, re.M)
    passed = re.search(r"(\d+) passed", summary[-1] if summary else "")
    return (int(passed.group(1)) if passed else 0), (summary[-1] if summary else "")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--real", action="store_true", help="run on the real FastAPI")
    parser.add_argument("--raise-floor", action="store_true", help="record a higher floor")
    args = parser.parse_args()
    passed, summary = run_suite(args.real)
    print(summary)
    print(f"{passed}/{FASTAPI_PASSES} passed ({passed * 100 // FASTAPI_PASSES}%)")
    if args.real:
        return 0
    floor_text = FLOOR.read_text()
    floor = int(floor_text.split()[0])
    if passed < floor:
        print(
            f"below the floor: {passed} < {floor} (compat/floor.txt); failures in "
            "compat/last-failures.txt"
        )
        return 1
    new_floor = passed - MARGIN
    if args.raise_floor and new_floor > floor:
        FLOOR.write_text(floor_text.replace(str(floor), str(new_floor), 1))
        print(f"floor raised from {floor} to {new_floor}")
    elif new_floor > floor:
        print(f"above the floor ({floor}): `make compat-floor` records {new_floor}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
