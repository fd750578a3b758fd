"""Plot a run's loss curve from ``OUT/metrics.jsonl``, stage transitions marked.

    python -m train.plot runs/tiny/metrics.jsonl --out docs/tiny_loss.png

Top: training loss and per-source loss against tokens seen, and the evaluations (``eval/<set>``:
normalized loss, dashed with markers); the stage boundaries are vertical lines. Bottom: each source's share of the tokens in every logged window (the mixture, ramps
included) and the learning rate.
"""
from __future__ import annotations

import argparse
import sys

from train.metrics import read_metrics


def plot(records: list[dict], out: str, title: str = "") -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    tokens = [r["tokens"] / 1e3 for r in records]
    sources = sorted({s for r in records for s in r.get("loss_per_source", {})})
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(7, 5.5), sharex=True, gridspec_kw={"height_ratios": [3, 2]})
    top.plot(tokens, [r["loss"] for r in records], color="black", lw=1.6, label="loss (all)")
    for src in sources:
        pts = [(t, r["loss_per_source"][src]) for t, r in zip(tokens, records) if src in r.get("loss_per_source", {})]
        top.plot([p[0] for p in pts], [p[1] for p in pts], lw=0.9, alpha=0.8, label=f"loss ({src})")
    for key in sorted({k for r in records for k in r if k.startswith("eval/")}):
        pts = [(t, r[key]) for t, r in zip(tokens, records) if key in r]
        values = [v.get("normalized_loss") if isinstance(v, dict) else v for _, v in pts]
        top.plot([p[0] for p in pts], values, marker="o", ms=3, ls="--", lw=1, label=key)
    for src in sources:  # share of each logged window's tokens: the realized mixture
        prev, prev_total, shares = 0, 0, []
        for r in records:
            total = sum(r["tokens_per_source"].values())
            shares.append((r["tokens_per_source"].get(src, 0) - prev) / max(total - prev_total, 1))
            prev, prev_total = r["tokens_per_source"].get(src, 0), total
        bottom.plot(tokens, shares, lw=1, label=f"token share: {src}")
    lr_axis = bottom.twinx()
    lr_axis.plot(tokens, [r["lr"] for r in records], color="grey", ls="--", lw=1, label="learning rate")
    lr_axis.set_ylabel("learning rate")
    for i in range(1, len(records)):
        if records[i]["stage"] != records[i - 1]["stage"]:
            for ax in (top, bottom):
                ax.axvline(tokens[i - 1], color="red", ls=":", lw=1)
            top.annotate(f"→ {records[i]['stage']}", (tokens[i - 1], top.get_ylim()[1]), color="red",
                         fontsize=8, va="top", ha="left")
    top.set_ylabel("loss (nats/token)")
    top.legend(fontsize=8)
    top.set_title(title or "training loss by source; stage boundary dotted", fontsize=10)
    bottom.set_xlabel("tokens seen (thousands)")
    bottom.set_ylabel("share of tokens")
    bottom.legend(fontsize=8, loc="upper left")
    lr_axis.legend(fontsize=8, loc="upper right")
    fig.tight_layout()
    fig.savefig(out, dpi=80)


def parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("metrics", help="OUT/metrics.jsonl of a run")
    ap.add_argument("--out", required=True, help="PNG to write")
    ap.add_argument("--title", default="")
    return ap


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    plot(read_metrics(args.metrics), args.out, args.title)
    return 0


if __name__ == "__main__":
    sys.exit(main())
