"""Loss results as a markdown table (terminal), ``results.json``, ``results.csv`` and a bar chart.

``results`` is ``{model: {domain: LossStats}}`` as :func:`train.evaluate.loss.evaluate_models`
returns it, with an ``average`` domain pooled over every document.
"""
from __future__ import annotations

import csv
import json
import math
import os
from typing import Any, Mapping

from skypile_common.markdown import markdown_table
from train.evaluate.loss import LossStats

COLUMNS = ("loss", "normalized_loss", "bits_per_byte", "ppl", "docs", "tokens", "ref_tokens", "bytes")


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return "nan" if math.isnan(value) else f"{value:.4f}"
    return str(value)


def results_markdown(results: Mapping[str, Mapping[str, LossStats]]) -> str:
    """Skywork's view first (normalized loss, domains x models), then every metric per row."""
    models = list(results)
    domains = list(next(iter(results.values()))) if results else []
    numeric = tuple(range(1, len(models) + 1))
    view = markdown_table(("domain", *models), [(d, *(_fmt(results[m][d].normalized_loss) for m in models))
                                               for d in domains], numeric=numeric)
    rows = [(m, d, *(_fmt(stats.to_dict()[c]) for c in COLUMNS)) for m in models for d, stats in results[m].items()]
    every = markdown_table(("model", "domain", *COLUMNS), rows, numeric=tuple(range(2, len(COLUMNS) + 2)))
    return view + "\n\n" + every


def to_json(results: Mapping[str, Mapping[str, LossStats]], meta: Mapping[str, Any]) -> dict:
    return {**meta, "models": {m: {d: s.to_dict() for d, s in per.items()} for m, per in results.items()}}


def write_results(out_dir: str, results: Mapping[str, Mapping[str, LossStats]],
                  meta: Mapping[str, Any]) -> dict[str, str]:
    """Writes results.json, results.csv and normalized_loss.png; returns their paths."""
    os.makedirs(out_dir, exist_ok=True)
    paths = {k: os.path.join(out_dir, f) for k, f in
             (("json", "results.json"), ("csv", "results.csv"), ("png", "normalized_loss.png"))}
    with open(paths["json"], "w", encoding="utf-8") as f:
        json.dump(to_json(results, meta), f, indent=2, ensure_ascii=False, allow_nan=True)
        f.write("\n")
    fields = ["model", "domain", *LossStats().to_dict()]
    with open(paths["csv"], "w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=fields)
        writer.writeheader()
        for m, per in results.items():
            for d, stats in per.items():
                writer.writerow({"model": m, "domain": d, **stats.to_dict()})
    bar_chart(results, paths["png"])
    return paths


def bar_chart(results: Mapping[str, Mapping[str, LossStats]], path: str) -> None:
    """Grouped bars: one group per domain, one bar per model, height = normalized loss."""
    import matplotlib

    matplotlib.use("Agg")  # files only; never needs a display
    import matplotlib.pyplot as plt

    models = list(results)
    domains = list(next(iter(results.values())))
    width = 0.8 / max(len(models), 1)
    fig, ax = plt.subplots(figsize=(max(6.0, 1.2 * len(domains) * max(len(models), 1) ** 0.5), 4.5))
    for i, m in enumerate(models):
        xs = [j + (i - (len(models) - 1) / 2) * width for j in range(len(domains))]
        ax.bar(xs, [results[m][d].normalized_loss for d in domains], width, label=m)
    ax.set_xticks(range(len(domains)))
    ax.set_xticklabels(domains, rotation=30, ha="right", fontsize=8)
    ax.set_ylabel("normalized loss (nats / reference token)")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
