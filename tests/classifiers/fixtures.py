"""Tiny real models trained on the shared labelled data, shared by the classifier and score tests.

Imported into test modules (``from tests.classifiers.fixtures import ...``) so pytest sees them.
"""
from __future__ import annotations

import pytest

SURGE = "labels/surge_toxicity_en/toxicity_en.csv"
COLD_DEV = "labels/cold_zh_offensive/dev.csv"


def surge(shared_data):
    from classifiers.data import load_labelled

    return load_labelled(str(shared_data / SURGE), ["Toxic"], ["Not Toxic"], "text", "is_toxic")


@pytest.fixture(scope="session")
def surge_split(shared_data):
    from classifiers.data import split

    return split(surge(shared_data), 0.25, seed=0)


@pytest.fixture(scope="session")
def fasttext_model(tmp_path_factory, surge_split):
    """fastText toxicity model on 3/4 of Surge (small bucket: ~7 MB instead of 800 MB)."""
    from classifiers.fasttext_model import train_fasttext

    train, _ = surge_split
    out = tmp_path_factory.mktemp("ft") / "tox_en.bin"
    return str(train_fasttext(train.texts, train.labels, str(out), bucket=50_000, epoch=25, dim=20))


@pytest.fixture(scope="session")
def tiny_bert(tmp_path_factory, shared_data):
    """A one-layer BERT trained from scratch (with its own WordPiece tokenizer) on 240 COLD rows."""
    from classifiers.bert_train import BertTrainConfig, train_bert
    from classifiers.data import load_labelled

    data = load_labelled(str(shared_data / COLD_DEV), ["1"], ["0"], "TEXT")
    out = tmp_path_factory.mktemp("bert") / "tox_zh"
    cfg = BertTrainConfig(epochs=1, batch_size=16, max_length=64, max_examples=240, vocab_size=2000,
                          hidden_size=32, layers=1, heads=2, threads=1)
    return str(train_bert(data.texts, data.labels, str(out), cfg=cfg, log=lambda m: None))


def lexicon_paths(shared_data) -> list[str]:
    return [str(shared_data / "lists/ldnoobw/en.txt"), str(shared_data / "lists/ldnoobw/zh.txt")]
