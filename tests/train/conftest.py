"""Trainer fixtures: small curated-schema shards from real texts, a tokenizer trained on them.

Shards are written with the spine's schema (``transforms.document``) from real documents in
``shared/data/eval``: English Python PEPs, Chinese laws, and GSM8K problems as a "stem" source.
Documents are cut to 1,500 characters and written 8 rows per row group, so a source spans many
row groups and files, as a real curated output does.
"""
from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import yaml

from transforms.document import Document, parquet_schema, stable_id, to_row

SOURCES = {
    "en": ("eval/en_domains/en_tech_python_peps_2023plus.jsonl", 60),
    "zh": ("eval/zh_domains/zh_government_laws_2023plus.jsonl", 60),
    "stem": ("eval/gsm8k/train.jsonl", 120),
}
ROWS_PER_GROUP = 8
MAX_CHARS = 1500


def _texts(path: Path, limit: int) -> list[str]:
    out = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            record = json.loads(line)
            text = record.get("text") or f"{record.get('question', '')}\n{record.get('answer', '')}"
            if text.strip():
                out.append(text[:MAX_CHARS])
            if len(out) == limit:
                break
    return out


def write_shards(root: Path, lang: str, texts: list[str], files: int = 2) -> None:
    schema = parquet_schema()
    folder = root / "data" / lang
    folder.mkdir(parents=True, exist_ok=True)
    per_file = -(-len(texts) // files)
    for i in range(files):
        chunk = texts[i * per_file:(i + 1) * per_file]
        rows = [to_row(Document(id=stable_id(lang, str(i), str(j)), text=t, lang=lang, source="test"), schema)
                for j, t in enumerate(chunk)]
        table = pa.Table.from_pylist(rows, schema=schema)
        pq.write_table(table, folder / f"train-{i:05d}-of-{files:05d}.parquet", row_group_size=ROWS_PER_GROUP)


@pytest.fixture(scope="session")
def corpus(shared_data, tmp_path_factory) -> Path:
    """A curated-layout directory: data/en, data/zh, data/stem."""
    root = tmp_path_factory.mktemp("corpus")
    for lang, (rel, limit) in SOURCES.items():
        write_shards(root, lang, _texts(shared_data / rel, limit))
    return root


@pytest.fixture(scope="session")
def tokenizer_dir(corpus, tmp_path_factory) -> Path:
    from train.tokenizer import files_by_language, sample_texts, train_tokenizer

    out = tmp_path_factory.mktemp("tokenizer")
    groups = files_by_language([str(p) for p in sorted(corpus.glob("data/*/*.parquet"))])
    train_tokenizer(sample_texts(groups, None, 300_000), 512, str(out))
    return out


def tiny_config(tokenizer_dir: Path, **sections) -> dict:
    """A small two-stage config on the ``corpus`` fixture (stem only in stage 2)."""
    cfg = {
        "model": {"name": "tiny", "overrides": {"dim": 64, "n_layers": 2, "n_heads": 4, "n_kv_heads": 2,
                                                "ffn_dim": 128}},
        "tokenizer": {"path": str(tokenizer_dir)},
        "data": {"sources": {"en": {"glob": "data/en/*.parquet", "max_epochs": 50},
                             "zh": {"glob": "data/zh/*.parquet", "max_epochs": 50},
                             "stem": {"glob": "data/stem/*.parquet", "max_epochs": 50}},
                 "seq_len": 32, "encode_batch": 4},
        "mixture": {"seed": 3, "stages": [
            {"name": "s1", "tokens": 32 * 4 * 8, "weights": {"en": 0.6, "zh": 0.4}},
            {"name": "s2", "tokens": 32 * 4 * 6, "weights": {"en": 0.5, "zh": 0.3, "stem": [0.2, 0.6]}}]},
        "optim": {"lr": 3e-3, "warmup_steps": 3, "decay_steps": 8},
        "train": {"micro_batch_size": 2, "grad_accum": 2, "threads": 1, "log_every": 1, "ckpt_every": 4,
                  "progress": False},
    }
    for section, values in sections.items():
        cfg.setdefault(section, {}).update(values)
    return cfg


def write_config(path: Path, cfg: dict) -> Path:
    path.write_text(yaml.safe_dump(cfg, allow_unicode=True))
    return path
