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
