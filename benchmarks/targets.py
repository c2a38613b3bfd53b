"""Check issue #3's CPU targets against the peer table's JSON (peerbench.py --json) of one run.

Each check divides the server CPU µs per request of a FasterAPI native server by that of a
contender measured in the same run, and prints a markdown table with "met" or "not met".

    python3 targets.py out/peers.json > out/targets.md
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


def show(ratio):
    """2.5 as '2.50x', 0.16 as '1/6.2'."""
    return f"{ratio:.2f}x" if ratio >= 1 else f"1/{1 / ratio:.1f}"


def show_target(t):
    """Fraction(5, 2) as '2.5x', Fraction(1, 6) as '1/6'."""
    return f"1/{t.denominator}" if t < 1 else f"{float(t):g}x"


def main():
    med = json.load(open(sys.argv[1]))["median"]
    print("Ratios of server CPU µs per request from the table above; lower is better.")
    print()
    print("| endpoint | FasterAPI | compared with | CPU µs/req | ratio | target | result |")
    print("|---|---|---|---:|---:|---|---|")
    for endpoint, ours, theirs, target, goal in CHECKS:
        aim = f"≤ {show_target(target)}" + (f" (goal {show_target(goal)})" if goal else "")
        try:
            a, b = med[ours][endpoint][1], med[theirs][endpoint][1]
        except (KeyError, TypeError):
            a = b = None
        if not a or not b:
            print(f"| {endpoint} | {ours} | {theirs} | - | - | {aim} | not measured |")
            continue
        ratio = a / b
        result = "**met**" if ratio <= target else "**not met**"
        if goal:
            result += f" (goal {'met' if ratio <= goal else 'not met'})"
        cells = [endpoint, ours, theirs, f"{a:.1f} vs {b:.1f}", show(ratio), aim, result]
        print("| " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
