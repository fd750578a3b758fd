"""The per-file passes' own parts: the first pass's work files and counts (real WARCs, good and
broken), their key records, and run_steps, the one function that runs and counts a chain."""
from __future__ import annotations

from collections import Counter

import apache_beam as beam
from apache_beam.testing.util import assert_that, equal_to

from tests.conftest import beam_test_pipeline, step_counters
from transforms.dedup.keys import Keyer
from transforms.document import Document
from transforms.keep_or_drop import Drop, Step, bind_steps, run_steps
from transforms.process_files import ProcessFiles, WorkFile, read_counts, sum_counts

CAP = 10 << 20


def _files(paths, tmp_path):
    return [WorkFile(i, p, str(tmp_path / f"w{i}.parquet"), str(tmp_path / f"c{i}.json")) for i, p in enumerate(paths)]


def test_first_pass_counts_every_record_of_good_and_broken_files(shared_data, tmp_path):
    (tmp_path / "empty.warc.gz").write_bytes(b"")
    paths = [str(shared_data / "warc" / n) for n in (
        "warcio/example-bad-non-chunked.warc.gz", "warcio/example-wrong-chunks.warc.gz",
        "resiliparse/clipped.warc.gz", "commoncrawl_whirlwind/whirlwind.warc.gz")] + [str(tmp_path / "empty.warc.gz")]
    files = _files(paths, tmp_path / "work")
    (tmp_path / "work").mkdir()
    p = beam_test_pipeline()
    out = p | ProcessFiles(files, [], {}, CAP, False, Keyer())
    assert_that(out["keys"] | "Urls" >> beam.Map(lambda r: r["url"]), equal_to([
        "http://example.com/", "http://example.com/", "https://an.wikipedia.org/wiki/Escopete"]), label="KeptUrls")
    result = p.run()
    result.wait_until_finish()
    expected = {"files": 5, "records_in": 14, "kept": 3, "dropped:read_not_response": 9,
                "dropped:read_truncated": 1, "dropped:read_empty_file": 1}
    # the counts are data (each work file's metadata); Beam Metrics show the same live
    totals = sum_counts(read_counts(f.work) for f in files)
    assert {name: n for (ns, name), n in totals.items() if ns == "read"} == expected
    assert step_counters(result, "read") == expected


def test_a_file_that_vanished_after_matching_is_one_counted_drop(tmp_path):
    files = _files([str(tmp_path / "gone.warc.gz")], tmp_path)
    with beam_test_pipeline() as p:
        _ = p | ProcessFiles(files, [], {}, CAP, False, Keyer())
    assert read_counts(files[0].work) == {"read": {"files": 1, "records_in": 1, "dropped:read_unreadable_file": 1}}


class _Upper(Step):
    name = "upper"

    def process(self, doc):
        if not doc.text:
            return Drop("upper_empty")
        self.count("letters", len(doc.text))
        return Document(id=doc.id, text=doc.text.upper())


class _Batched(Step):
    name = "batched"

    def __init__(self):
        self.batches = []

    def process_batch(self, docs):
        self.batches.append(len(docs))
        return [d if d.id != "b" else Drop("batched_b") for d in docs]


def test_run_steps_counts_each_step_and_keeps_input_order():
    counts = Counter()

    def count(namespace, name, n=1):
        counts[(namespace, name)] += n

    batched = _Batched()
    chain = [(_Upper(), None), (batched, 2)]
    bind_steps(chain, count)
    docs = [Document(id=i, text=t) for i, t in (("a", "x"), ("b", "yy"), ("c", ""), ("d", "z"), ("e", "w"))]
    out = run_steps(docs, chain, count)
    assert [(d.id, d.text, s, r) for d, s, r in out] == [
        ("a", "X", None, None), ("b", "YY", "batched", "batched_b"), ("c", "", "upper", "upper_empty"),
        ("d", "Z", None, None), ("e", "W", None, None)]
    assert batched.batches == [2, 2]  # 4 documents reached it, in batches of at most 2
    assert counts == {("upper", "kept"): 4, ("upper", "dropped:upper_empty"): 1, ("upper", "letters"): 5,
                      ("batched", "kept"): 3, ("batched", "dropped:batched_b"): 1}
