"""C4 line and document rules on real English text."""
from __future__ import annotations

from tests.transforms.heuristics.filters_from_defaults import published
from transforms.heuristics.c4 import count_sentences
from transforms.heuristics.text_stats import TextStats


def test_line_rules_each_count_their_lines(fomc_sentences):
    s = fomc_sentences
    text = "\n".join([
        s[0],
        "Please enable JavaScript to view the comments powered by Disqus.",
        s[1] + " [1]",
        "Read our privacy policy and terms of use before commenting here.",
        "Share this",
        s[2][:-1],  # a real sentence without its final period
        s[3] + " " + "x" * 1001 + ".",
        s[4],
    ])
    cleaned, removed = published("c4").clean(text)
    assert cleaned == "\n".join([s[0], s[1], s[4]])  # citation marker cut, line kept
    assert removed == {"c4_javascript": 1, "c4_policy": 1, "c4_too_few_words": 1,
                       "c4_no_terminal_punct": 1, "c4_long_word": 1}
    # FineWeb runs C4 without the terminal punctuation rule.
    cleaned, removed = published("c4", require_terminal_punct=False).clean(text)
    assert s[2][:-1] in cleaned.split("\n") and "c4_no_terminal_punct" not in removed


def test_ellipsis_is_not_terminal_punctuation(fomc_sentences):
    cut = fomc_sentences[0][:-1] + "..."
    assert published("c4").line_rule(cut) == "c4_no_terminal_punct"


def test_document_rules(fomc_sentences):
    good = "\n".join(fomc_sentences[:6])
    c4 = published("c4")
    values = c4.score(TextStats(good))
    assert c4.decide(values) is None and values["sentences"] == count_sentences(fomc_sentences[:6]) >= 6
    lorem = good + "\nLorem ipsum dolor sit amet, consectetur adipiscing elit."
    values = c4.score(TextStats(lorem))
    assert (c4.decide(values), values["lorem_ipsum"]) == ("lorem_ipsum", True)
    code = good + "\nThe config is {\"rate\": 0.25} in the file."
    values = c4.score(TextStats(code))
    assert (c4.decide(values), values["curly_bracket"]) == ("curly_bracket", True)
    assert published("c4", filter_curly_bracket=False).decide(values) is None
    short = "\n".join(fomc_sentences[:3])
    values = c4.score(TextStats(short))
    assert (c4.decide(values), values["sentences"]) == ("too_few_sentences", 3)


def test_sentence_count():
    assert count_sentences(["One sentence here. Another one! A third?", "An unpunctuated heading"]) == 4
    assert count_sentences(['He said "stop." Then he left.']) == 2
