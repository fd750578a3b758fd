"""A labelled Chinese development set for the heuristics, built from ``../shared/data`` in place.

Good (label 1): the gold texts of ``html/zh_content_extraction`` (hand-cleaned news and forum
pages), the Skywork ``zh_general`` articles (Sep-Oct 2023; Skywork Community License: read in
place, never copied) and the PRC law texts of ``eval/zh_domains``.

Bad (label 0): real spam (the Chinese pages of the bundled ``sample/cc-excerpt-resiliparse``
WARC, extracted as the pipeline does; ChineseWebText ``dirty.jsonl``, read in place) and six
degenerate kinds generated from every good text:

- ``repeated_lines``: a block of the text's lines repeated (template and scraper loops);
- ``menu``: lines of short unpunctuated fragments cut from the text (menus, link lists, tags);
- ``keyword_stuffing``: the text's most frequent words repeated around one of its sentences;
- ``title_only``: the text cut to its first sentence or heading;
- ``code``: one sentence of the text above code blocks from ``zh_tech_docs`` (Apache-2.0);
- ``numbers``: the text's numbers laid out as table rows under short Han labels.

Split discipline: every document (and every variant made from it) goes to ``dev`` or
``report`` by the parity of a SHA-1 of ``<source>:<index>``; thresholds are chosen on ``dev``
only and the figures quoted are those of ``report``.
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import random
import re
from collections import Counter
from pathlib import Path

DEGENERATE_KINDS = ("repeated_lines", "menu", "keyword_stuffing", "title_only", "code", "numbers")
_CLAUSE_RE = re.compile(r"[，。！？；：、,.!?;:\s（）()《》“”\"'【】\[\]|#*>-]+")
_SENTENCE_RE = re.compile(r"[^。！？!?\n]*[。！？!?]?")
_NUMBER_RE = re.compile(r"\d+(?:\.\d+)?%?")
_HAN_WORD_RE = re.compile(r"[\u4e00-\u9fff]{2,4}")
_CODE_RE = re.compile(r"```[^\n]*\n(.*?)```", re.S)


@dataclasses.dataclass(frozen=True)
class Item:
    source: str  # zh_general, laws_gov, ..., or a degenerate kind
    key: str  # <source>:<index> of the good text it comes from (variants share their source's)
    text: str
    good: bool
    split: str  # dev | report


def split_of(key: str) -> str:
    return "dev" if hashlib.sha1(key.encode("utf-8")).digest()[0] % 2 == 0 else "report"


def _jsonl(path: Path, field: str = "text") -> list[str]:
    with open(path, encoding="utf-8") as f:
        return [json.loads(line)[field] for line in f]


def good_texts(data: Path) -> dict[str, list[str]]:
    extraction = data / "html" / "zh_content_extraction"
    return {
        "zh_content_extraction": [(p / "cleaned.txt").read_text(encoding="utf-8")
                                  for p in sorted(extraction.iterdir())],
        "zh_general": _jsonl(data / "eval/skywork/zh_general.jsonl"),
        "laws_gov": _jsonl(data / "eval/zh_domains/zh_government_laws_2023plus.jsonl"),
        "laws_finance": _jsonl(data / "eval/zh_domains/zh_finance_laws_regulations.jsonl"),
    }


def sample_spam(sample_warc: Path) -> list[str]:
    """The Chinese pages of the bundled resiliparse excerpt, extracted with the default settings."""
    from transforms.extract import Extract
    from transforms.heuristics.text_stats import han_chars
    from transforms.read_warc import read_warc
    from transforms.keep_or_drop import Drop

    extract = Extract()
    extract.setup()
    texts = []
    with open(sample_warc, "rb") as f:
        for verdict in read_warc(f, str(sample_warc), 10 ** 8):
            doc = verdict if isinstance(verdict, Drop) else extract.process(verdict)
            if not isinstance(doc, Drop) and han_chars(doc.text) >= 0.3 * len(doc.text):
                texts.append(doc.text)
    return texts


def _sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE_RE.findall(text) if len(s.strip()) >= 4]


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.split("\n") if line.strip()]


def repeated_lines(text: str, rng: random.Random) -> str:
    lines = _lines(text)
    start = rng.randrange(max(len(lines) - 4, 1))
    block = lines[start:start + rng.randint(2, 4)]
    return "\n".join(block * rng.randint(4, 8))


def menu(text: str, rng: random.Random) -> str:
    fragments = [c[:rng.randint(2, 8)] for c in _CLAUSE_RE.split(text) if len(c) >= 2]
    rng.shuffle(fragments)
    fragments = fragments[:rng.randint(40, 80)]
    per_line = rng.choice((1, 1, 4, 6))  # one item per line, or items side by side
    sep = rng.choice((" ", " | ", "  "))
    rows = [sep.join(fragments[i:i + per_line]) for i in range(0, len(fragments), per_line)]
    return "\n".join(rows)


def keyword_stuffing(text: str, rng: random.Random) -> str:
    words = [w for w, _ in Counter(_HAN_WORD_RE.findall(text)).most_common(6)]
    sentences = _sentences(text) or [text[:80]]
    stuffed = [rng.choice(words) for _ in range(rng.randint(60, 120))]
    sep = rng.choice((" ", "，", "、", " "))
    keywords = sep.join(stuffed)
    return "\n".join((" ".join(words[:3]), keywords[: len(keywords) // 2], sentences[0], keywords[len(keywords) // 2:]))


def title_only(text: str, rng: random.Random) -> str:
    first = _lines(text)[0].lstrip("# ")
    return (_sentences(first) or [first])[0][:60]


def code(text: str, rng: random.Random, blocks: list[str]) -> str:
    chosen = [blocks[rng.randrange(len(blocks))] for _ in range(rng.randint(3, 5))]
    return "\n".join([(_sentences(text) or [text[:80]])[0], *chosen])


def numbers(text: str, rng: random.Random) -> str:
    values = _NUMBER_RE.findall(text) or [str(rng.randint(1, 9999))]
    labels = _HAN_WORD_RE.findall(text)[:4] or ["项目", "数值"]
    cols = rng.randint(4, 7)
    rows = ["| " + " | ".join(labels[:cols]) + " |"]
    for r in range(rng.randint(12, 30)):
        cells = [values[(r * cols + c) % len(values)] if rng.random() < 0.8 else str(rng.randint(0, 99999))
                 for c in range(cols)]
        rows.append("| " + " | ".join(cells) + " |")
    return "\n".join(rows)


def code_blocks(data: Path) -> list[str]:
    blocks = []
    for doc in _jsonl(data / "eval/zh_domains/zh_tech_docs.jsonl"):
        blocks.extend(b.strip() for b in _CODE_RE.findall(doc) if len(b.strip()) >= 80)
    return blocks


def degenerate(kind: str, text: str, key: str, blocks: list[str]) -> str:
    rng = random.Random(f"{kind}:{key}")
    if kind == "code":
        return code(text, rng, blocks)
    return globals()[kind](text, rng)


def build(data: Path, sample_warc: Path | None = None) -> list[Item]:
    """Every item of the set, in a fixed order."""
    items = []
    blocks = code_blocks(data)
    for source, texts in good_texts(data).items():
        for i, text in enumerate(texts):
            key = f"{source}:{i}"
            split = split_of(key)
            items.append(Item(source, key, text, True, split))
            for kind in DEGENERATE_KINDS:
                items.append(Item(kind, key, degenerate(kind, text, key, blocks), False, split))
    spam = {"cwt_dirty": _jsonl(data / "labels/chinesewebtext_quality_zh/dirty.jsonl")}
    if sample_warc is not None and os.path.exists(sample_warc):
        spam["sample_spam"] = sample_spam(sample_warc)
    for source, texts in spam.items():
        for i, text in enumerate(texts):
            key = f"{source}:{i}"
            items.append(Item(source, key, text, False, split_of(key)))
    return items
