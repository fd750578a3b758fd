"""Extend an existing byte-level BPE ``tokenizer.json`` with tokens of one language, appended.

Two ways to choose the new tokens (``method``):

- ``bpe``: BPE merges learned on the language's text over the base's *own* normalizer and
  pre-tokenizer (so the merges apply to exactly the pieces the base produces), kept in the order
  learned;
- ``chars``: whole Han characters and jieba words by frequency, as Skywork extended LLaMA's tokenizer
  (Skywork-13B technical report, arXiv:2310.19341, tokenizer section; Chinese-LLaMA likewise). Each
  string gets a merge path from the pieces the tokenizer already makes of it.

Either way the result is the base vocabulary and merges, unchanged and in order, followed by the new
tokens (ids from one past the highest existing id, special tokens included) and their merges. BPE
applies the lowest-ranked merge first, and no base merge involves a new token, so a new merge only
fires once no base merge can: each piece is first split exactly as the base splits it. A new token
must hold a non-ASCII byte and no whole character outside the language's script (``SCRIPTS``), so
text in ASCII (plain English, code) encodes to the same ids as before; the report counts the held
English documents whose ids changed.
"""
from __future__ import annotations

import json
import os
import re
import shutil
from collections import Counter
from dataclasses import dataclass, field
from typing import Iterable

from tokenizers import Tokenizer, models, pre_tokenizers, trainers

from train.tokenizer import TokenizerError, file_sha256, tokenizer_file

# Whole characters a new token may hold, per language (ASCII is always allowed). zh: CJK unified
# ideographs (+ extension A), CJK symbols and punctuation, fullwidth forms.
SCRIPTS = {"zh": re.compile(r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef]")}
HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]+")
METHODS = ("bpe", "chars")
# GPT-2's byte <-> printable-character map that byte-level tokenizer.json files store tokens in.
_BYTE_CHARS = pre_tokenizers.ByteLevel.alphabet()


def _byte_decoder() -> dict[str, int]:
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs, n = bs[:], 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return {chr(c): b for b, c in zip(bs, cs)}


BYTE_DECODER = _byte_decoder()
BYTE_ENCODER = {b: c for c, b in BYTE_DECODER.items()}


def token_bytes(token: str) -> bytes:
    """The bytes a byte-level token stands for (``KeyError`` if it is not byte-level)."""
    return bytes(BYTE_DECODER[c] for c in token)


def to_byte_level(text: str) -> str:
    return "".join(BYTE_ENCODER[b] for b in text.encode("utf-8"))


def allowed(token: str, lang: str) -> bool:
    """A new token: some non-ASCII byte, and every whole non-ASCII character in ``lang``'s script."""
    try:
        raw = token_bytes(token)
    except KeyError:
        return False
    if raw.isascii():
        return False
    script = SCRIPTS[lang]
    # Partial UTF-8 sequences (BPE builds characters byte pair by byte pair) decode to U+FFFD.
    return all(c.isascii() or c == "\ufffd" or script.fullmatch(c) for c in raw.decode("utf-8", errors="replace"))


@dataclass
class BaseBPE:
    """The parts of a ``tokenizer.json`` that extension reads and appends to."""

    data: dict
    vocab: dict[str, int]
    merges: list[tuple[str, str]]
    pair_format: bool  # merges stored as ["a", "b"] pairs (tokenizers >= 0.20) or "a b" strings
    next_id: int
    added: list[str] = field(default_factory=list)
    added_merges: list[tuple[str, str]] = field(default_factory=list)
    ranks: dict[tuple[str, str], int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.ranks = {m: i for i, m in enumerate(self.merges)}

    @classmethod
    def read(cls, path: str) -> "BaseBPE":
        with open(tokenizer_file(path), encoding="utf-8") as f:
            data = json.load(f)
        model = data.get("model", {})
        if model.get("type") != "BPE":
            raise TokenizerError(f"{path}: not a BPE tokenizer.json (model type {model.get('type')!r})")
        vocab = dict(model["vocab"])
        # Added tokens outside the model vocabulary (Qwen's specials) join it at their ids: on load,
        # tokenizers numbers such tokens from the model vocabulary's size, which the new tokens grow.
        for added in data.get("added_tokens", []):
            vocab.setdefault(added["content"], added["id"])
        if not all(ch in vocab for ch in _BYTE_CHARS):
            raise TokenizerError(f"{path}: not a byte-level BPE (some of the 256 byte tokens are missing)")
        raw = model.get("merges", [])
        pair_format = bool(raw) and isinstance(raw[0], list)
        merges = [tuple(m) if pair_format else tuple(m.split(" ", 1)) for m in raw]
        return cls(data, vocab, merges, pair_format, max(vocab.values()) + 1)

    def add(self, left: str, right: str) -> bool:
        """Append the merge ``left right`` and its token unless the token exists; True if added."""
        token = left + right
        if token in self.vocab or left not in self.vocab or right not in self.vocab:
            return False
        self.vocab[token] = self.next_id
        self.next_id += 1
        self.added.append(token)
        self.ranks[(left, right)] = len(self.merges) + len(self.added_merges)
        self.added_merges.append((left, right))
        return True

    def undo(self) -> None:
        """Remove the last token added and its merge."""
        token, merge = self.added.pop(), self.added_merges.pop()
        del self.vocab[token], self.ranks[merge]
        self.next_id -= 1

    def segment(self, token: str, shortcut: bool = True) -> list[str]:
        """The pieces BPE makes of the byte-level string ``token`` with the merges so far
        (``shortcut``: a whole token in the vocabulary is one piece, under ``ignore_merges``)."""
        if shortcut and self.data["model"].get("ignore_merges") and token in self.vocab:
            return [token]
        parts = list(token)
        while len(parts) > 1:
            ranked = [(self.ranks.get((a, b), -1), i) for i, (a, b) in enumerate(zip(parts, parts[1:]))]
            ranked = [(r, i) for r, i in ranked if r >= 0]
            if not ranked:
                break
            _, i = min(ranked)
            parts[i: i + 2] = [parts[i] + parts[i + 1]]
        return parts

    def write(self, out_dir: str, base_dir: str) -> str:
        model = self.data["model"]
        model["vocab"] = self.vocab
        merges = self.merges + self.added_merges
        model["merges"] = [list(m) for m in merges] if self.pair_format or not merges else [f"{a} {b}" for a, b in merges]
        os.makedirs(out_dir, exist_ok=True)
        path = os.path.join(out_dir, "tokenizer.json")
        with open(path, "w", encoding="utf-8") as f:
            f.write(json.dumps(self.data, ensure_ascii=False))  # dumps: the C encoder (dump streams in Python)
        source = os.path.dirname(tokenizer_file(base_dir))
        for name in ("tokenizer_config.json", "special_tokens_map.json"):
            if os.path.isfile(os.path.join(source, name)):
                shutil.copyfile(os.path.join(source, name), os.path.join(out_dir, name))
        return path


def learn_bpe(base: BaseBPE, base_tok: Tokenizer, texts: Iterable[str], add: int, lang: str) -> None:
    """Merges learned on ``texts`` with the base's normalizer and pre-tokenizer, appended in order."""
    learner = Tokenizer(models.BPE())
    learner.normalizer = base_tok.normalizer
    learner.pre_tokenizer = base_tok.pre_tokenizer
    # The learner starts from the bytes, so much of what it learns the base has: ask for headroom.
    trainer = trainers.BpeTrainer(vocab_size=256 + 4 * add + 1000, min_frequency=2, show_progress=False,
                                  initial_alphabet=_BYTE_CHARS)
    learner.train_from_iterator(texts, trainer=trainer)
    learned = json.loads(learner.to_str())["model"]["merges"]
    for merge in learned:
        left, right = merge if isinstance(merge, list) else merge.split(" ", 1)
        if len(base.added) >= add:
            break
        # A merge the base's own merges pre-empt (they split the string otherwise) would never fire.
        if allowed(left + right, lang) and base.add(left, right) and base.segment(left + right, False) != [left + right]:
            base.undo()


def count_units(texts: Iterable[str], min_count: int = 2) -> list[tuple[str, int]]:
    """Han characters and jieba words (two Han characters or more) by descending frequency
    (jieba-rs, ``rjieba``: jieba's dictionary and cuts)."""
    import rjieba

    counts: Counter = Counter()
    for text in texts:
        for run in HAN.findall(text):
            counts.update(run)
            counts.update(w for w in rjieba.cut(run) if len(w) > 1)
    return sorted(((u, n) for u, n in counts.items() if n >= min_count), key=lambda x: (-x[1], x[0]))


def add_strings(base: BaseBPE, strings: Iterable[str], add: int, lang: str) -> None:
    """Give each string a merge path from the pieces the tokenizer makes of it now (left to right),
    while the budget of new tokens allows the whole path. Pieces BPE makes stay pieces, so the path
    is the one encoding takes."""
    for text in strings:
        parts = base.segment(to_byte_level(text))
        path = [parts[0]]
        for piece in parts[1:]:
            path.append(path[-1] + piece)
        new = [p for p in path[1:] if p not in base.vocab]
        if len(base.added) + len(new) > add:
            return
        if not all(allowed(p, lang) for p in new):
            continue
        for acc, piece in zip(path, parts[1:]):
            base.add(acc, piece)


def check_request(add: int, lang: str, method: str) -> None:
    if lang not in SCRIPTS:
        raise TokenizerError(f"--lang {lang!r}: no script defined (known: {', '.join(sorted(SCRIPTS))})")
    if method not in METHODS:
        raise TokenizerError(f"--method {method!r}: known methods are {', '.join(METHODS)}")
    if add <= 0:
        raise TokenizerError(f"--add must be positive, got {add}")


def extend_tokenizer(base_dir: str, texts: list[str], add: int, out_dir: str, lang: str = "zh",
                     method: str = "bpe", base_tok: Tokenizer | None = None) -> dict:
    """Write the extended tokenizer to ``out_dir``; returns what was added. ``base_tok``: the base,
    if already loaded (Qwen's takes a second or two)."""
    check_request(add, lang, method)
    if not texts:
        raise TokenizerError(f"no {lang} text to learn from in the shards")
    base = BaseBPE.read(base_dir)
    base_tok = base_tok or Tokenizer.from_file(tokenizer_file(base_dir))
    first_id = base.next_id
    if method == "bpe":
        learn_bpe(base, base_tok, texts, add, lang)
    else:
        add_strings(base, (u for u, _ in count_units(texts)), add, lang)
    base.write(out_dir, base_dir)
    return {"method": method, "lang": lang, "added": len(base.added), "first_new_id": first_id,
            "vocab_size": base.next_id,
            "base_sha256": file_sha256(tokenizer_file(base_dir)),
            "examples": [w for w in (token_bytes(t).decode("utf-8", errors="replace") for t in base.added)
                         if "\ufffd" not in w][:20]}


def compare_on(base: Tokenizer, new: Tokenizer, texts: list[str]) -> dict:
    """Chars per token of both tokenizers on ``texts``, and how many texts got different ids."""
    a = base.encode_batch(texts, add_special_tokens=False)
    b = new.encode_batch(texts, add_special_tokens=False)
    chars = sum(len(t) for t in texts)
    return {"docs": len(texts), "chars_per_token_base": round(chars / max(sum(len(e.ids) for e in a), 1), 4),
            "chars_per_token_extended": round(chars / max(sum(len(e.ids) for e in b), 1), 4),
            "docs_with_changed_ids": sum(x.ids != y.ids for x, y in zip(a, b))}


def held_split(groups: dict[str, list[str]], lang: str, max_chars: int, text_column: str = "text",
               every: int = 10) -> tuple[list[str], dict[str, list[str]]]:
    """``lang``'s texts to learn from, and held-out texts per language: every ``every``-th document of
    ``lang`` (never learned from) and each other language's (up to ``max_chars / every`` characters)."""
    from train.tokenizer import _texts_up_to

    if lang not in groups:
        raise TokenizerError(f"the shards have no {lang!r} folder (found {sorted(groups)})")
    learn: list[str] = []
    held: dict[str, list[str]] = {}
    for group, files in sorted(groups.items()):
        budget = max_chars if group == lang else max_chars // every
        for i, text in enumerate(_texts_up_to(files, budget, text_column)):
            if group != lang or i % every == every - 1:
                held.setdefault(group, []).append(text)
            elif group == lang:
                learn.append(text)
    return learn, held
