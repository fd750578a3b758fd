"""train.init_from across a vocabulary extension: a base run's weights grown to the extended tokenizer."""
from __future__ import annotations

import pyarrow.parquet as pq
import pytest
import torch

from tests.train.conftest import tiny_config, write_config
from train import build
from train.config import load_config
from train.distributed import DistEnv
from train.loop import train
from train.metrics import read_metrics
from train.tokenizer_extend import extend_tokenizer

CPU = DistEnv(0, 1, 0, torch.device("cpu"))


def _config(tmp_path, name, tokenizer_dir, steps=4, **train_section):
    cfg = tiny_config(tokenizer_dir, train={"threads": 1, "log_every": 1, "ckpt_every": 100, "progress": False,
                                            **train_section})
    cfg["mixture"]["stages"] = [{"name": "s1", "tokens": 32 * 4 * steps, "weights": {"en": 0.5, "zh": 0.5}}]
    return load_config(str(write_config(tmp_path / f"{name}.yaml", cfg)))


def _train(cfg, out, corpus):
    threads = torch.get_num_threads()
    try:
        train(cfg, str(out), str(corpus), CPU)
    finally:
        torch.set_num_threads(threads)
    return read_metrics(str(out / "metrics.jsonl"))


@pytest.fixture(scope="module")
def extended(corpus, tokenizer_dir, tmp_path_factory):
    texts = [t for f in sorted(corpus.glob("data/zh/*.parquet")) for t in pq.read_table(f)["text"].to_pylist()]
    out = tmp_path_factory.mktemp("extended")
    assert extend_tokenizer(str(tokenizer_dir), texts, 100, str(out))["added"] == 100  # 512 -> 612 tokens
    return out


def test_init_from_grows_a_smaller_vocabulary(tmp_path, corpus, tokenizer_dir, extended):
    _train(_config(tmp_path, "base", tokenizer_dir, steps=12), tmp_path / "base", corpus)
    cfg = _config(tmp_path, "grown", extended, init_from=str(tmp_path / "base"))
    config = build.model_config(cfg, 612)
    assert config.vocab_size == 640
    state = build.initial_weights(cfg.train.init_from, str(extended / "tokenizer.json"), config, 64)
    base = torch.load(tmp_path / "base" / "checkpoints" / "step_00000012.pt", weights_only=True)["model"]
    for key in ("tok_embeddings.weight", "output.weight"):
        assert state[key].shape == (640, 64) and torch.equal(state[key][:512], base[key])
    assert all(torch.equal(state[k], v) for k, v in base.items() if k not in ("tok_embeddings.weight", "output.weight"))

    grown = _train(cfg, tmp_path / "grown", corpus)
    fresh = _train(_config(tmp_path, "fresh", extended), tmp_path / "fresh", corpus)
    assert grown[0]["tokens"] == fresh[0]["tokens"]
    # it starts from the base's weights, not at init (on documents the base run has not seen: the
    # data order continues, train/continue_data.py; another tokenizer: at the next whole document)
    assert grown[0]["loss"] < fresh[0]["loss"] - 0.3


def test_init_from_refuses_a_larger_checkpoint(tmp_path, corpus, tokenizer_dir, extended):
    _train(_config(tmp_path, "big", extended), tmp_path / "big", corpus)
    cfg = _config(tmp_path, "small", tokenizer_dir, init_from=str(tmp_path / "big"))
    with pytest.raises(ValueError, match="its embedding has 640 rows, this run's model 512"):
        train(cfg, str(tmp_path / "small"), str(corpus), CPU)
