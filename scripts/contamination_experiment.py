"""Does the GSM8K probe catch contamination? Train tiny models with ``skypile train`` and see.

Three models, same tokenizer, same token budget, same seed:

- ``generic``: web text only (DCLM's human-annotated Common Crawl pages);
- ``test_mixed``: the same web text with GSM8K *test* problems mixed in;
- ``train_mixed``: the same web text with GSM8K *train* problems mixed in.

A 1.3M-parameter model seeing a problem once barely remembers it, so (to fit 2 CPU cores) the
first ``--samples`` problems of a split are mixed in at ``--benchmark-weight`` of the tokens
(a few epochs of them), and the probe scores the first ``--samples`` problems of each set.

Each is exported to Hugging Face format (``skypile model export``) and probed with
``skypile eval contamination`` (L_train, L_test, L_ref, delta1, delta2) twice: with Skywork's
reference set (GPT-4-written GSM8K-style problems) and with held-out GSM8K train problems (same
distribution as the test set, seen by no model). Expected: delta1 clearly negative for
``test_mixed``; delta2 clearly positive for ``train_mixed``.

    .venv/bin/python scripts/contamination_experiment.py [--work /tmp/skypile-contamination] [--steps 240]

The three models train side by side (one thread each); about 30 minutes on 2 busy CPU cores.
The data files are read from ../shared/data (GSM8K MIT; the Skywork reference set stays there:
Skywork Community License) and written as Parquet under --work, never into the project.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time

import pyarrow as pa
import pyarrow.parquet as pq

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from train.evaluate.contamination import sample_texts  # noqa: E402

SHARED = os.environ.get("SKYPILE_SHARED_DATA", os.path.join(ROOT, "..", "shared", "data"))
DEFAULT_TRAIN = os.path.join(SHARED, "eval", "gsm8k", "train.jsonl")
DEFAULT_TEST = os.path.join(SHARED, "eval", "gsm8k", "test.jsonl")
DEFAULT_REF = os.path.join(SHARED, "eval", "skywork", "mock_gsm8k_test_public.jsonl")
WEB = [os.path.join(SHARED, "labels", "dclm_web_quality_en", f) for f in ("majority_data.jsonl", "agreement_data.jsonl")]
SKYPILE = [sys.executable, "-m", "pipelines.cli"]
MODELS = {"generic": None, "test_mixed": "gsm8k_test", "train_mixed": "gsm8k_train"}
REFS = {"skywork": "Skywork mock (GPT-4 written)", "heldout": "held-out GSM8K train"}


def write_source(data_dir: str, name: str, texts: list[str]) -> None:
    os.makedirs(os.path.join(data_dir, name), exist_ok=True)
    table = pa.table({"id": [f"{name}-{i}" for i in range(len(texts))], "text": texts})
    pq.write_table(table, os.path.join(data_dir, name, "part-00000.parquet"), row_group_size=2000)


def web_texts() -> list[str]:
    texts = []
    for path in WEB:
        with open(path, encoding="utf-8") as f:
            texts += [json.loads(line)["text"] for line in f if line.strip()]
    return texts


def train_config(sources: dict[str, float], tokenizer: str, steps: int, seq_len: int, batch: int) -> dict:
    """tiny.yaml's model and optimizer, one stage, the given source weights."""
    return {
        "model": {"name": "tiny"},
        "tokenizer": {"path": tokenizer},
        "data": {"sources": {s: {"glob": f"{s}/*.parquet", "max_epochs": 1000} for s in sources},
                 "seq_len": seq_len},
        "mixture": {"seed": 0, "stages": [{"name": "stage1", "tokens": steps * seq_len * batch,
                                           "weights": sources}]},
        "optim": {"lr": 3.0e-3, "warmup_steps": 10},
        # One thread each: the three models train side by side on a shared 2-core machine.
        "train": {"micro_batch_size": batch, "grad_accum": 1, "log_every": 20, "threads": 1,
                  "ckpt_every": steps, "keep_checkpoints": 1, "progress": False},
    }


def run_all(cmds: list[list[str]]) -> list[str]:
    """Runs the commands side by side (one per model); stops with the output of any that fails."""
    for cmd in cmds:
        print("$ " + " ".join(cmd), flush=True)
    procs = [subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for cmd in cmds]
    outs = [p.communicate() for p in procs]
    for cmd, p, (out, err) in zip(cmds, procs, outs):
        if p.returncode != 0:
            sys.exit(f"command failed ({p.returncode}): {' '.join(cmd)}\n{out[-3000:]}\n{err[-3000:]}")
    return [out for out, _ in outs]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--work", default="/tmp/skypile-contamination")
    ap.add_argument("--steps", type=int, default=120)
    ap.add_argument("--seq-len", type=int, default=128)
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--benchmark-weight", type=float, default=0.5, help="share of tokens from GSM8K when mixed in")
    ap.add_argument("--samples", type=int, default=150,
                    help="GSM8K problems mixed in and probed (the first N of each split; the reference "
                         "set is probed on its first N too)")
    ap.add_argument("--vocab-size", type=int, default=2048)
    ap.add_argument("--out", help="write the results table (JSON) here")
    ap.add_argument("--reuse", action="store_true", help="keep models already trained and exported under --work")
    args = ap.parse_args()

    data = os.path.join(args.work, "data")
    write_source(data, "web", web_texts())
    write_source(data, "gsm8k_test", sample_texts(DEFAULT_TEST)[:args.samples])
    write_source(data, "gsm8k_train", sample_texts(DEFAULT_TRAIN)[:args.samples])
    # A second reference: GSM8K train problems no model saw. Same distribution as the test set,
    # unlike Skywork's GPT-4-written problems, so delta1 isolates test exposure.
    heldout = os.path.join(args.work, "heldout_gsm8k_train.jsonl")
    with open(DEFAULT_TRAIN, encoding="utf-8") as src, open(heldout, "w", encoding="utf-8") as dst:
        dst.writelines(list(src)[args.samples:2 * args.samples])
    # One tokenizer for all three models, trained on the web text only (favours neither).
    tok = os.path.join(args.work, "tokenizer")
    reuse = args.reuse and all(os.path.exists(os.path.join(args.work, m, "hf", "config.json")) for m in MODELS)
    if not reuse:
        run_all([[*SKYPILE, "tokenizer", "train", "--shards", os.path.join(data, "web", "*.parquet"),
                  "--vocab-size", str(args.vocab_size), "--out", tok]])

    import yaml

    t0 = time.time()
    trains, exports, probes = [], [], []
    for name, bench in MODELS.items():
        weights = {"web": 1.0} if bench is None else {"web": 1 - args.benchmark_weight, bench: args.benchmark_weight}
        run_dir, hf = os.path.join(args.work, name), os.path.join(args.work, name, "hf")
        config = os.path.join(args.work, f"{name}.yaml")
        with open(config, "w") as f:
            yaml.safe_dump(train_config(weights, tok, args.steps, args.seq_len, args.batch), f)
        trains.append([*SKYPILE, "train", "--config", config, "--data", data, "--out", run_dir])
        exports.append([*SKYPILE, "model", "export", "--checkpoint", run_dir, "--out", hf, "--tokenizer", tok])
        for ref in REFS:
            probes.append([*SKYPILE, "eval", "contamination", "--model", hf, "--max-samples", str(args.samples),
                           "--batch-size", "32", "--no-progress", "--device", "cpu"]
                          + ["--train", DEFAULT_TRAIN, "--ref", heldout if ref == "heldout" else DEFAULT_REF])
    if not reuse:
        run_all(trains)
        run_all(exports)
    results = {}
    outs = iter(run_all(probes))
    for name in MODELS:
        for ref in REFS:
            out = next(outs)
            print(f"--- {name}, reference {ref}\n{out}", flush=True)
            lines = out.strip().splitlines()
            results[f"{name}/{ref}"] = {**json.loads(lines[-1]), "verdict": lines[-2]}
    print(f"total {time.time() - t0:.0f} s")

    print("\n| model | mixed in | reference | L_train | L_test | L_ref | delta1 | delta2 | verdict |")
    print("|---|---|---|---:|---:|---:|---:|---:|---|")
    for key, r in results.items():
        name, ref = key.split("/")
        print(f"| {name} | {MODELS[name] or '-'} | {REFS[ref]} | {r['L_train']:.4f} | {r['L_test']:.4f} "
              f"| {r['L_ref']:.4f} | {r['delta1']:+.4f} | {r['delta2']:+.4f} | {r['verdict'][9:]} |")
    if args.out:
        with open(args.out, "w") as f:
            json.dump({"args": vars(args), "results": results}, f, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
