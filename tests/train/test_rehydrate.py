"""Rehydration: copies per bucket match the weights within binomial noise, the same on any number of
ranks, planned by --dry-run, and a killed rehydrated run resumes bit-identically."""
from __future__ import annotations

import json
import math
import re
import subprocess
from collections import Counter

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import torch

from tests.conftest import ROOT
from tests.train.conftest import tiny_config, write_config
from tests.train.test_resume import SKYPILE, _curve, kill_after_checkpoint
from train.checkpoint import load
from train.cli import main
from train.rehydrate import PRESETS, RehydrateError, parse_rehydrate, repetitions
from train.shards import DocStream, index_source
from transforms.document import Document, parquet_schema, stable_id, to_row

# Cluster sizes cycled over the documents: every FineWeb-2 bucket, several sizes per bucket.
SIZES = [1, 1, 1, 1, 2, 2, 3, 4, 5, 7, 60, 99, 100, 150, 999, 1000, 2500, None]
FINEWEB2 = PRESETS["fineweb2"]


def _write(folder, texts, rows_per_group=50, files=2):
    folder.mkdir(parents=True, exist_ok=True)
    schema = parquet_schema().append(pa.field("minhash_cluster_size", pa.int32()))
    per_file = -(-len(texts) // files)
    for i in range(files):
        rows = []
        for j, text in enumerate(texts[i * per_file:(i + 1) * per_file], i * per_file):
            row = to_row(Document(id=stable_id("zh", str(j)), text=text, lang="zh", source="test"), parquet_schema())
            rows.append({**row, "minhash_cluster_size": SIZES[j % len(SIZES)]})
        pq.write_table(pa.Table.from_pylist(rows, schema=schema), folder / f"part-{i}.parquet",
                       row_group_size=rows_per_group)


@pytest.fixture(scope="module")
def sized(shared_data, tmp_path_factory, corpus):
    """data/zh: 1,800 GSM8K questions with cluster sizes; data/en from the shared trainer corpus."""
    root = tmp_path_factory.mktemp("rehydrated")
    with open(shared_data / "eval/gsm8k/train.jsonl", encoding="utf-8") as f:
        texts = [json.loads(line)["question"] for _, line in zip(range(1800), f)]
    _write(root / "data" / "zh", texts)
    (root / "data" / "en").symlink_to(corpus / "data" / "en")
    return root


def _epoch(root, rank=0, world=1, seed=5):
    index = index_source("zh", str(root / "data/zh/*.parquet"), ["minhash_cluster_size"])
    stream = DocStream(index, seed, rank, world, max_epochs=1, rehydration=parse_rehydrate("zh", "fineweb2"))
    texts = []
    while stream.epoch < stream.max_passes:
        texts += stream.next_texts(64)
    return stream, texts


def test_copies_per_bucket_match_the_weights(sized):
    stream, texts = _epoch(sized)
    assert stream.passes == 8 and stream.epochs_done() == 1.0
    counts = stream.rehydrated
    docs = Counter(_bucket(s) for s in (SIZES * 100))
    assert {b: c["docs"] for b, c in counts.items()} == {b: 8 * n for b, n in docs.items()}  # each pass sees all
    realized = repetitions(counts, 8)
    for bucket, weight in FINEWEB2.items():
        n, p = docs[str(bucket)], weight / 8
        sd = math.sqrt(8 * p * (1 - p) / n)  # a document's copies are Binomial(8, w / 8)
        assert abs(realized[str(bucket)] - weight) <= 4 * sd + 1e-12, (bucket, realized[str(bucket)], weight, sd)
    assert realized["100"] == 8.0 and realized["1"] != 1.0  # weight 8 is every pass; weight 1 is a draw
    assert len(texts) == sum(c["copies"] for c in counts.values())


def _bucket(size) -> str:
    return str(parse_rehydrate("x", "fineweb2").bucket(size))


def test_same_documents_on_any_number_of_ranks(sized):
    _, single = _epoch(sized)
    _, rank0 = _epoch(sized, 0, 2)
    _, rank1 = _epoch(sized, 1, 2)
    assert Counter(rank0 + rank1) == Counter(single)
    _, other_seed = _epoch(sized, seed=6)
    assert Counter(other_seed) != Counter(single)


@pytest.mark.parametrize("spec, message", [
    ({2: 1, 5: 3}, "the smallest cluster size must be 1"),
    ({1: 1, 3: -2}, "weight of cluster size 3 must be a finite number >= 0"),
    ({1: 0}, "at least one weight must be positive"),
    ({"x": 1}, "cluster sizes must be integers >= 1"),
    ("fineweb3", "unknown preset 'fineweb3' (known: fineweb2)"),
])
def test_bad_rehydrate_options(spec, message):
    with pytest.raises(RehydrateError, match=re.escape(message)):
        parse_rehydrate("zh", spec)


def _config(tmp_path, sized, tokenizer_dir, rehydrate="fineweb2", **train_section):
    cfg = tiny_config(tokenizer_dir, train={"micro_batch_size": 2, "grad_accum": 2, "threads": 1, "log_every": 1,
                                            "ckpt_every": 4, "progress": False, "keep_checkpoints": 2,
                                            **train_section})
    cfg["data"]["sources"] = {"en": {"glob": "data/en/*.parquet", "max_epochs": 50},
                              "zh": {"glob": "data/zh/*.parquet", "rehydrate": rehydrate}}
    cfg["mixture"]["stages"] = [{"name": "s1", "tokens": 32 * 4 * 14, "weights": {"en": 0.3, "zh": 0.7}}]
    return write_config(tmp_path / "run.yaml", cfg)


def test_dry_run_plans_the_rehydrated_tokens(sized, tokenizer_dir, tmp_path, capsys):
    config = _config(tmp_path, sized, tokenizer_dir)
    assert main(["--config", str(config), "--data", str(sized), "--out", str(tmp_path / "plan"), "--dry-run"]) == 0
    err = capsys.readouterr().err
    copies = sum(parse_rehydrate("zh", "fineweb2").weight(int(_bucket(s))) for s in SIZES) * 100
    assert (f"source zh rehydrated (1:1 2:2 3:3 5:5 100:8 1000:1; 8 passes an epoch): 1,800 documents -> "
            f"{copies:,.0f} copies an epoch (x{copies / 1800:.2f})") in err
    assert "documents by cluster-size bucket 1: 500, 2: 200, 3: 200, 5: 400, 100: 300, 1000: 200" in err


def test_rehydrate_needs_cluster_sizes(corpus, tokenizer_dir, tmp_path, capsys):
    config = _config(tmp_path, corpus, tokenizer_dir)
    assert main(["--config", str(config), "--data", str(corpus), "--out", str(tmp_path / "x"), "--dry-run"]) == 2
    assert "has no column 'minhash_cluster_size' (rehydrate needs the cluster sizes" in capsys.readouterr().err


def test_killed_rehydrated_run_resumes_bit_identically(sized, tokenizer_dir, tmp_path):
    config = _config(tmp_path, sized, tokenizer_dir)
    args = ["--config", str(config), "--data", str(sized)]
    threads = torch.get_num_threads()
    try:
        assert main([*args, "--out", str(tmp_path / "straight")]) == 0
    finally:
        torch.set_num_threads(threads)
    straight = _curve(tmp_path / "straight")
    assert len(straight) == 14
    records = [json.loads(line) for line in (tmp_path / "straight" / "metrics.jsonl").read_text().splitlines()]
    assert set(records[-1]["rehydration"]["zh"]) <= {"1", "2", "3", "5", "100", "1000"}

    killed = tmp_path / "killed"
    kill_after_checkpoint(args, killed, 4)
    assert 4 <= len(_curve(killed)) < 14
    resumed = subprocess.run([*SKYPILE, "train", *args, "--out", str(killed)], cwd=ROOT, capture_output=True,
                             text=True, timeout=300)
    assert resumed.returncode == 0, resumed.stderr
    assert _curve(killed) == straight
    final, reference = (load(str(d / "checkpoints" / "step_00000014.pt")) for d in (killed, tmp_path / "straight"))
    assert final["data"] == reference["data"] and "rehydrated" in final["data"][0]["packers"]["zh"]["stream"]
    assert all(torch.equal(final["model"][k], reference["model"][k]) for k in reference["model"])
    # Changing the weights changes the data: the resume is refused.
    changed = _config(tmp_path, sized, tokenizer_dir, rehydrate={1: 1, 2: 3})
    assert main(["--config", str(changed), "--data", str(sized), "--out", str(killed)]) == 2
