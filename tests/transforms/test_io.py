"""Output: Parquet shards per language with the shared schema, zstd, and the rejects table."""
from __future__ import annotations

import datetime as dt
import json

import apache_beam as beam
import pyarrow as pa
import pyarrow.parquet as pq

from tests.conftest import beam_test_pipeline, step_counters
from transforms.document import Document, parquet_schema
from transforms.io import WriteRejected, WriteShards, shard_of
from transforms.step import Rejected

DATE = dt.datetime(2024, 5, 1, 12, 0, tzinfo=dt.timezone.utc)


def _docs(shared_data):
    zh = sorted((shared_data / "html/zh_content_extraction").iterdir())[:3]
    peps = (shared_data / "eval/en_domains/en_tech_python_peps_2023plus.jsonl").read_text(encoding="utf-8")
    docs = [Document(id=f"zh{i}", text=(p / "cleaned.txt").read_text(encoding="utf-8"), lang="zh",
                     lang_score=0.99, url=f"http://zh.example/{i}", domain="zh.example", warc_date=DATE,
                     extra={"quality": 0.5 + i / 10}) for i, p in enumerate(zh)]
    docs += [Document(id=f"en{i}", text=json.loads(line)["text"], lang="en", lang_score=0.9, title=f"PEP {i}")
             for i, line in enumerate(peps.splitlines()[:4])]
    docs.append(Document(id="fr0", text="Un texte en français, sans langue configurée.", lang="fr"))
    return docs


def test_shards_per_language_with_shared_schema_and_zstd(shared_data, tmp_path):
    docs = _docs(shared_data)
    p = beam_test_pipeline()
    _ = (p | beam.Create(docs)
         | WriteShards(str(tmp_path), ["zh", "en"], {"quality": pa.float32()}, num_shards=2))
    result = p.run()
    result.wait_until_finish()
    expected_schema = parquet_schema({"quality": pa.float32()})
    for lang, ids in (("zh", {"zh0", "zh1", "zh2"}), ("en", {"en0", "en1", "en2", "en3"}), ("und", {"fr0"})):
        files = sorted((tmp_path / "data" / lang).glob("*.parquet"))
        # a document's shard is a hash of its id; a shard no document falls into is not written
        expected = {f"train-{shard_of(i, 2):05d}-of-00002.parquet" for i in ids}
        assert [f.name for f in files] == sorted(expected)
        rows = []
        for f in files:
            meta = pq.ParquetFile(f)
            assert meta.schema_arrow.remove_metadata() == expected_schema
            assert meta.metadata.row_group(0).column(0).compression == "ZSTD"
            shard_rows = pq.read_table(f).to_pylist()
            assert [r["id"] for r in shard_rows] == sorted(r["id"] for r in shard_rows)  # sorted by id
            assert {f"train-{shard_of(r['id'], 2):05d}-of-00002.parquet" for r in shard_rows} == {f.name}
            rows += shard_rows
        assert {r["id"] for r in rows} == ids
    zh_rows = pq.read_table(tmp_path / "data/zh").to_pylist()
    assert all(r["warc_date"] == DATE and r["quality"] is not None for r in zh_rows)
    en_rows = pq.read_table(tmp_path / "data/en").to_pylist()
    assert all(r["quality"] is None and r["title"].startswith("PEP") for r in en_rows)
    counters = step_counters(result, "output")  # summed over the per-language writers
    assert counters == {"kept": 8, "lang:zh": 3, "lang:en": 4, "lang:und": 1}


def test_rejects_table_has_step_and_reason(shared_data, tmp_path):
    docs = _docs(shared_data)[:3]
    rejected = [Rejected("langid", "langid_low_score", docs[0]), Rejected("extract", "extract_empty", docs[1]),
                Rejected("read", "read_corrupt", Document(id="f.warc.gz#3", warc_file="f.warc.gz"))]
    with beam_test_pipeline() as p:
        _ = p | beam.Create(rejected) | WriteRejected(str(tmp_path), {"quality": pa.float32()})
    rows = pq.read_table(tmp_path / "rejected").to_pylist()
    assert sorted((r["id"], r["step"], r["reason"]) for r in rows) == [
        ("f.warc.gz#3", "read", "read_corrupt"), ("zh0", "langid", "langid_low_score"),
        ("zh1", "extract", "extract_empty")]
    assert pq.read_schema(next((tmp_path / "rejected").glob("*.parquet"))).names[-2:] == ["step", "reason"]
