#!/usr/bin/python3
# Plots a bench/run.sh CSV: seconds until the last machine is done vs N, one line per tool,
# one panel per link rate, with the line-rate bound dashed (and, for bench/os/run.sh, the
# bound of the compressed partclone image dotted).
#
#   /usr/bin/python3 bench/lan/plot.py results.csv out.png
import csv
import sys
from collections import defaultdict

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def main():
    src, out = sys.argv[1], sys.argv[2]
    series = defaultdict(lambda: defaultdict(list))
    bounds = {}
    zbounds = {}
    with open(src, newline="") as f:
        rows = [row for row in csv.DictReader(f) if row["status"] == "ok"]
    # A run over several piece sizes (bench/run.sh PIECE="auto gbe:16M") gets a line per
    # tool and piece size.
    pieces = defaultdict(set)
    for row in rows:
        pieces[row["rate"]].add(row.get("piece", ""))
    for row in rows:
        label = row["tool"]
        if len(pieces[row["rate"]]) > 1:
            label = "%s, %s pieces" % (row["tool"], row["piece"])
        series[row["rate"]][label].append((int(row["n"]), float(row["seconds"])))
        bounds[row["rate"]] = float(row["bound_seconds"])
        if row.get("bound_zst_seconds"):
            zbounds[row["rate"]] = float(row["bound_zst_seconds"])
    rates = sorted(series, key=lambda r: float("".join(c for c in r if c.isdigit() or c == ".")))
    if not rates:
        print("plot: no successful rows", file=sys.stderr)
        return 1
    fig, axes = plt.subplots(1, len(rates), figsize=(6 * len(rates), 4.5), squeeze=False)
    for ax, rate in zip(axes[0], rates):
        for tool, points in sorted(series[rate].items()):
            points.sort()
            ax.plot([p[0] for p in points], [p[1] for p in points], marker="o", label=tool)
        ax.axhline(bounds[rate], color="grey", linestyle="--", label="line-rate bound")
        if rate in zbounds:
            ax.axhline(zbounds[rate], color="grey", linestyle=":", label="bound, compressed image")
        ax.set_xscale("log", base=2)
        ns = sorted({p[0] for pts in series[rate].values() for p in pts})
        ax.set_xticks(ns)
        ax.set_xticklabels([str(n) for n in ns])
        ax.set_ylim(bottom=0)
        ax.set_title("link %s" % rate)
        ax.set_xlabel("machines (N)")
        ax.set_ylabel("seconds until the last machine is verified")
        ax.grid(True, alpha=0.3)
        ax.legend()
    fig.tight_layout()
    fig.savefig(out, dpi=100)
    return 0


if __name__ == "__main__":
    sys.exit(main())
