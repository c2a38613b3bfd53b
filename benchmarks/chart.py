"""Bar chart of server CPU µs per request, per contender, grouped by endpoint.

Reads the peer table's JSON (peerbench.py --json) and writes a PNG. Needs matplotlib, which
`make setup` installs into the peers venv; without it this says so and exits 0, writing nothing.

    $PEERS_VENV/bin/python chart.py out/peers.json cpu_per_request.png
"""

import json
import sys

try:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
except ImportError:
    plt = None


def main():
    src, dst = sys.argv[1], sys.argv[2]
    if plt is None:
        print(f"chart.py: matplotlib cannot be imported by {sys.executable}; no chart written")
        return
    med = json.load(open(src))["median"]
    endpoints = list(next(iter(med.values())))
    # cheapest first, so the legend reads from the floor upwards
    names = sorted(med, key=lambda n: sum(med[n][e][1] or 0 for e in endpoints))
    width = 0.8 / len(names)
    fig, ax = plt.subplots(figsize=(13, 6))
    cmap = plt.get_cmap("tab10" if len(names) <= 10 else "tab20")
    for i, name in enumerate(names):
        xs = [j + (i - (len(names) - 1) / 2) * width for j in range(len(endpoints))]
        ys = [med[name][e][1] or 0 for e in endpoints]
        bars = ax.bar(xs, ys, width, label=name, color=cmap(i))
        ax.bar_label(bars, fmt="%.0f", fontsize=7, padding=1)
    ax.set_xticks(range(len(endpoints)), endpoints)
    ax.set_ylabel("server CPU µs per request (lower is better)")
    ax.set_title("CPU per request, server on one core, wrk -c64 (median of the rounds)")
    ax.grid(axis="y", alpha=0.3)
    ax.set_axisbelow(True)
    ax.legend(fontsize=8, ncols=2)
    fig.tight_layout()
    fig.savefig(dst, dpi=110)
    print(f"wrote {dst}")


if __name__ == "__main__":
    main()
