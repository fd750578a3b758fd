"""Real good Chinese articles the earlier defaults dropped: the reason each used to get, and that
the default heuristics keep it now (issue 14). Texts are read in place from ../shared/data (the
Skywork articles are under a restrictive license and never copied)."""
from __future__ import annotations

from collections import Counter

import pytest

from pipelines.config import load_config
from tests.conftest import require_full_data
from tests.transforms.heuristics.conftest import read_jsonl
from tests.transforms.heuristics.filters_from_defaults import published
from transforms.document import Document
from transforms.heuristics.heuristics_step import Heuristics, count_into
from transforms.heuristics.text_stats import TextStats, jieba_tokens
from transforms.keep_or_drop import Drop

# FineWeb-2 cmn_Hani values the old defaults used.
FINEWEB2_DUP_NGRAMS = {5: 0.198, 6: 0.182, 7: 0.167, 8: 0.154, 9: 0.14, 10: 0.127}
OLD_ZH_ENDINGS = ("。", "！", "？", "…", "」", "』", "”", "!", "?", "...", ".", "\"", "》", "）", ")")


@pytest.fixture(scope="module")
def default_step():
    section = dict(load_config()["heuristics"])
    section.pop("enabled")
    step = Heuristics(**section, counter_inc_fn=count_into(Counter()))
    step.setup()
    return step


@pytest.fixture(scope="module")
def zh_general(shared_data):
    require_full_data("eval/skywork/zh_general.jsonl")
    return [r["text"] for r in read_jsonl(shared_data / "eval/skywork/zh_general.jsonl")]


def kept(step, text):
    verdict = step.process(Document(id="x", text=text, lang="zh"))
    return None if not isinstance(verdict, Drop) else verdict.reason


def stats(step, text):
    return TextStats(step.clean(text, "zh"), jieba_tokens)


def test_numbers_heavy_finance_news_kept(default_step, zh_general):
    # 解百集团 half-year results: percentages and amounts in every sentence.
    text = zh_general[7]
    assert text.startswith("杭州解百集团")
    s = stats(default_step, text)
    old = published("gopher_quality", min_mean_word_length=1, max_mean_word_length=5, min_alpha_words_ratio=0.735,
                    stop_words=("的", "年", "在"))
    assert old.decide(old.score(s)) == "below_alpha_threshold"  # punctuation tokens counted
    assert kept(default_step, text) is None


def test_news_digest_with_read_more_links_kept(default_step, zh_general):
    # A news digest: every paragraph ends in "详情点击>>" after its last sentence.
    text = zh_general[53]
    assert "详情点击>>" in text
    s = stats(default_step, text)
    assert s.line_end_ratio(OLD_ZH_ENDINGS) < 0.106  # FineWeb-2's line_punct_thr dropped it
    assert published("chinese").score(s)["sentence_line_chars_ratio"] > 0.9
    assert kept(default_step, text) is None


def test_regulation_with_formulaic_phrasing_kept(default_step, shared_data):
    text = read_jsonl(shared_data / "eval/zh_domains/zh_government_laws_2023plus.jsonl")[18]["text"]
    assert text.startswith("# 北京市人民代表大会常务委员会任免国家机关工作人员条例")
    s = stats(default_step, text)
    old = published("gopher_repetition", max_dup_line_frac=0.287, max_top_ngram_char_frac={2: 0.256, 3: 0.201, 4: 0.171},
                    max_dup_ngram_char_frac=FINEWEB2_DUP_NGRAMS)
    assert old.decide(old.score(s)) == "dup_5gram"
    assert kept(default_step, text) is None


def test_health_article_repeating_its_headline_kept(default_step, shared_data):
    # A health article that repeats its headline and subheads (the gold text of a real page).
    page = sorted((shared_data / "html/zh_content_extraction").iterdir())[10]
    text = (page / "cleaned.txt").read_text(encoding="utf-8")
    assert text.startswith("脂溢性脱发")
    s = stats(default_step, text)
    assert s.line_duplicates[1] / s.line_chars > 0.01  # FineWeb's max_char_dup_ratio dropped it
    assert kept(default_step, text) is None
