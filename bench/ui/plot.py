"""Plot terminal echo p99 against N (children) per setup, from bench:ui's results JSON.

Usage: python plot.py ui-results.json ui-echo-p99.png
Solid lines: GB=2, K=3 (the goal case's row); dashed: GB=2, K=1; a case run several
times is drawn at its median; a hollow triangle marks a lower bound (keys lost).
"""

import json
import statistics
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402 (the backend must be chosen first)

COLOURS = {"A1": "tab:orange", "A2": "tab:red", "B": "tab:blue", "C": "tab:green", "D": "tab:purple"}


def main(results_path, png_path):
    with open(results_path) as f:
        report = json.load(f)
    labels = {setup["name"]: setup["label"] for setup in report["setups"]}
    figure, axes = plt.subplots(figsize=(8, 5))
    for setup in COLOURS:
        for k, style in ((3, "-"), (1, "--")):
            by_n = {}
            for r in report["results"]:
                if r["setup"] == setup and r["gb"] == 2 and r["k"] == k:
                    by_n.setdefault(r["n"], []).append(r)
            # A case run several times (the goal case) is drawn at its median.
            points = sorted(
                (n, statistics.median(r["echo"]["p99"] for r in runs), any(r["echo"]["lost"] for r in runs))
                for n, runs in by_n.items()
            )
            if not points:
                continue
            axes.axhline(100, color="grey", linewidth=0.8, linestyle=":")
            axes.plot(
                [n for n, _, _ in points],
                [p99 for _, p99, _ in points],
                style,
                marker="o",
                color=COLOURS[setup],
                label=f"({setup}) {labels.get(setup, '')}, K={k}",
            )
            # Keys that never echoed within the wait: the point is only a lower bound.
            for n, p99, censored in points:
                if censored:
                    axes.plot(n, p99, marker="^", markersize=12, markerfacecolor="white", color=COLOURS[setup])
    axes.set_yscale("log")
    axes.set_xlabel("N sleeping children sharing the kernel's 2 GiB\n(hollow triangle: keys never echoed within 30 s, the value is a lower bound)")
    axes.set_ylabel("terminal echo p99 (ms, log scale)")
    machine = report["machine"]
    axes.set_title(
        f"Terminal echo p99, GB=2 ({machine['cpus']} CPUs, Linux {machine['kernel']}, {machine['date'][:10]})",
        fontsize=10,
    )
    axes.grid(True, which="both", alpha=0.3)
    if axes.get_lines():
        axes.legend(fontsize=8)
    else:
        axes.text(0.5, 0.5, "no GB=2 case in this run", ha="center", transform=axes.transAxes)
    figure.tight_layout()
    figure.savefig(png_path, dpi=110)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
