"""C4-style line dedup across documents: repeated lines kept once, counted."""
from transforms.dedup.line_dedup import LineDedup, line_hash, remove_lines

from tests.transforms.dedup.corpus import EN, doc, run_step, texts


def test_remove_lines_pure():
    text, removed = remove_lines("keep\nShare this\n\nkeep too\nShare this", frozenset({line_hash("Share this")}), 1)
    assert (text, removed) == ("keep\n\nkeep too", 2)


def test_repeated_lines_kept_in_smallest_id_only(shared_data):
    # each body on one line, so the only lines shared across documents are the ones added below
    bodies = [" ".join(t.split()) for t in texts(shared_data, EN, 3, max_chars=800)]
    nav = "Home | About | Contact"
    cookie = "We use cookies to improve your experience."
    docs = [doc("b", f"{nav}\n{bodies[0]}\n{cookie}"), doc("a", f"{nav}\n{bodies[1]}"),
            doc("c", f"{nav}\n{bodies[2]}\n{cookie}"), doc("d", f"{nav}\n{cookie}"),
            doc("e", bodies[2][:300])]  # a prefix of c's body: not a repeated line
    kept, dropped, counters, _ = run_step(LineDedup(max_docs=1, min_line_chars=5), docs)
    assert dropped == {"d": "line_dedup_empty"}
    assert kept["a"][0].startswith(nav)  # smallest id keeps the navigation line
    assert nav not in kept["b"][0] and cookie in kept["b"][0]  # "b" is the smallest id with the cookie line
    assert nav not in kept["c"][0] and cookie not in kept["c"][0]
    assert {k: v[1]["lines_removed"] for k, v in kept.items()} == {"a": 0, "b": 1, "c": 2, "e": 0}
    assert counters[("line_dedup", "lines_removed:line_dedup")] == 3
    assert counters[("line_dedup", "dropped:line_dedup_empty")] == 1


def test_lines_in_few_documents_stay_with_a_higher_limit(shared_data):
    body = texts(shared_data, EN, 1, max_chars=500)[0]
    docs = [doc("a", "shared line here\n" + body), doc("b", "shared line here\nother text")]
    kept, dropped, _, _ = run_step(LineDedup(max_docs=2), docs)
    assert not dropped and kept["b"][0] == "shared line here\nother text"


def test_removals_read_a_group_twice_or_copy_a_one_shot_iterator():
    from transforms.dedup.line_dedup import _removals

    ids = ["d3", "d1", "d2"]
    for group in (ids, iter(ids)):
        assert sorted(_removals(2)((b"h", group))) == [("d2", b"h"), ("d3", b"h")]
    assert list(_removals(3)((b"h", ids))) == []  # in max_docs documents or fewer: kept everywhere
