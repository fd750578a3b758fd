"""URL and exact dedup: known answers on real texts, deterministic survivors, exact counters."""
from transforms.dedup.exact import ExactDedup, normalize_text, text_hash
from transforms.dedup.url_dedup import UrlDedup

from tests.transforms.dedup.corpus import EN, ZH, doc, run_step, texts


def test_text_hash_ignores_case_and_whitespace_only():
    assert normalize_text("  Hello\n\tWORLD  ") == "hello world"
    assert text_hash("Hello  world") == text_hash("hello world\n")
    assert text_hash("hello world") != text_hash("hello world!")


def test_exact_dedup_keeps_smallest_id_and_counts_copies(shared_data):
    en = texts(shared_data, EN, 3)
    zh = texts(shared_data, ZH, 2)
    docs = [doc("d3", en[0]), doc("d1", en[0] + "\n\n"), doc("d7", en[0].upper()),  # 3 copies
            doc("d2", en[1]), doc("d5", zh[0]), doc("d4", zh[0]), doc("d6", zh[1]),
            doc("d8", en[2][:-1])]  # differs by one character: not exact
    kept, dropped, counters, _ = run_step(ExactDedup(), docs)
    assert dropped == {"d3": "exact_duplicate", "d7": "exact_duplicate", "d5": "exact_duplicate"}
    assert {k: v[1]["exact_dup_count"] for k, v in kept.items()} == {
        "d1": 3, "d2": 1, "d4": 2, "d6": 1, "d8": 1}
    assert counters[("exact_dedup", "kept")] == 5
    assert counters[("exact_dedup", "dropped:exact_duplicate")] == 3


def test_exact_dedup_prefers_the_configured_score(shared_data):
    text = texts(shared_data, EN, 1)[0]
    docs = [doc("a", text, quality=0.2), doc("b", text, quality=0.9), doc("c", text),
            doc("d", text, quality=0.9)]
    kept, dropped, _, _ = run_step(ExactDedup(score_column="quality"), docs)
    assert list(kept) == ["b"]  # highest score; tie with "d" broken by the smaller id
    assert kept["b"][1]["exact_dup_count"] == 4
    assert set(dropped) == {"a", "c", "d"}


def test_url_dedup_keeps_latest_capture(shared_data):
    en = texts(shared_data, EN, 4)
    docs = [doc("a", en[0], "http://www.example.com/page?utm_source=x", "2023-01-01T00:00:00"),
            doc("b", en[1], "https://example.com/page", "2024-05-01T00:00:00"),
            doc("c", en[2], "https://example.com/page#top", "2022-01-01T00:00:00"),
            doc("e", en[0], "https://example.com/other", "2021-01-01T00:00:00"),
            doc("f", en[3], "https://example.com/other", "2021-01-01T00:00:00"),  # tie: smaller id wins
            doc("g", en[3], None, None)]  # no URL: kept
    kept, dropped, counters, _ = run_step(UrlDedup(), docs)
    assert set(kept) == {"b", "e", "g"}
    assert dropped == {"a": "url_duplicate", "c": "url_duplicate", "f": "url_duplicate"}
    assert counters[("url_dedup", "dropped:url_duplicate")] == 3
    assert counters[("url_dedup", "kept")] == 3


def test_group_decisions_two_passes_over_lists_and_one_over_iterators():
    from transforms.dedup.decisions import Decision, group_decisions

    dup = Decision(drop="exact_duplicate")
    copies = [(0.5, "d"), (0.9, "c"), (0.9, "b"), (float("-inf"), "a")]  # best rank wins, then smallest id
    expected = [("d", dup), ("c", dup), ("a", dup), ("b", Decision(values=(("n", 4),)))]
    assert list(group_decisions(copies, dup, "n")) == expected
    assert list(group_decisions(iter(copies), dup, "n")) == expected  # a one-shot iterator is copied first
    assert list(group_decisions([(1.0, "x")], dup, "n")) == []  # a unique text decides nothing
