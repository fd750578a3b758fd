"""Real texts from ../shared/data for the heuristics tests (read in place, never copied)."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.conftest import require_full_data


def read_jsonl(path: Path, limit: int | None = None) -> list[dict]:
    rows = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            rows.append(json.loads(line))
            if limit and len(rows) == limit:
                break
    return rows


@pytest.fixture(scope="session")
def fomc_sentences(shared_data) -> list[str]:
    """Sentences of the first FOMC minutes (US government work, public domain), 8+ words each."""
    text = read_jsonl(shared_data / "eval/en_domains/en_finance_fomc_minutes_2022_2023.jsonl", 1)[0]["text"]
    sentences = [s.strip() for s in re.split(r"(?<=[.!?])\s+(?=[A-Z])", text)]
    # The first sentences are the attendance list (names and titles): start after it.
    return [s for s in sentences if len(s.split()) >= 8 and s.endswith(".") and "{" not in s][40:240]


@pytest.fixture(scope="session")
def zh_law_paragraphs(shared_data) -> list[str]:
    """Paragraphs of the first Chinese regulation (PRC laws are not copyrightable)."""
    text = read_jsonl(shared_data / "eval/zh_domains/zh_government_laws_2023plus.jsonl", 1)[0]["text"]
    return [p for p in text.split("\n") if len(p) >= 40 and p.endswith("。")]


@pytest.fixture(scope="session")
def cwt(shared_data) -> dict[str, list[str]]:
    """ChineseWebText's labelled clean and dirty samples (license-flagged: read, never copied)."""
    require_full_data("labels/chinesewebtext_quality_zh")
    base = shared_data / "labels/chinesewebtext_quality_zh"
    return {kind: [r["text"] for r in read_jsonl(base / f"{kind}.jsonl")] for kind in ("clean", "dirty")}


@pytest.fixture(scope="session")
def dclm_rows(shared_data) -> list[dict]:
    return read_jsonl(shared_data / "labels/dclm_web_quality_en/agreement_data.jsonl")
