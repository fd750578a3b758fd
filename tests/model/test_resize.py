"""resize-vocab: base logits kept exactly, new rows the mean of their pieces' rows, the real CLI."""
from __future__ import annotations

import json

import pytest
import torch
from tokenizers import Tokenizer

from model.cli import main
from model.hf import load_hf
from model.resize import new_token_pieces
from train.tokenizer_extend import extend_tokenizer, token_bytes

ZH = "eval/zh_domains/zh_tech_docs.jsonl"


@pytest.fixture(scope="module")
def extended_dir(tokenizer_dir, shared_data, tmp_path_factory):
    """The English-only test tokenizer (512) plus 100 Chinese tokens learned on Chinese tech docs."""
    with open(shared_data / ZH, encoding="utf-8") as f:
        texts = [json.loads(line)["text"] for line in f][:10]
    out = tmp_path_factory.mktemp("extended")
    report = extend_tokenizer(str(tokenizer_dir), texts, 100, str(out))
    assert report["added"] == 100
    return out


@pytest.fixture(scope="module")
def resized(tokenizer_dir, extended_dir, tmp_path_factory):
    root = tmp_path_factory.mktemp("resize")
    assert main(["init", "--config", "tiny", "--out", str(root / "base"), "--tokenizer", str(tokenizer_dir),
                 "--set", "vocab_size=512", "--set", "dim=64", "--set", "n_layers=2", "--set", "ffn_dim=128"]) == 0
    assert main(["resize-vocab", "--hf", str(root / "base"), "--tokenizer", str(extended_dir),
                 "--out", str(root / "resized")]) == 0
    return root


def test_logits_over_base_ids_are_unchanged(resized, real_ids):
    base, grown = load_hf(resized / "base").eval(), load_hf(resized / "resized").eval()
    assert (base.config.vocab_size, grown.config.vocab_size) == (512, 640)  # 612 tokens padded to 64
    with torch.no_grad():
        before, after = base(real_ids), grown(real_ids)
    assert torch.equal(after[..., :512], before)
    assert json.loads((resized / "resized" / "config.json").read_text())["vocab_size"] == 640
    assert (resized / "resized" / "tokenizer.json").read_bytes() != (resized / "base" / "tokenizer.json").read_bytes()


def test_new_rows_are_the_mean_of_their_pieces(resized, tokenizer_dir, extended_dir):
    base_tok = Tokenizer.from_file(str(tokenizer_dir / "tokenizer.json"))
    new_tok = Tokenizer.from_file(str(extended_dir / "tokenizer.json"))
    pieces = new_token_pieces(base_tok, new_tok)
    assert sorted(pieces) == list(range(512, 612))
    base, grown = load_hf(resized / "base"), load_hf(resized / "resized")
    for i, ids in pieces.items():
        token = new_tok.id_to_token(i)
        assert len(ids) > 1 and b"".join(token_bytes(base_tok.id_to_token(j)) for j in ids) == token_bytes(token)
        for name in ("tok_embeddings", "output"):
            expected = getattr(base, name).weight[ids].mean(0)
            assert torch.allclose(getattr(grown, name).weight[i], expected, atol=1e-7)
    # Padding rows past the tokenizer: the mean of the base tokens' rows.
    assert torch.allclose(grown.tok_embeddings.weight[630], base.tok_embeddings.weight[:512].mean(0), atol=1e-7)


def test_resize_refuses_a_tokenizer_that_is_not_an_extension(resized, tmp_path, capsys):
    from train.tokenizer import train_tokenizer

    other = tmp_path / "other"
    train_tokenizer(iter(["a different tokenizer, trained on other text " * 50]), 300, str(other))
    assert main(["resize-vocab", "--hf", str(resized / "base"), "--tokenizer", str(other),
                 "--out", str(tmp_path / "x")]) == 2
    assert "the new tokenizer is not an extension of the base" in capsys.readouterr().err
