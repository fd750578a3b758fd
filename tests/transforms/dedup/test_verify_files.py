"""The Jaccard check on shingle hashes read from the work files (transforms/dedup/verify_files.py):
the same MinHash decisions and counts as the check on hashes carried in the key records, on real
English and Chinese texts spread over two work files of several row groups each."""
from __future__ import annotations

import glob
import json

import apache_beam as beam
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from apache_beam.metrics.metric import MetricsFilter
from apache_beam.testing import test_pipeline
from apache_beam.testing.util import assert_that, equal_to

from transforms.dedup.keys import LOC, key_record, previous_node
from transforms.dedup.minhash_dedup import MinHashDedup
from transforms.dedup.verify_files import PreviousInWorkFiles, read_shingles

from tests.transforms.dedup.corpus import EN, ZH, doc, edit_chars, edit_words, texts


def _hashes(*values: int) -> bytes:
    return np.array(sorted(set(values)), dtype="<u4").tobytes()


def _write(path, shingles: list[bytes | None], row_group_rows: int) -> str:
    table = pa.table({"id": [f"r{i}" for i in range(len(shingles))], "k_shingles": pa.array(shingles, pa.binary())})
    pq.write_table(table, str(path), row_group_size=row_group_rows)
    return str(path)


def test_read_shingles_reads_the_asked_rows_across_row_groups(tmp_path):
    values = [_hashes(i, i + 1) for i in range(7)]
    values[5] = None
    path = _write(tmp_path / "w.parquet", values, row_group_rows=3)
    assert pq.ParquetFile(path).metadata.num_row_groups == 3
    assert read_shingles(path, [6, 0, 4, 4, 5]) == {0: values[0], 4: values[4], 5: None, 6: values[6]}
    assert read_shingles(path, []) == {}


def _records(shared_data, step: MinHashDedup, tmp_path) -> tuple[list[dict], list[str]]:
    """Key records of near and exact copies, unrelated texts and one without shingles, their rows
    alternating between two work files (row groups of 2 rows): with their shingle hashes (the
    documents' path) and the work files holding them."""
    en, zh = texts(shared_data, EN, 4), texts(shared_data, ZH, 2)
    docs = [doc("en0", en[0]), doc("en0b", edit_words(en[0], 100)), doc("en0a", en[0]),
            doc("en1", edit_words(en[1], 120)), doc("en1c", en[1]), doc("en1d", edit_words(en[1], 90)),
            doc("en2", en[2]), doc("en3", edit_words(en[3], 3)), doc("en3o", en[3]),
            doc("zh0", zh[0]), doc("zh0b", edit_chars(zh[0], 120)), doc("zh1", zh[1]), doc("empty", " ... ")]
    keyer = step.keyer()
    keyer.setup()
    records, files = [], [[], []]
    for i, (d, keys) in enumerate(zip(docs, keyer.keys(docs))):
        work = i % 2
        records.append(key_record({"id": d.id, "url": d.url, "warc_file": d.warc_file, **keys}, (work, len(files[work]))))
        files[work].append(keys["k_shingles"])
    paths = [_write(tmp_path / f"work-{w}.parquet", files[w], row_group_rows=2) for w in (0, 1)]
    return records, paths


def _decide(records: list[dict], step: MinHashDedup, out: str) -> tuple[list, dict]:
    p = test_pipeline.TestPipeline(runner="FnApiRunner")
    _ = (step.decide(p | beam.Create(records))
         | beam.MapTuple(lambda doc_id, d: json.dumps([doc_id, d.drop, list(d.values)]))
         | beam.io.WriteToText(out))
    result = p.run()
    result.wait_until_finish()
    counters = {c.key.metric.name: c.committed
                for c in result.metrics().query(MetricsFilter().with_namespace("minhash_dedup"))["counters"]}
    return sorted(line for path in glob.glob(out + "*") for line in open(path)), counters


def test_same_decisions_as_hashes_in_the_key_records(shared_data, tmp_path):
    records, paths = _records(shared_data, MinHashDedup(max_rounds=4), tmp_path)
    carried, carried_counts = _decide(records, MinHashDedup(max_rounds=4), str(tmp_path / "carried"))
    without = [{k: v for k, v in r.items() if k != "k_shingles"} for r in records]
    in_files, file_counts = _decide(without, MinHashDedup(max_rounds=4).with_work_files(paths), str(tmp_path / "files"))
    assert in_files == carried
    dropped = {doc_id for doc_id, drop, _ in map(json.loads, in_files) if drop}
    assert dropped == {"en0a", "en0b", "en1c", "en1d", "zh0b"}
    assert file_counts["candidate_pairs_checked"] == carried_counts["candidate_pairs_checked"] > 0
    assert file_counts.get("candidates_below_threshold", 0) == carried_counts.get("candidates_below_threshold", 0)
    assert all(LOC in r and r[LOC][0] in (0, 1) for r in without)


def test_previous_corpus_pairs_checked_on_the_new_documents_work_file(tmp_path):
    near, far = _hashes(*range(100)), _hashes(*range(1000, 1100))
    close = _hashes(*range(95))  # J = 0.95 with `near`
    path = _write(tmp_path / "work-0.parquet", [near, far], row_group_rows=1)
    buckets = [(b"k1", [("a", (0, 0)), (previous_node("old"), close), ("b", (0, 1))]),
               (b"k2", [("a", (0, 0)), (previous_node("old"), close)]),  # the same pair in another band
               (b"k3", [("a", (0, 0)), ("b", (0, 1))])]  # no earlier document: nothing to check here
    with test_pipeline.TestPipeline(runner="FnApiRunner") as p:
        edges = p | beam.Create(buckets) | PreviousInWorkFiles([path], threshold=0.8)
        assert_that(edges, equal_to([("a", previous_node("old"))]))
