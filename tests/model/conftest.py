"""Fixtures for the model tests: a small real tokenizer trained on shared data, real token ids."""
from __future__ import annotations

import json

import pytest
import torch

# A CC-BY arXiv paper (see shared/data/SOURCES.md): real English text to train a tokenizer on.
ARXIV = "eval/en_domains/en_science_arxiv_unarxive_sample.jsonl"


@pytest.fixture(scope="session")
def real_text(shared_data) -> str:
    lines = (shared_data / ARXIV).read_text(encoding="utf-8").splitlines()
    return "\n".join(json.loads(line)["text"] for line in lines if line.strip())


@pytest.fixture(scope="session")
def tokenizer_dir(real_text, tmp_path_factory):
    """A byte-level BPE tokenizer.json (vocab 512) trained on the arXiv sample."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

    tokenizer = Tokenizer(models.BPE())
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=512, special_tokens=["<|endoftext|>"],
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tokenizer.train_from_iterator([real_text], trainer)
    out = tmp_path_factory.mktemp("tokenizer")
    tokenizer.save(str(out / "tokenizer.json"))
    (out / "tokenizer_config.json").write_text(json.dumps(
        {"tokenizer_class": "PreTrainedTokenizerFast", "eos_token": "<|endoftext|>"}))
    return out


@pytest.fixture(scope="session")
def real_ids(real_text, tokenizer_dir) -> torch.Tensor:
    """[2, 64] token ids of the arXiv text under the test tokenizer."""
    from tokenizers import Tokenizer

    ids = Tokenizer.from_file(str(tokenizer_dir / "tokenizer.json")).encode(real_text).ids
    return torch.tensor(ids[: 2 * 64]).view(2, 64)
