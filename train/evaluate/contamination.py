"""Skywork's benchmark-leakage probe: compare a model's loss on a benchmark's train set, its test
set and a fresh reference set written in the same style.

Skywork-13B tech report (arXiv:2310.19341, "pre-training on in-domain data"): with L_train,
L_test the mean token losses on GSM8K train/test and L_ref the loss on reference problems generated
by GPT-4 in GSM8K style (``mock_gsm8k_test_public.jsonl``),

- delta1 = L_test - L_ref: the test set should be no easier than fresh problems of the same kind;
  clearly negative means the test set (or close paraphrases) was likely in the training data;
- delta2 = L_test - L_train: train and test are i.i.d. splits, so this should be near zero for a
  model that saw neither; clearly positive means the train split was trained on (in-domain data in
  pre-training), clearly negative that the test split was trained on more than the train split.

Each GSM8K sample is ``question + " " + answer``; files with only a ``text`` field (the mock
reference set) use that. "Clearly" is ``margin`` nats (default 0.1, our choice: Skywork reads the
signs and sizes without a fixed cut-off).
"""
from __future__ import annotations

import os
from typing import Sequence

from transforms.jsonl import read_jsonl, read_jsonl_texts

# The GSM8K test set ships with skypile (MIT, THIRD_PARTY.md). The train split and a reference set
# (Skywork's mock GSM8K: Skywork Community License, so it never ships) are the caller's files.
DEFAULT_TEST = "pkg://pipelines/data/gsm8k/test.jsonl"
DEFAULT_MARGIN = 0.1
GSM8K_FIELDS = ("question", "answer")


def sample_texts(path: str) -> list[str]:
    """question + " " + answer per record when the file has those fields, else ``text``."""
    records = read_jsonl(path)
    if not records:
        raise ValueError(f"{path}: no records")
    first = records[0]
    fields: Sequence[str] = GSM8K_FIELDS if all(k in first for k in GSM8K_FIELDS) else ("text",)
    return read_jsonl_texts(path, fields)


def deltas(l_train: float, l_test: float, l_ref: float) -> dict[str, float]:
    return {"L_train": l_train, "L_test": l_test, "L_ref": l_ref,
            "delta1": l_test - l_ref, "delta2": l_test - l_train}


def read_delta1(delta1: float, margin: float = DEFAULT_MARGIN) -> str:
    if delta1 < -margin:
        return (f"delta1 = {delta1:+.4f}: the test set is easier than fresh problems of the same kind; "
                "the test set was likely seen in training (contamination).")
    if delta1 > margin:
        return f"delta1 = {delta1:+.4f}: the test set is harder than the reference set; no sign of test-set exposure."
    return f"delta1 = {delta1:+.4f}: test and reference losses agree; no sign of test-set exposure."


def read_delta2(delta2: float, margin: float = DEFAULT_MARGIN) -> str:
    if delta2 > margin:
        return (f"delta2 = {delta2:+.4f}: the train split is easier than the test split; the benchmark's "
                "train set (in-domain data) was likely in training.")
    if delta2 < -margin:
        return (f"delta2 = {delta2:+.4f}: the test split is easier than the train split; the test set "
                "was likely trained on more than the train set (contamination).")
    return f"delta2 = {delta2:+.4f}: train and test splits are treated alike (both seen or both unseen)."


def verdict(delta1: float, delta2: float, margin: float = DEFAULT_MARGIN) -> str:
    """Both deltas together. Training on the benchmark's train split lowers L_test too (same
    distribution) but not L_ref as much (a reference set is only similar), so a negative delta1
    alone does not prove test leakage; with delta2 clearly positive, the train split explains it."""
    if delta2 > margin:
        return ("verdict: in-domain training data (the train split); delta1 < 0 can come from that alone, "
                "test leakage is neither shown nor ruled out.") if delta1 < -margin else \
            "verdict: in-domain training data (the train split); no sign of test leakage."
    if delta1 < -margin or delta2 < -margin:
        return "verdict: the test set was likely in the training data."
    return "verdict: no sign of contamination."


def probe(model_path: str, train: str, test: str, ref: str,
          max_chars: int | None = None, batch_size: int = 8, device: str = "cpu", dtype: str = "auto",
          progress: bool = True, max_samples: int | None = None) -> dict[str, float]:
    """L_train, L_test, L_ref (mean token loss, as Skywork) and the two deltas for one model;
    ``max_samples`` keeps the first N samples of each set (all by default)."""
    from train.evaluate.loss import domain_stats, load_model, truncate

    from transforms.paths import resolve_path

    train, test, ref = (resolve_path(p) for p in (train, test, ref))
    for path in (train, test, ref):
        if not os.path.isfile(path):
            raise FileNotFoundError(f"file not found: {path}")
    model, tokenizer = load_model(model_path, device=device, dtype=dtype)
    losses = {}
    for key, path in (("L_train", train), ("L_test", test), ("L_ref", ref)):
        texts = truncate(sample_texts(path)[:max_samples], max_chars)
        losses[key] = domain_stats(model, tokenizer, texts, batch_size=batch_size,
                                   progress=progress, desc=key).loss
    return deltas(losses["L_train"], losses["L_test"], losses["L_ref"])
