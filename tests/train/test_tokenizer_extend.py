"""Tokenizer extension: the real CLI on curated-layout shards, an English-only base and Qwen's BPE."""
from __future__ import annotations

import json

import pytest
from tokenizers import Tokenizer
from transformers import AutoTokenizer

from train.tokenizer import train_tokenizer
from train.tokenizer_cli import main
from train.tokenizer_extend import allowed, to_byte_level

EN_HELD = "eval/en_domains/en_finance_fomc_minutes_2022_2023.jsonl"
ZH_HELD = "eval/zh_domains/zh_finance_laws_regulations.jsonl"


def _texts(shared_data, rel: str, n: int) -> list[str]:
    with open(shared_data / rel, encoding="utf-8") as f:
        return [json.loads(line)["text"][:3000] for _, line in zip(range(n), f)]


@pytest.fixture(scope="module")
def english_base(corpus, tmp_path_factory):
    """A byte-level BPE trained on the English shards only."""
    from train.tokenizer import files_by_language, sample_texts

    out = tmp_path_factory.mktemp("en_base")
    groups = files_by_language([str(p) for p in sorted(corpus.glob("data/en/*.parquet"))])
    train_tokenizer(sample_texts(groups, None, 200_000), 400, str(out))
    return out


def _extend(corpus, base, out, add, method, *extra):
    return main(["extend", "--base", str(base), "--shards", str(corpus / "data/*/*.parquet"), "--add", str(add),
                 "--out", str(out), "--method", method, *extra])


def _json(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def _assert_base_kept(base_dir, new_dir, added):
    """Every base token (specials included) at its id once loaded, merges a prefix, new ids after."""
    base, new = _json(base_dir / "tokenizer.json"), _json(new_dir / "tokenizer.json")
    assert new["model"]["merges"][:len(base["model"]["merges"])] == base["model"]["merges"]
    assert len(new["model"]["merges"]) == len(base["model"]["merges"]) + added
    before = Tokenizer.from_file(str(base_dir / "tokenizer.json")).get_vocab(with_added_tokens=True)
    after = Tokenizer.from_file(str(new_dir / "tokenizer.json")).get_vocab(with_added_tokens=True)
    assert {t: after.get(t) for t in before} == before
    first = max(before.values()) + 1
    assert sorted(set(after.values()) - set(before.values())) == list(range(first, first + added))


@pytest.mark.parametrize("method", ["bpe", "chars"])
def test_extend_appends_and_keeps_english_ids(corpus, english_base, shared_data, tmp_path, capsys, method):
    out = tmp_path / method
    assert _extend(corpus, english_base, out, 150, method) == 0
    printed = capsys.readouterr().out
    assert f"added 150 zh tokens ({method}) at ids 400.." in printed
    report = _json(out / "extension.json")
    assert report["added"] == 150 and report["vocab_size"] == 550
    _assert_base_kept(english_base, out, 150)
    # Held shard documents: English ids unchanged, Chinese in fewer tokens.
    assert report["held"]["en"]["docs_with_changed_ids"] == 0
    zh = report["held"]["zh"]
    assert zh["chars_per_token_extended"] > 1.3 * zh["chars_per_token_base"]
    base, new = Tokenizer.from_file(str(english_base / "tokenizer.json")), Tokenizer.from_file(str(out / "tokenizer.json"))
    for text in _texts(shared_data, EN_HELD, 5):
        assert new.encode(text).ids == base.encode(text).ids
    hf = AutoTokenizer.from_pretrained(str(out))
    for text in _texts(shared_data, ZH_HELD, 3) + _texts(shared_data, EN_HELD, 1):
        ids = hf.encode(text, add_special_tokens=False)
        assert hf.decode(ids) == text
    assert hf.eos_token == "<|endoftext|>"
    if method == "chars":  # the most frequent characters of Chinese law text are whole tokens
        assert {"的", "法"} <= set(report["examples"])
        assert new.token_to_id(to_byte_level("的")) >= 400


def test_extend_qwen_bpe(corpus, shared_data, tmp_path, capsys):
    qwen = tmp_path / "qwen"
    assert main(["convert", "--out", str(qwen)]) == 0
    out = tmp_path / "qwen_zh"
    held = ["--held", str(shared_data / EN_HELD), "--held", str(shared_data / "eval/zh_domains/zh_tech_docs.jsonl")]
    assert _extend(corpus, qwen, out, 40, "bpe", *held) == 0
    report = _json(out / "extension.json")
    assert report["first_new_id"] == 151646  # after Qwen's 151,643 ranks and its 3 special tokens
    _assert_base_kept(qwen, out, report["added"])
    assert 0 < report["added"] <= 40
    assert report["held"]["en_finance_fomc_minutes_2022_2023"]["docs_with_changed_ids"] == 0
    zh = report["held"]["zh_tech_docs"]
    assert zh["chars_per_token_extended"] >= zh["chars_per_token_base"]
    new = AutoTokenizer.from_pretrained(str(out))
    text = _texts(shared_data, ZH_HELD, 1)[0]
    assert new.decode(new.encode(text, add_special_tokens=False)) == text


def test_allowed_tokens():
    assert allowed(to_byte_level("中国"), "zh") and allowed(to_byte_level(" 法律"), "zh")
    assert allowed(to_byte_level("中")[:2], "zh")  # a partial character, on the way to a whole one
    assert not allowed(to_byte_level("the"), "zh")  # ASCII: never new, so English ids stay
    assert not allowed(to_byte_level("café"), "zh") and not allowed(to_byte_level("日本語です"), "zh")


@pytest.mark.parametrize("args, message", [
    (["--lang", "xx"], "--lang 'xx': no script defined"),
    (["--add", "0"], "--add must be positive"),
])
def test_extend_errors(corpus, english_base, tmp_path, capsys, args, message):
    argv = ["extend", "--base", str(english_base), "--shards", str(corpus / "data/*/*.parquet"), "--add", "10",
            "--out", str(tmp_path / "x"), *args]
    assert main(argv) == 2
    assert message in capsys.readouterr().err


def test_extend_needs_the_language_folder(corpus, english_base, tmp_path, capsys):
    assert main(["extend", "--base", str(english_base), "--shards", str(corpus / "data/en/*.parquet"), "--add", "10",
                 "--out", str(tmp_path / "x")]) == 2
    assert "the shards have no 'zh' folder" in capsys.readouterr().err
