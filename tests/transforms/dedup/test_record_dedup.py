"""record_dedup on key records: identical copies dropped, different ones kept under their own id,
the order of copies by text (read back in full only when two share the key's prefix)."""
from __future__ import annotations

import json
from collections import Counter

import apache_beam as beam
from apache_beam.testing.util import assert_that, equal_to

from tests.conftest import beam_test_pipeline
from transforms.dedup.decisions import DECISION_KEY, VERDICTS
from transforms.dedup.keys import RANK_CHARS, Keyer, key_record
from transforms.dedup.record_dedup import REASON, DropRepeatedIds, RecordStep, copy_decisions
from transforms.document import Document, stable_id
from transforms.keep_or_drop import bind_steps, run_steps


def _records(docs):
    keyer = Keyer()
    return [key_record({"id": d.id, "url": d.url, "warc_file": d.warc_file, **k}, (0, row))
            for row, (d, k) in enumerate(zip(docs, keyer.keys(docs)))]


def test_repeated_ids(shared_data):
    peps = (shared_data / "eval/en_domains/en_tech_python_peps_2023plus.jsonl").read_text(encoding="utf-8")
    a, b, c = (json.loads(line)["text"] for line in peps.splitlines()[:3])
    docs = [Document(id="x", text=a, url="http://a/"), Document(id="x", text=a, url="http://a/"),  # a record read twice
            Document(id="x", text=a, url="http://a/"),
            Document(id="y", text=b, url="http://b/"), Document(id="y", text=c, url="http://c/"),  # one id, two pages
            Document(id="z", text=c, url="http://z/")]
    first_y = min([(b, "http://b/"), (c, "http://c/")])
    renamed = stable_id("y", *max([(b, "http://b/"), (c, "http://c/")]))
    with beam_test_pipeline() as p:
        out = p | beam.Create(_records(docs)) | DropRepeatedIds(["unused"])
        assert_that(out["kept"] | "KeptIds" >> beam.Map(lambda r: r["id"]), equal_to(["x", "y", renamed, "z"]),
                    label="kept")
        # the copies read later in the file are the ones dropped, whatever the order they arrive in
        assert_that(out[VERDICTS] | beam.Map(lambda v: (v[1][0], v[1][1], v[1][2].drop, v[1][2].payload)),
                    equal_to([(1, "record_dedup", REASON, None), (2, "record_dedup", REASON, None),
                              ([3, 4][[b, c].index(max(b, c))], "record_dedup", None, renamed)]), label="verdicts")
    # the second pass applies the verdicts: a drop, or the distinct document's new id
    counts = Counter()
    chain = [(RecordStep(), None)]
    bind_steps(chain, lambda ns, name, n=1: counts.update({(ns, name): n}))
    decided = [Document(id="x", extra={DECISION_KEY: {"record_dedup": v}}) for v in
               [c for _, c in copy_decisions(_records(docs[3:5]), lambda r: "")]]
    outcomes = run_steps([Document(id="x"), *decided], chain, lambda ns, name, n=1: counts.update({(ns, name): n}))
    assert [(d.id, s, r) for d, s, r in outcomes][:1] == [("x", None, None)]
    assert {d.id for d, _, _ in outcomes} == {"x", renamed}
    assert counts[("record_dedup", "distinct_documents_renamed")] == 1 and counts[("record_dedup", "kept")] == 3
    assert first_y


def test_copies_sharing_the_prefix_are_ordered_by_their_full_text():
    prefix = "p" * RANK_CHARS
    docs = [Document(id="x", text=prefix + "b", url="http://u/"), Document(id="x", text=prefix + "a", url="http://u/")]
    read = []

    def full_text(record):
        read.append(record["loc"])
        return docs[record["loc"][1]].text

    decisions = copy_decisions(_records(docs), full_text)
    kept = [r for r, d in decisions if d is None]
    assert [r["loc"] for r in kept] == [(0, 1)]  # "...a" < "...b": the smaller text keeps the id
    assert sorted(read) == [(0, 0), (0, 1)]
    short = [Document(id="y", text="b", url="http://u/"), Document(id="y", text="a", url="http://u/")]
    assert [r["loc"] for r, d in copy_decisions(_records(short), None) if d is None] == [(0, 1)]  # no read
