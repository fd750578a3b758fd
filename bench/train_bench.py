"""Trainer throughput on CPU: skypile's full loop vs a minimal nanoGPT-style loop, and the loader.

Same model (``tiny`` with the run's tokenizer), same shards, same batch shape, same AdamW:
- ``skypile loop``: ``train.loop.Trainer`` as ``skypile train`` runs it (mixture sampler,
  on-the-fly tokenization and packing, per-source loss accounting, gradient clipping, logging);
  tokens/s from its own metrics windows, checkpoint writes excluded.
- ``nanoGPT loop``: karpathy/nanoGPT's train.py shape: the corpus tokenized once into one array
  up front (not timed), random windows as batches, forward, loss, backward, clip, AdamW step.
- ``loader``: ``MixtureLoader.step_batches`` alone (Parquet read, tokenize, pack, mix), to show the
  data path is not the bottleneck (target: >= 10x what training consumes).
- ``pre-tokenized reader``: batches sliced from a uint16 array (the alternative design).

    .venv/bin/python bench/train_bench.py --data out/sample [--steps 40] [--threads 1] [--repeat 3]

``--data`` is a curated output (``make run`` writes out/sample). Prints a Markdown table.
"""
from __future__ import annotations

import argparse
import glob
import os
import statistics
import sys
import tempfile
import time

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from model.config import get_config  # noqa: E402
from model.llama import Llama  # noqa: E402
from train import build  # noqa: E402
from train.config import load_config  # noqa: E402
from train.distributed import DistEnv  # noqa: E402
from train.loop import Trainer  # noqa: E402
from train.metrics import read_metrics  # noqa: E402
from train.tokenizer import files_by_language, load_tokenizer, sample_texts, train_tokenizer  # noqa: E402

SEQ, BATCH, VOCAB = 128, 16, 2048


def bench_config(tokenizer: str, langs: list[str], steps: int) -> str:
    weights = {lang: 1.0 for lang in langs}
    sources = {lang: {"glob": f"data/{lang}/*.parquet", "max_epochs": 10_000} for lang in langs}
    text = {
        "model": {"name": "tiny"}, "tokenizer": {"path": tokenizer},
        "data": {"sources": sources, "seq_len": SEQ},
        "mixture": {"stages": [{"name": "s1", "tokens": steps * SEQ * BATCH, "weights": weights}]},
        "optim": {"lr": 1e-3, "warmup_steps": 5},
        "train": {"micro_batch_size": BATCH, "log_every": 5, "ckpt_every": 10**9, "progress": False, "device": "cpu"},
    }
    import yaml

    path = os.path.join(tempfile.mkdtemp(), "bench.yaml")
    with open(path, "w") as f:
        yaml.safe_dump(text, f)
    return path


def skypile_loop(config: str, data: str, out: str) -> tuple[float, float]:
    """(tokens per CPU second, median wall tokens/s of the logged windows) of ``skypile train``."""
    cfg = load_config(config)
    trainer = Trainer(cfg, out, data, DistEnv(0, 1, 0, torch.device("cpu")))
    cpu = time.process_time()
    trainer.run()
    cpu = time.process_time() - cpu
    windows = [r["tokens_per_sec"] for r in read_metrics(os.path.join(out, "metrics.jsonl"))][1:-1]
    return trainer.total_steps * trainer.loader.tokens_per_step / cpu, statistics.median(windows)


def nanogpt_loop(tokens: np.ndarray, vocab: int, steps: int) -> tuple[float, float]:
    """(tokens per CPU second, median wall tokens/s per step) of a nanoGPT-style loop."""
    torch.manual_seed(0)
    model = Llama(get_config("tiny", vocab_size=vocab, max_seq_len=SEQ))
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3, betas=(0.9, 0.95), weight_decay=0.1)
    data = torch.from_numpy(tokens.astype(np.int64))
    gen = torch.Generator().manual_seed(0)
    times = []
    cpu = time.process_time()
    for step in range(steps):
        t0 = time.perf_counter()
        ix = torch.randint(len(data) - SEQ - 1, (BATCH,), generator=gen)
        x = torch.stack([data[i: i + SEQ] for i in ix])
        y = torch.stack([data[i + 1: i + 1 + SEQ] for i in ix])
        loss = F.cross_entropy(model(x).float().flatten(0, 1), y.flatten())
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        opt.zero_grad(set_to_none=True)
        times.append(time.perf_counter() - t0)
    cpu = time.process_time() - cpu
    return steps * SEQ * BATCH / cpu, SEQ * BATCH / statistics.median(times[2:])


def loader_rate(config: str, data: str, steps: int) -> float:
    cfg = load_config(config)
    env = DistEnv(0, 1, 0, torch.device("cpu"))
    indexes = build.index_sources(cfg, data)
    stages = build.plan_stages(cfg, 1, list(indexes))
    loader = build.build_loader(cfg, env, indexes, stages, cfg.tokenizer.path)
    cpu = time.process_time()
    for step in range(steps):
        loader.step_batches(step)
    return steps * loader.tokens_per_step / (time.process_time() - cpu)


def pretokenized_rate(tokens: np.ndarray, steps: int) -> float:
    arr = tokens.astype(np.uint16)
    rng = np.random.default_rng(0)
    cpu = time.process_time()
    for _ in range(steps):
        ix = rng.integers(0, len(arr) - SEQ - 1, BATCH)
        torch.from_numpy(np.stack([arr[i: i + SEQ + 1].astype(np.int64) for i in ix]))
    return steps * SEQ * BATCH / (time.process_time() - cpu)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", default="out/sample", help="curated output directory (data/<lang>/*.parquet)")
    parser.add_argument("--steps", type=int, default=40)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=3, help="runs of each loop, alternated; medians reported")
    args = parser.parse_args()
    files = sorted(glob.glob(os.path.join(args.data, "data", "*", "*.parquet")))
    if not files:
        print(f"no shards under {args.data}/data/*/ (run `make run` first)", file=sys.stderr)
        return 2
    torch.set_num_threads(args.threads)
    work = tempfile.mkdtemp(prefix="train_bench_")
    groups = files_by_language(files)
    tok_dir = train_tokenizer(sample_texts(groups, None, 5_000_000), VOCAB, os.path.join(work, "tok"))
    config = bench_config(tok_dir, sorted(groups), args.steps)
    tok, eos = load_tokenizer(tok_dir)
    texts = list(sample_texts(groups, None, 10**12))
    tokens = np.concatenate([np.asarray(e.ids + [eos]) for e in tok.encode_batch(texts)])

    # Alternate the two loops and keep medians. CPU seconds (time.process_time) are the figure to
    # compare on a shared machine: wall time there measures the neighbours' load as much as ours.
    ours_runs, minimal_runs = [], []
    for i in range(args.repeat):
        ours_runs.append(skypile_loop(config, args.data, os.path.join(work, f"run{i}")))
        minimal_runs.append(nanogpt_loop(tokens, tok.get_vocab_size(), args.steps))
    ours_cpu, ours_wall = (statistics.median(r[k] for r in ours_runs) for k in (0, 1))
    mini_cpu, mini_wall = (statistics.median(r[k] for r in minimal_runs) for k in (0, 1))
    loader = loader_rate(config, args.data, 200)
    pretok = pretokenized_rate(tokens, 2000)
    print(f"\nCPU, torch threads {args.threads}, tiny model (vocab {VOCAB}), batch {BATCH} x {SEQ} tokens, "
          f"{len(tokens):,} corpus tokens, median of {args.repeat} alternated runs\n")
    print("| what | tokens per CPU second | wall tokens/s | ratio (CPU) |")
    print("|---|---:|---:|---:|")
    print(f"| skypile loop (`skypile train`) | {ours_cpu:,.0f} | {ours_wall:,.0f} | "
          f"{ours_cpu / mini_cpu:.2f}x nanoGPT loop |")
    print(f"| nanoGPT-style loop | {mini_cpu:,.0f} | {mini_wall:,.0f} | 1.00 |")
    print(f"| skypile loader alone (Parquet, tokenize, pack, mix) | {loader:,.0f} | | "
          f"{loader / ours_cpu:.0f}x training |")
    print(f"| pre-tokenized uint16 reader (alternative) | {pretok:,.0f} | | {pretok / ours_cpu:.0f}x training |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
