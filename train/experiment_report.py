"""A sweep's results as tables, a trade-off chart and the variant Skywork's rule picks.

The rule (Skywork-13B, arXiv:2310.19341 §5.5: 20% STEM "keeps the validation loss flat while the
benchmark improves"): among the variants whose general loss (the pooled ``average`` of the domain
sets) is at most ``margin`` above the baseline's, take the one with the largest in-domain gain
(baseline's probe loss minus the variant's). No variant qualifies: the baseline stays.
"""
from __future__ import annotations

import csv
import json
import os

from train.experiment import SWEEP_FILE, write_json

METRICS = ("normalized_loss", "bits_per_byte")


def rows(results: list[dict], probe: str, metric: str = "normalized_loss", margin: float = 0.02) -> list[dict]:
    """One row per variant, the first being the baseline, with deltas and the rule's verdict."""
    base = results[0]["scores"]
    general0, probe0 = base["average"][metric], base[probe][metric]
    out = []
    for i, r in enumerate(results):
        general, in_domain = r["scores"]["average"][metric], r["scores"][probe][metric]
        share = r.get("stage_tokens", {})
        total = sum(share.values())
        out.append({
            "variant": r["name"], "label": r["label"], "baseline": i == 0, "tokens": r["tokens"],
            "general": general, "general_delta": general - general0,
            "in_domain": in_domain, "in_domain_gain": probe0 - in_domain,
            "within_margin": general - general0 <= margin,
            "token_shares": {s: n / total for s, n in sorted(share.items())} if total else {},
            **{f"general/{d}": s[metric] for d, s in r["scores"].items() if d not in ("average", probe)},
        })
    return out


def pick(table: list[dict]) -> dict:
    eligible = [r for r in table[1:] if r["within_margin"] and r["in_domain_gain"] > 0]
    return max(eligible, key=lambda r: r["in_domain_gain"]) if eligible else table[0]


def markdown(table: list[dict], picked: dict, probe: str, metric: str, margin: float) -> str:
    domains = [k for k in table[0] if k.startswith("general/")]
    head = ["variant", "stage tokens by source", f"general ({metric})", "Δ general", f"{probe}", "in-domain gain",
            *(d.split("/", 1)[1] for d in domains), "within margin"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in table:
        shares = ", ".join(f"{s} {v:.0%}" for s, v in r["token_shares"].items())
        name = r["label"] + (" (baseline)" if r["baseline"] else "") + (" **picked**" if r is picked else "")
        cells = [name, shares, f"{r['general']:.4f}", f"{r['general_delta']:+.4f}", f"{r['in_domain']:.4f}",
                 f"{r['in_domain_gain']:+.4f}", *(f"{r[d]:.4f}" for d in domains),
                 "yes" if r["within_margin"] else "no"]
        lines.append("| " + " | ".join(cells) + " |")
    rule = (f"Rule: largest in-domain gain whose general loss stays within {margin:g} of the baseline's. "
            f"Picked: {picked['label']}" + (" (no variant qualifies)" if picked["baseline"] else "") + ".")
    return "\n".join(lines) + "\n\n" + rule + "\n"


def chart(table: list[dict], picked: dict, path: str, probe: str, metric: str, margin: float) -> None:
    """General loss (x) against in-domain loss (y), one point per variant; lower-left is better."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.5, 4.5))
    for i, r in enumerate(table):  # points named v0, v1, ...; the legend spells the variants out
        ax.scatter(r["general"], r["in_domain"], marker="*" if r["baseline"] else "o",
                   s=160 if r["baseline"] else 50, color="black" if r["baseline"] else "tab:blue", zorder=3,
                   label=f"v{i}: {r['label']}" + (" (baseline)" if r["baseline"] else ""))
        ax.annotate(f"v{i}", (r["general"], r["in_domain"]), textcoords="offset points", xytext=(6, 4), fontsize=8)
    ax.scatter(picked["general"], picked["in_domain"], s=300, facecolors="none", edgecolors="red", zorder=4,
               label="picked")
    limit = table[0]["general"] + margin
    ax.axvline(limit, color="grey", ls=":", lw=1, label=f"baseline + margin ({margin:g})")
    xs = [r["general"] for r in table] + [limit]
    pad = 0.1 * (max(xs) - min(xs)) or 0.01
    ax.set_xlim(min(xs) - pad, max(xs) + pad)
    ax.set_xlabel(f"general loss: domain-set average ({metric})")
    ax.set_ylabel(f"in-domain loss: {probe} ({metric})")
    ax.legend(fontsize=7, loc="best")
    ax.set_title("sweep trade-off: in-domain gain against general harm", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


def write_report(out: str, results: list[dict], metric: str = "normalized_loss", margin: float = 0.02) -> dict:
    """OUT/sweep.json (manifest + results + pick), sweep.csv, sweep.md, sweep.png; returns the pick."""
    if metric not in METRICS:
        raise ValueError(f"metric must be one of {METRICS}, got {metric!r}")
    with open(os.path.join(out, SWEEP_FILE), encoding="utf-8") as f:
        manifest = json.load(f)
    probe = manifest["spec"]["config"]["eval"]["probe"].partition("=")[0]
    table = rows(results, probe, metric, margin)
    picked = pick(table)
    manifest.update({"results": results, "table": table, "metric": metric, "margin": margin,
                     "rule": "largest in-domain gain with general loss <= baseline + margin",
                     "picked": picked["variant"]})
    write_json(os.path.join(out, SWEEP_FILE), manifest)
    columns = [k for k in table[0] if k != "token_shares"] + ["token_shares"]
    with open(os.path.join(out, "sweep.csv"), "w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=columns)
        writer.writeheader()
        for r in table:
            writer.writerow({**r, "token_shares": json.dumps(r["token_shares"])})
    with open(os.path.join(out, "sweep.md"), "w", encoding="utf-8") as f:
        f.write(markdown(table, picked, probe, metric, margin))
    chart(table, picked, os.path.join(out, "sweep.png"), probe, metric, margin)
    return picked
