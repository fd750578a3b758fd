"""Skywork's in-domain experiments (arXiv:2310.19341 §5.4-5.5) on CPU, one command, two seeds.

    .venv/bin/python bench/stem_sweep.py --out runs/stem_sweep [--seeds 0 1] [--chart PNG] [--forecast]

1. Data (``OUT/data``): ``web/`` = the gold main-content texts of real web pages (scrapinghub
   article-extraction-benchmark article bodies and Mozilla Readability's expected outputs, i.e.
   extracted web text) and DCLM's Common Crawl pages annotated as good; one page in 5 held out
   as ``eval/web_heldout.jsonl``, one in 5 kept for stage 2 (``web_stage2/``), the rest for
   stage 1 (``web/``); ``gsm8k/`` = GSM8K *train* problems, question + " " + answer.
2. Per seed: stage 1 (``configs/experiments/stem_stage1.yaml``: web only), then
   ``skypile experiment sweep`` of stage 2 (``stem_stage2.yaml``) from it with the GSM8K share
   0, 0.1, 0.2, 0.4.
3. Evaluation: general = the held-out web pages (never trained on: Skywork's general-domain
   validation loss) plus any ``--general`` sets; in-domain probe = GSM8K *test* (never trained
   on), both through the trainer's built-in hook. Prints the seed-noise table and the forecast
   backtests.

Reads ../shared/data (benchmark inputs only; nothing here ships with the package).
"""
from __future__ import annotations

import argparse
import glob
import gzip
import json
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
SHARED = os.path.normpath(os.path.join(ROOT, "..", "shared", "data"))
SHARES = (0.0, 0.1, 0.2, 0.4)


def web_texts() -> list[str]:
    """Gold extractions of real web pages (English news/blogs and Readability's test sites)."""
    import lxml.html

    texts = []
    with open(os.path.join(SHARED, "html", "scrapinghub_aeb", "ground-truth.json"), encoding="utf-8") as f:
        texts += [v["articleBody"] for _, v in sorted(json.load(f).items())]
    for path in sorted(glob.glob(os.path.join(SHARED, "html", "mozilla_readability", "*", "expected.html.gz"))):
        with gzip.open(path, "rt", encoding="utf-8") as f:
            texts.append(lxml.html.fromstring(f.read()).text_content())
    # DCLM's human-annotated Common Crawl pages, those labelled good (deduplicated across its files).
    seen = set()
    for name in ("majority_data.jsonl", "agreement_data.jsonl"):
        with open(os.path.join(SHARED, "labels", "dclm_web_quality_en", name), encoding="utf-8") as f:
            for line in f:
                record = json.loads(line)
                if record["label"] == 1 and record["text"] not in seen:
                    seen.add(record["text"])
                    texts.append(record["text"])
    return [" ".join(t.split()) for t in texts if len(t.split()) >= 50]


def gsm8k_texts(split: str) -> list[str]:
    from transforms.jsonl import read_jsonl_texts

    return read_jsonl_texts(os.path.join(SHARED, "eval", "gsm8k", f"{split}.jsonl"), ["question", "answer"])


def write_source(folder: str, name: str, texts: list[str], files: int = 4, rows_per_group: int = 16) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    from transforms.document import Document, parquet_schema, stable_id, to_row

    os.makedirs(folder, exist_ok=True)
    schema = parquet_schema()
    per_file = -(-len(texts) // files)
    for i in range(files):
        rows = [to_row(Document(id=stable_id(name, str(i), str(j)), text=t, lang="en", source=name), schema)
                for j, t in enumerate(texts[i * per_file:(i + 1) * per_file])]
        pq.write_table(pa.Table.from_pylist(rows, schema=schema),
                       os.path.join(folder, f"{name}-{i:05d}-of-{files:05d}.parquet"), row_group_size=rows_per_group)


def prepare(data: str) -> dict:
    """Web pages split five ways by position: 0 held out (the general validation set), 4 for
    stage 2 (``web_stage2/``: pages stage 1 never saw, as Skywork's stage 2 continues on unseen
    SkyPile-Main), 1-3 for stage 1 (``web/``); GSM8K train problems in ``gsm8k/``."""
    heldout = os.path.join(data, "eval", "web_heldout.jsonl")
    if not os.path.isfile(heldout):
        web = web_texts()
        write_source(os.path.join(data, "web"), "web", [t for i, t in enumerate(web) if i % 5 in (1, 2, 3)])
        write_source(os.path.join(data, "web_stage2"), "web", [t for i, t in enumerate(web) if i % 5 == 4])
        write_source(os.path.join(data, "gsm8k"), "gsm8k", gsm8k_texts("train"))
        os.makedirs(os.path.dirname(heldout), exist_ok=True)
        with open(heldout + ".tmp", "w", encoding="utf-8") as f:
            f.writelines(json.dumps({"text": t}, ensure_ascii=False) + "\n" for i, t in enumerate(web) if i % 5 == 0)
        os.replace(heldout + ".tmp", heldout)
    import pyarrow.parquet as pq

    counts = {src: sum(pq.ParquetFile(f).metadata.num_rows for f in glob.glob(os.path.join(data, src, "*.parquet")))
              for src in ("web", "web_stage2", "gsm8k")}
    with open(heldout, encoding="utf-8") as f:
        counts["web_heldout"] = sum(1 for _ in f)
    return counts


def eval_sets(data: str, general: list[str]) -> list[str]:
    """General = held-out web text (Skywork's general-domain validation loss) and any --general
    sets; in-domain probe = GSM8K test."""
    domains = ",".join([os.path.join(data, "eval", "web_heldout.jsonl"), *general])
    return ["--set", f"eval.domains=[{domains}]",
            "--set", f"eval.probe=gsm8k_test={os.path.join(SHARED, 'eval', 'gsm8k', 'test.jsonl')}:question,answer"]


def skypile(*args: str) -> None:
    cmd = [sys.executable, "-m", "pipelines.cli", *args]
    print("+ " + " ".join(cmd), file=sys.stderr, flush=True)
    subprocess.run(cmd, check=True, cwd=ROOT)


def vary_weights() -> str:
    values = ",".join(f"{{web: {1 - s:g}, gsm8k: {s:g}}}" for s in SHARES)
    return f"mixture.stages.0.weights={values}"


def summarize(out: str, seeds: list[int], chart: str | None) -> str:
    """Both seeds side by side: each variant's general and in-domain loss, its change from the
    baseline, and the seed noise (the two seeds' difference); the forecast backtests of stage 1."""
    from train import forecast as fc
    from train.metrics import read_metrics

    tables = {}
    for seed in seeds:
        with open(os.path.join(out, f"seed{seed}", "sweep", "sweep.json"), encoding="utf-8") as f:
            tables[seed] = json.load(f)
    first = tables[seeds[0]]
    cols = (["GSM8K share (stage 2, realized)"] + [f"general s{s}" for s in seeds] + [f"Δ general s{s}" for s in seeds]
            + [f"GSM8K test s{s}" for s in seeds] + [f"in-domain gain s{s}" for s in seeds] + ["picked by"])
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for i, row in enumerate(first["table"]):
        rows = [tables[s]["table"][i] for s in seeds]
        realized = "/".join(f"{r['token_shares'].get('gsm8k', 0.0):.1%}" for r in rows)
        picked = ", ".join(f"s{s}" for s in seeds if tables[s]["picked"] == row["variant"])
        cells = ([f"{SHARES[i]:g} ({realized})"] + [f"{r['general']:.4f}" for r in rows]
                 + [f"{r['general_delta']:+.4f}" for r in rows] + [f"{r['in_domain']:.4f}" for r in rows]
                 + [f"{r['in_domain_gain']:+.4f}" for r in rows] + [picked])
        lines.append("| " + " | ".join(cells) + " |")
    lines.append("")
    lines.append("| forecast backtest (stage 1, fit on the first half) | points | predicted at last | actual | error "
                 "| warnings of the fit on all points |")
    lines.append("|---|---:|---:|---:|---:|---|")
    for seed in seeds:
        records = read_metrics(os.path.join(out, f"seed{seed}", "stage1", "metrics.jsonl"))
        for key in ("eval/average", "eval/gsm8k_test", "loss"):
            tokens, values = fc.points(records, key, min_step=10)
            try:
                bt = fc.backtest(tokens, values)
            except fc.ForecastError as exc:
                lines.append(f"| seed {seed} {key} | {len(tokens)} | - | - | - | {exc} |")
                continue
            warned = "; ".join(w.split(":")[0] for w in fc.warnings(fc.fit(tokens, values), tokens, None, None))
            lines.append(f"| seed {seed} {key} | {len(tokens)} | {bt['predicted']:.4f} | {bt['actual']:.4f} | "
                         f"{bt['error']:+.4f} ({bt['relative_error']:+.1%}) | {warned or 'none'} |")
    if chart:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots(figsize=(6, 4.5))
        for seed, marker in zip(seeds, "os^v"):
            table = tables[seed]["table"]
            ax.plot([r["general"] for r in table], [r["in_domain"] for r in table], marker=marker, lw=1,
                    label=f"seed {seed}")
            ax.scatter([table[0]["general"]], [table[0]["in_domain"]], marker="*", s=200, color="black", zorder=4)
            for share, r in zip(SHARES, table):
                ax.annotate(f"{share:g}", (r["general"], r["in_domain"]), textcoords="offset points",
                            xytext=(5, 3), fontsize=7)
        ax.set_xlabel("general loss: held-out web text (normalized, nats/token)")
        ax.set_ylabel("in-domain loss: GSM8K test (normalized, nats/token)")
        ax.set_title("stage-2 GSM8K share 0 / 0.1 / 0.2 / 0.4 (baseline starred), tiny model", fontsize=9)
        ax.legend(fontsize=8)
        fig.tight_layout()
        fig.savefig(chart, dpi=90)
    return "\n".join(lines) + "\n"


def forecast_curve(out: str, data: str) -> None:
    """A curve that bends: the same model on GSM8K train alone (stage 1's schedule and budget),
    the probe every 8 steps, then `skypile eval forecast` on it with a target below its last point."""
    run = os.path.join(out, "forecast_gsm8k")
    probe = f"eval.probe=gsm8k_test={os.path.join(SHARED, 'eval', 'gsm8k', 'test.jsonl')}:question,answer"
    skypile("train", "--config", "configs/experiments/stem_stage1.yaml", "--data", data, "--out", run,
            "--set", 'data.sources={gsm8k: {glob: "gsm8k/*.parquet", max_epochs: 4}}',
            "--set", "mixture.stages.0.weights={gsm8k: 1}", "--set", "eval.every=8", "--set", probe)
    skypile("eval", "forecast", "--metrics", run, "--key", "eval/gsm8k_test", "--target", "4.0",
            "--out", os.path.join(out, "forecast_gsm8k_fit"))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default="runs/stem_sweep")
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    ap.add_argument("--margin", type=float, default=0.02, help="general-loss margin of the pick rule (nats)")
    ap.add_argument("--general", nargs="*", default=[], metavar="JSONL",
                    help="more general sets beside the held-out web text (pooled into the general average)")
    ap.add_argument("--chart", help="also draw both seeds' trade-off curves into this PNG")
    ap.add_argument("--forecast", action="store_true", help="also train and forecast the GSM8K-only curve")
    ap.add_argument("--summary-only", action="store_true", help="tables of finished sweeps, no training")
    args = ap.parse_args(argv)
    out = os.path.abspath(args.out)
    data = os.path.join(out, "data")
    print(json.dumps({"documents": prepare(data)}), flush=True)
    for seed in [] if args.summary_only else args.seeds:
        seeds = ["--set", f"train.seed={seed}", "--set", f"mixture.seed={seed}"]
        stage1 = os.path.join(out, f"seed{seed}", "stage1")
        skypile("train", "--config", "configs/experiments/stem_stage1.yaml", "--data", data, "--out", stage1,
                *eval_sets(data, args.general), *seeds)
        skypile("experiment", "sweep", "--config", "configs/experiments/stem_stage2.yaml", "--data", data,
                "--out", os.path.join(out, f"seed{seed}", "sweep"), "--init-from", stage1,
                "--vary", vary_weights(), "--margin", str(args.margin), *eval_sets(data, args.general), *seeds)
    if args.forecast and not args.summary_only:
        forecast_curve(out, data)
    if len(args.seeds) > 1 or args.summary_only:
        summary = summarize(out, args.seeds, args.chart)
        with open(os.path.join(out, "summary.md"), "w", encoding="utf-8") as f:
            f.write(summary)
        print(summary)
    return 0


if __name__ == "__main__":
    sys.exit(main())
