"""Output: Parquet shards per language with the shared schema, zstd: rolled per input file, or repartitioned."""
from __future__ import annotations

import datetime as dt
import json

import apache_beam as beam
import pyarrow as pa
import pyarrow.parquet as pq

from tests.conftest import beam_test_pipeline
from transforms.document import Document, parquet_schema, to_row
from transforms.parquet_writers import RollingWriter, WriteShards, number_shards, part_prefix, shard_of

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


def test_global_repartition_shards_per_language_sorted_by_id_zstd(shared_data, tmp_path):
    docs = _docs(shared_data)
    schema = parquet_schema({"quality": pa.float32()})
    lang_of = {"zh": "zh", "en": "en"}
    rows = [((lang_of.get(d.lang, "und"), shard_of(d.id, 2)), to_row(d, schema)) for d in docs]
    with beam_test_pipeline() as p:
        _ = p | beam.Create(rows) | WriteShards(str(tmp_path), schema, num_shards=2)
    for lang, ids in (("zh", {"zh0", "zh1", "zh2"}), ("en", {"en0", "en1", "en2", "en3"}), ("und", {"fr0"})):
        files = sorted((tmp_path / "data" / lang).glob("*.parquet"))
        # a document's shard is a hash of its id; a shard no document falls into is not written
        assert [f.name for f in files] == sorted({f"train-{shard_of(i, 2):05d}-of-00002.parquet" for i in ids})
        got = []
        for f in files:
            meta = pq.ParquetFile(f)
            assert meta.schema_arrow.remove_metadata() == schema
            assert meta.metadata.row_group(0).column(0).compression == "ZSTD"
            shard_rows = pq.read_table(f).to_pylist()
            assert [r["id"] for r in shard_rows] == sorted(r["id"] for r in shard_rows)  # sorted by id
            got += shard_rows
        assert {r["id"] for r in got} == ids
    zh_rows = pq.read_table(tmp_path / "data/zh").to_pylist()
    assert all(r["warc_date"] == DATE and r["quality"] is not None for r in zh_rows)


def test_rolling_writer_rolls_by_text_size_and_numbering_is_by_file_then_roll(shared_data, tmp_path):
    docs = _docs(shared_data)
    schema = parquet_schema({})
    sizes = [len(d.text) for d in docs]
    limit = max(sizes) + 1  # every file holds at least one row and at most `limit` characters
    writers = [RollingWriter(part_prefix(str(tmp_path), "xx", i), schema, limit, row_group_rows=2) for i in (1, 0)]
    for n, doc in enumerate(docs):
        writers[n % 2].write(to_row(doc, schema))
    written = [p for w in writers for p in w.close()]
    assert len(written) > 2 and all(p.endswith(".parquet") for p in written)
    for path in written:
        texts = pq.read_table(path).column("text").to_pylist()
        assert texts and (len(texts) == 1 or sum(map(len, texts)) <= limit)
    by_file = {0: [d.id for d in docs[1::2]], 1: [d.id for d in docs[0::2]]}
    number_shards(str(tmp_path))
    names = sorted(p.name for p in (tmp_path / "data/xx").iterdir())
    assert names == [f"train-{i:05d}-of-{len(written):05d}.parquet" for i in range(len(written))]
    ids = [r["id"] for name in names for r in pq.read_table(tmp_path / "data/xx" / name).to_pylist()]
    assert ids == by_file[0] + by_file[1]  # input file 0's rows first, each file's in the order written
    assert RollingWriter(part_prefix(str(tmp_path), "yy", 0), schema, limit, 2).close() == []  # no rows, no file
