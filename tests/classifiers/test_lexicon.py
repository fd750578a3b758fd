"""The word-list scorer on the real LDNOOBW and ChineseWebText lists."""
from __future__ import annotations

import re

import pytest

from classifiers.base import ModelFileError
from classifiers.lexicon import LexiconClassifier, trie_regex
from tests.classifiers.fixtures import lexicon_paths


def test_latin_words_match_whole_words_cjk_as_substrings(shared_data):
    lx = LexiconClassifier(lexicon_paths(shared_data)).load()
    assert lx.hits("A classy class assessment") == []  # "ass" inside words does not count
    assert lx.hits("what an ASS") == ["ass"]
    assert lx.hits("这是一个色情网站") == ["色情"]
    assert list(lx.predict(["what an ass", "a class", "", None, "色情"])) == [1.0, 0.0, 0.0, 0.0, 1.0]


def test_saturation_grades_the_score(shared_data):
    lx = LexiconClassifier(lexicon_paths(shared_data), saturation_hits=4).load()
    assert list(lx.predict(["ass", "ass ass", "ass ass ass ass ass"])) == [0.25, 0.5, 1.0]


@pytest.mark.full_data("lists/zh_sensitive_words_chinesewebtext.tsv")
def test_tsv_categories_select_entries(shared_data):
    tsv = str(shared_data / "lists/zh_sensitive_words_chinesewebtext.tsv")
    porn_only = LexiconClassifier(tsv, tsv_categories=["色情"]).load()
    everything = LexiconClassifier(tsv).load()
    assert porn_only.hits("习近平") == [] and everything.hits("习近平") == ["习近平"]


def test_trie_regex_matches_exactly_the_words():
    words = ["ab", "abc", "abd", "b", "x.y"]
    rx = re.compile("^" + trie_regex(words) + "$")
    for w in words:
        assert rx.match(w), w
    for w in ["a", "abx", "xzy", "abcd", ""]:
        assert not rx.match(w), w


def test_missing_list_is_an_error(tmp_path):
    with pytest.raises(ModelFileError, match="word list not found"):
        LexiconClassifier(str(tmp_path / "nope.txt")).load()


def test_single_cjk_characters_and_numbers_are_skipped_by_default(shared_data):
    every = LexiconClassifier(lexicon_paths(shared_data), min_cjk_word_chars=1).load()
    lx = LexiconClassifier(lexicon_paths(shared_data)).load()
    text = "喝牛奶有益，个性化推荐，河滩上的卵石。见第 13. 条"
    assert sorted(every.hits(text)) == ["卵", "奶", "性"]  # "13." is never an entry
    assert lx.hits(text) == []
    assert lx.hits("这是一个色情网站") == ["色情"]  # two-character entries still match
    with pytest.raises(ValueError, match="min_cjk_word_chars"):
        LexiconClassifier(lexicon_paths(shared_data), min_cjk_word_chars=0)


def test_share_of_zh_pages_scoring_one(shared_data):
    """The measurement of bench/README.md "Lexicon": the 52 zh content-extraction gold texts."""
    texts = [p.read_text(encoding="utf-8") for p in sorted((shared_data / "html/zh_content_extraction").glob("*/cleaned.txt"))]
    assert len(texts) == 52

    def share(lx):
        return sum(float(s) == 1.0 for s in lx.load().predict(texts)) / len(texts)

    assert share(LexiconClassifier(lexicon_paths(shared_data), min_cjk_word_chars=1)) == 36 / 52
    assert share(LexiconClassifier(lexicon_paths(shared_data))) == 13 / 52
