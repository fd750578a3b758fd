"""Byte-level BPE tokenizer trained on curated shards, and loading of any ``tokenizer.json``.

The tokenizer is Hugging Face ``tokenizers`` BPE over bytes (GPT-2's byte-to-unicode alphabet is
the initial alphabet, so every input byte has a token: that is our byte fallback, no ``<unk>``
exists). Digits are split one by one before BPE, as in Llama and Qwen, so numbers tokenize
uniformly. No normalizer: ``decode(encode(text)) == text`` for any string. The output directory
holds ``tokenizer.json`` plus a ``tokenizer_config.json`` naming the EOS token, which transformers'
``PreTrainedTokenizerFast`` / ``AutoTokenizer`` load.

Training text is a sample of the shards with per-language character budgets (``lang_ratios``),
row groups taken in a seeded random order, so memory stays bounded by one row group's text column.
"""
from __future__ import annotations

import glob
import hashlib
import json
import os
import random
from typing import Iterator, Mapping

import pyarrow.parquet as pq
from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers

EOS_TOKEN = "<|endoftext|>"
PAD_TOKEN = "<|pad|>"


class TokenizerError(ValueError):
    """A tokenizer that cannot be loaded or trained as asked."""


def files_by_language(files: list[str]) -> dict[str, list[str]]:
    """Curated shards live in ``data/<lang>/*.parquet``: the parent folder names the language."""
    groups: dict[str, list[str]] = {}
    for f in sorted(files):
        groups.setdefault(os.path.basename(os.path.dirname(os.path.abspath(f))), []).append(f)
    return groups


def sample_texts(groups: Mapping[str, list[str]], ratios: Mapping[str, float] | None, max_chars: int,
                 text_column: str = "text") -> Iterator[str]:
    """Texts of each group's files in order, group ``g`` capped at ``ratios[g] / sum * max_chars``
    characters (the per-language sampling ratios). Without ratios the groups share equally;
    groups absent from ``ratios`` are skipped."""
    if ratios:
        unknown = sorted(set(ratios) - set(groups))
        if unknown:
            raise TokenizerError(f"no shards for {unknown}; found {sorted(groups)}")
        total = sum(ratios.values())
        if not total > 0 or any(r < 0 for r in ratios.values()):
            raise TokenizerError(f"ratios must be >= 0 with a positive sum, got {dict(ratios)}")
        budgets = {g: int(max_chars * r / total) for g, r in ratios.items()}
    else:
        budgets = {g: max_chars // len(groups) for g in groups}
    for group, budget in sorted(budgets.items()):
        yield from _texts_up_to(groups[group], budget, text_column)


def _texts_up_to(files: list[str], budget: int, text_column: str, seed: int = 0) -> Iterator[str]:
    """Texts from the row groups of ``files`` in a seeded random order (not just the first shard's
    documents), until ``budget`` characters."""
    units = [(f, rg) for f in files for rg in range(pq.ParquetFile(f).metadata.num_row_groups)]
    random.Random(seed).shuffle(units)
    used = 0
    for f, rg in units:
        for text in pq.ParquetFile(f).read_row_group(rg, columns=[text_column]).column(0).to_pylist():
            if used >= budget:
                return
            if text:
                yield text[: budget - used]
                used += min(len(text), budget - used)


def build_tokenizer() -> Tokenizer:
    """An untrained byte-level BPE with single-digit pre-splitting."""
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Digits(individual_digits=True),
        pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True),
    ])
    tok.decoder = decoders.ByteLevel()
    tok.post_processor = processors.ByteLevel(trim_offsets=False)
    return tok


def train_tokenizer(texts: Iterator[str], vocab_size: int, out_dir: str, min_frequency: int = 2) -> str:
    """Train on ``texts`` and save ``tokenizer.json`` + transformers config files; returns ``out_dir``."""
    if vocab_size < 256 + 2:
        raise TokenizerError(f"vocab_size {vocab_size} is smaller than the 256 byte tokens + 2 specials")
    tok = build_tokenizer()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size, min_frequency=min_frequency, show_progress=False,
        special_tokens=[EOS_TOKEN, PAD_TOKEN], initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tok.train_from_iterator(texts, trainer=trainer)
    save_tokenizer(tok, out_dir)
    return out_dir


def save_tokenizer(tok: Tokenizer, out_dir: str, pad_token: str | None = PAD_TOKEN) -> None:
    os.makedirs(out_dir, exist_ok=True)
    tok.save(os.path.join(out_dir, "tokenizer.json"))
    specials = {"eos_token": EOS_TOKEN, **({"pad_token": pad_token} if pad_token else {})}
    config = {"tokenizer_class": "PreTrainedTokenizerFast", **specials, "bos_token": None, "unk_token": None,
              "model_max_length": 1 << 30, "clean_up_tokenization_spaces": False}
    with open(os.path.join(out_dir, "tokenizer_config.json"), "w", encoding="utf-8") as f:
        json.dump(config, f, indent=2)
    with open(os.path.join(out_dir, "special_tokens_map.json"), "w", encoding="utf-8") as f:
        json.dump(specials, f, indent=2)


def tokenizer_file(path: str) -> str:
    """``path`` is a ``tokenizer.json`` or a directory holding one."""
    candidate = os.path.join(path, "tokenizer.json") if os.path.isdir(path) else path
    if not os.path.isfile(candidate):
        raise TokenizerError(f"no tokenizer.json at {path!r} (give a directory holding one, or the file)")
    return candidate


def load_tokenizer(path: str, eos_token: str | None = None) -> tuple[Tokenizer, int]:
    """The tokenizer at ``path`` and its EOS id (from ``eos_token``, tokenizer_config.json, or ours)."""
    file = tokenizer_file(path)
    tok = Tokenizer.from_file(file)
    if eos_token is None:
        config = os.path.join(os.path.dirname(file), "tokenizer_config.json")
        if os.path.isfile(config):
            with open(config, encoding="utf-8") as f:
                eos = json.load(f).get("eos_token")
            eos_token = eos.get("content") if isinstance(eos, dict) else eos
        eos_token = eos_token or EOS_TOKEN
    eos_id = tok.token_to_id(eos_token)
    if eos_id is None:
        raise TokenizerError(f"EOS token {eos_token!r} is not in the vocabulary of {file}")
    return tok, eos_id


def file_sha256(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def expand_shards(patterns: list[str]) -> list[str]:
    """The Parquet files ``patterns`` name (an existing path as written, else a glob); a pattern
    matching nothing, or a file that is not Parquet, is a TokenizerError naming it."""
    import pyarrow.parquet as pq

    files = set()
    for pattern in patterns:
        found = [pattern] if os.path.isfile(pattern) else glob.glob(pattern, recursive=True)
        if not found:
            raise TokenizerError(f"--shards {pattern}: matches no files")
        files.update(found)
    for path in sorted(files):
        try:
            pq.read_metadata(path)
        except Exception as exc:  # noqa: BLE001 - pyarrow's errors for a file that is not Parquet
            raise TokenizerError(f"--shards {path}: not a Parquet file ({str(exc).splitlines()[0]})") from None
    return sorted(files)
