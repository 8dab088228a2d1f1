"""Bar chart of nerfinv's speed against the PyTorch peer, before and after, from two peer tables.

Each table is the markdown that `../shared/peers/run_gen2_side_by_side.sh` prints (rows
`| workload | nerfinv median (s) | torch median (s) | ratio |`). Rows without a nerfinv figure are
left out. Needs matplotlib (any venv: `pip install matplotlib`).

    python3 tools/plot_peer_ratios.py BEFORE.md AFTER.md --title "AMD EPYC" --out docs/speed_peer_epyc.png
"""

import argparse
import re
import sys


def ratios(path):
    rows = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            if len(cells) != 4 or not cells[3].endswith("x"):
                continue
            try:
                rows[cells[0]] = float(cells[3][:-1])
            except ValueError:
                continue
    if not rows:
        sys.exit(f"{path}: no table rows of the form | workload | nerfinv | torch | 1.23x |")
    return rows


def short(label):
    label = re.sub(r"\(.*?\)", "", label)
    label = label.replace("code + pose + photometric + light, ", "").replace(", grid + probes", "")
    return re.sub(r"\s+,", ",", label).strip(" ,")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("before")
    ap.add_argument("after")
    ap.add_argument("--title", default="")
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    before, after = ratios(args.before), ratios(args.after)
    names = [n for n in after if n in before]
    y = range(len(names))
    fig, ax = plt.subplots(figsize=(9, 0.45 * len(names) + 1.4), dpi=110)
    ax.barh([i + 0.2 for i in y], [before[n] for n in names], height=0.4, color="#bbbbbb", label="before")
    ax.barh([i - 0.2 for i in y], [after[n] for n in names], height=0.4, color="#2b6cb0", label="after")
    for i, n in enumerate(names):
        ax.text(after[n] + 0.03, i - 0.2, f"{after[n]:.2f}x", va="center", fontsize=8)
    ax.axvline(2.0, color="#c53030", lw=1, ls="--", label="target 2x")
    ax.axvline(1.0, color="black", lw=0.6)
    ax.set_yticks(list(y))
    ax.set_yticklabels([short(n) for n in names], fontsize=8)
    ax.invert_yaxis()
    ax.set_xlabel("PyTorch peer time / nerfinv time (higher is faster)")
    ax.set_title(args.title, fontsize=10)
    ax.legend(fontsize=8, loc="lower right")
    fig.tight_layout()
    fig.savefig(args.out)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
