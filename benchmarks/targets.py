"""Check issue #3's and issue #14's CPU targets against the peer table's JSON (peerbench.py
--json) and the realistic app's (realistic.py --json) of one `make bench` run.

Each check divides the server CPU µs per request of a FasterAPI server by that of a contender
measured in the same run (the realistic app's against the hello-world json of the peer table),
and prints a markdown table with "met" or "not met".

    python3 targets.py out/peers.json [out/realistic.json] > out/targets.md
"""

import json
import sys
from fractions import Fraction

FLOOR = "axum-floor (pure Rust)"
FASTAPI = "FastAPI+uvicorn"
NATIVE = "FasterAPI native"
PYDANTIC = "FasterAPI native (pydantic)"

# (endpoint, ours, compared with, target ratio, goal ratio or None)
CHECKS = [
    ("json", NATIVE, FLOOR, Fraction(5, 2), Fraction(3, 2)),
    ("path+query", NATIVE, FLOOR, Fraction(5, 2), Fraction(3, 2)),
    ("json", NATIVE, FASTAPI, Fraction(1, 6), None),
    ("path+query", NATIVE, FASTAPI, Fraction(1, 6), None),
    ("POST body", NATIVE, FLOOR, Fraction(3), None),
    ("POST body", PYDANTIC, FASTAPI, Fraction(1, 5), None),
]

# Issue #14 on the hello-world table: (endpoint, ours, compared with, target ratio).
HELLO_14 = [
    ("json", NATIVE, FLOOR, Fraction(5, 4)),
    ("path+query", NATIVE, FLOOR, Fraction(5, 4)),
    ("POST body", NATIVE, FLOOR, Fraction(3, 2)),
]
REALISTIC = ["GET /items/{id}", "POST /items"]
# Issue #14 on the realistic app: (ours, compared with, target ratio, strictly less).
REALISTIC_14 = [
    (NATIVE, FASTAPI, Fraction(1, 10), False),
    ("FasterAPI+uvicorn", FASTAPI, Fraction(1, 3), False),
    (NATIVE, "Litestar+uvicorn", Fraction(1), True),
    (NATIVE, "BlackSheep+uvicorn", Fraction(1), True),
    ("FasterAPI+uvicorn", "Litestar+uvicorn", Fraction(1), True),
    ("FasterAPI+uvicorn", "BlackSheep+uvicorn", Fraction(1), True),
    (NATIVE, "FasterAPI+granian", Fraction(1), True),
]


def show(ratio):
    """2.5 as '2.50x', 0.16 as '1/6.2'."""
    return f"{ratio:.2f}x" if ratio >= 1 else f"1/{1 / ratio:.1f}"


def show_target(t):
    """Fraction(5, 2) as '2.5x', Fraction(1, 6) as '1/6'."""
    return f"1/{t.denominator}" if t < 1 else f"{float(t):g}x"


def cpu(med, name, endpoint):
    """The median server CPU µs per request, or None if not measured."""
    try:
        return med[name][endpoint][1] or None
    except (KeyError, TypeError, IndexError):
        return None


def row(endpoint, ours, a, theirs, b, target, goal=None, strict=False):
    aim = ("< " if strict else "≤ ") + show_target(target)
    aim += f" (goal {show_target(goal)})" if goal else ""
    if not a or not b:
        return f"| {endpoint} | {ours} | {theirs} | - | - | {aim} | not measured |"
    ratio = a / b
    met = ratio < target if strict else ratio <= target
    result = "**met**" if met else "**not met**"
    if goal:
        result += f" (goal {'met' if ratio <= goal else 'not met'})"
    cells = [endpoint, ours, theirs, f"{a:.1f} vs {b:.1f}", show(ratio), aim, result]
    return "| " + " | ".join(cells) + " |"


def main():
    med = json.load(open(sys.argv[1]))["median"]
    print("Ratios of server CPU µs per request from the tables above; lower is better.")
    print()
    header = "| endpoint | FasterAPI | compared with | CPU µs/req | ratio | target | result |"
    print(header + "\n|---|---|---|---:|---:|---|---|")
    for endpoint, ours, theirs, target, goal in CHECKS:
        a, b = cpu(med, ours, endpoint), cpu(med, theirs, endpoint)
        print(row(endpoint, ours, a, theirs, b, target, goal))
    print()
    print("Issue #14 (real apps stay fast):")
    print()
    print(header + "\n|---|---|---|---:|---:|---|---|")
    for endpoint, ours, theirs, target in HELLO_14:
        a, b = cpu(med, ours, endpoint), cpu(med, theirs, endpoint)
        print(row(endpoint, ours, a, theirs, b, target))
    if len(sys.argv) < 3:
        return
    real = json.load(open(sys.argv[2]))["median"]
    json_cpu = cpu(med, NATIVE, "json")
    for endpoint in REALISTIC:
        native = cpu(real, NATIVE, endpoint)
        print(row(endpoint, NATIVE, native, f"{NATIVE} json", json_cpu, Fraction(2)))
        for ours, theirs, target, strict in REALISTIC_14:
            a, b = cpu(real, ours, endpoint), cpu(real, theirs, endpoint)
            print(row(endpoint, ours, a, theirs, b, target, strict=strict))


if __name__ == "__main__":
    main()
