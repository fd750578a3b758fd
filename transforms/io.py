"""Beam I/O: reading input files into documents, writing Parquet shards and the rejects table."""
from __future__ import annotations

import hashlib
import os
from typing import Iterable, Mapping

import apache_beam as beam
import pyarrow as pa
import pyarrow.parquet as pq
from apache_beam.io.filesystem import CompressionTypes
from apache_beam.io.filesystems import FileSystems
from apache_beam.io.parquetio import WriteToParquet
from apache_beam.metrics import Metrics

from transforms.apply import REJECTED, StepCounters
from transforms.document import Document, parquet_schema, to_row
from transforms.read import read_file
from transforms.step import Drop, Rejected

READ_NAMESPACE = "read"
OUTPUT_NAMESPACE = "output"
UNDETERMINED = "und"


class ReadFileFn(beam.DoFn):
    """File path -> one Document or Rejected per record. Counts ``read/records_in``."""

    def __init__(self, max_record_bytes: int):
        self.max_record_bytes = max_record_bytes

    def setup(self):
        self.counters = StepCounters(READ_NAMESPACE)
        self.records_in = Metrics.counter(READ_NAMESPACE, "records_in")
        self.files = Metrics.counter(READ_NAMESPACE, "files")

    def process(self, path: str):
        self.files.inc()
        try:
            # The readers detect compression from the bytes (gzip, LZ4, zstd), member by member.
            stream = FileSystems.open(path, compression_type=CompressionTypes.UNCOMPRESSED)
        except Exception:  # noqa: BLE001 - vanished or unreadable file: one counted drop
            self.records_in.inc()
            self.counters.drop("read_unreadable_file")
            placeholder = Document(id=path, warc_file=os.path.basename(path))
            yield beam.pvalue.TaggedOutput(REJECTED, Rejected(READ_NAMESPACE, "read_unreadable_file", placeholder))
            return
        with stream:
            for ordinal, verdict in enumerate(read_file(stream, path, self.max_record_bytes)):
                self.records_in.inc()
                if isinstance(verdict, Drop):
                    self.counters.drop(verdict.reason)
                    placeholder = Document(id=f"{path}#{ordinal}", warc_file=os.path.basename(path))
                    yield beam.pvalue.TaggedOutput(REJECTED, Rejected(READ_NAMESPACE, verdict.reason, placeholder))
                else:
                    self.counters.kept.inc()
                    yield verdict


class ReadInputs(beam.PTransform):
    """File paths (already matched) -> ``{"kept": documents, "rejected": Rejected}``.

    The paths are reshuffled first so that files, not records, spread over workers; the reading
    and every per-document step after it then fuse into one streaming stage.
    """

    def __init__(self, paths: Iterable[str], max_record_bytes: int):
        super().__init__()
        self.paths = sorted(paths)
        self.max_record_bytes = max_record_bytes

    def expand(self, pbegin):
        outs = (
            pbegin
            | "Paths" >> beam.Create(self.paths)
            | "SpreadFiles" >> beam.Reshuffle()
            | "ReadRecords" >> beam.ParDo(ReadFileFn(self.max_record_bytes)).with_outputs(REJECTED, main="kept")
        )
        return {"kept": outs.kept, "rejected": outs[REJECTED]}


class _ToRowFn(beam.DoFn):
    """Counts ``output/kept`` and ``output/lang:<lang>`` as documents are written."""

    def __init__(self, schema: pa.Schema, lang: str):
        self.schema = schema
        self.lang = lang

    def setup(self):
        self.kept = Metrics.counter(OUTPUT_NAMESPACE, "kept")
        self.per_lang = Metrics.counter(OUTPUT_NAMESPACE, f"lang:{self.lang}")

    def process(self, doc: Document):
        self.kept.inc()
        self.per_lang.inc()
        yield to_row(doc, self.schema)


def shard_of(doc_id: str, num_shards: int) -> int:
    """The shard a document goes to: a hash of its id, so the same documents always share a shard."""
    return int.from_bytes(hashlib.sha1(doc_id.encode("utf-8")).digest()[:8], "big") % num_shards


class WriteShardFn(beam.DoFn):
    """``((lang, shard), rows)`` -> one Parquet file, rows sorted by id: the same documents give the
    same bytes whatever the order they arrived in. Holds one shard's rows (a few hundred MB at the
    recommended shard size; Beam's own sharded write groups by shard the same way)."""

    def __init__(self, output: str, schema: pa.Schema, num_shards: int, row_group_rows: int):
        self.output, self.schema = output, schema
        self.num_shards, self.row_group_rows = num_shards, row_group_rows

    def process(self, element):
        from transforms.work_files import pause_point  # a test hook (SIGKILL tests)

        (lang, shard), rows = element
        rows = sorted(rows, key=lambda r: r["id"])
        path = FileSystems.join(self.output, "data", lang, f"train-{shard:05d}-of-{self.num_shards:05d}.parquet")
        table = pa.Table.from_pylist(rows, schema=self.schema)
        with FileSystems.create(path, compression_type=CompressionTypes.UNCOMPRESSED) as f:
            pq.write_table(table, f, compression="zstd", row_group_size=self.row_group_rows)
        pause_point("write")
        yield path


class WriteShards(beam.PTransform):
    """Documents -> ``DIR/data/<lang>/train-SSSSS-of-NNNNN.parquet`` (zstd), one writer per language.

    With ``num_shards`` N > 0 a document's shard is a hash of its id and each shard is sorted by id
    (:class:`WriteShardFn`): a rerun or a resumed run writes the same files byte for byte; a shard no
    document falls into is not written. With 0, Beam's writer makes one file per bundle (no grouping
    step, least memory; the split then depends on the runner). Documents whose language is not
    among ``languages`` go to ``und``. Counts ``output/kept``.
    """

    def __init__(self, output: str, languages: list[str], extra_columns: Mapping[str, pa.DataType],
                 num_shards: int = 1, row_group_rows: int = 10000):
        super().__init__()
        self.output = output.rstrip("/")
        self.languages = list(dict.fromkeys([*languages, UNDETERMINED]))
        self.schema = parquet_schema(extra_columns)
        self.num_shards = num_shards
        self.row_group_rows = row_group_rows

    def expand(self, docs):
        index = {lang: i for i, lang in enumerate(self.languages)}
        und = index[UNDETERMINED]
        parts = docs | "ByLanguage" >> beam.Partition(lambda d, n: index.get(d.lang, und), len(self.languages))
        results = []
        for lang, part in zip(self.languages, parts):
            rows = part | f"ToRows_{lang}" >> beam.ParDo(_ToRowFn(self.schema, lang))
            if self.num_shards > 0:
                n = self.num_shards
                results.append(rows
                               | f"Shard_{lang}" >> beam.Map(lambda r, lang=lang: ((lang, shard_of(r["id"], n)), r))
                               | f"GroupShards_{lang}" >> beam.GroupByKey()
                               | f"Write_{lang}" >> beam.ParDo(
                                   WriteShardFn(self.output, self.schema, n, self.row_group_rows)))
                continue
            results.append(rows | f"Write_{lang}" >> WriteToParquet(
                file_path_prefix=FileSystems.join(self.output, "data", lang, "train"),
                schema=self.schema,
                codec="zstd",
                file_name_suffix=".parquet",
                shard_name_template="-SSSSS-of-NNNNN",
                num_shards=0,
                row_group_buffer_size=64 * 1024 * 1024,
                record_batch_size=min(self.row_group_rows, 1000),
            ))
        return results


class _RejectedRowFn(beam.DoFn):
    def __init__(self, schema: pa.Schema):
        self.schema = schema

    def process(self, rejected: Rejected):
        row = to_row(rejected.doc, self.schema)
        row["step"], row["reason"] = rejected.step, rejected.reason
        yield row


class WriteRejected(beam.PTransform):
    """Rejected records -> ``DIR/rejected/rejected-SSSSS-of-NNNNN.parquet`` with ``step``/``reason``."""

    def __init__(self, output: str, extra_columns: Mapping[str, pa.DataType], num_shards: int = 1):
        super().__init__()
        self.output = output.rstrip("/")
        self.schema = parquet_schema(extra_columns, rejected=True)
        self.num_shards = num_shards

    def expand(self, rejected):
        return (
            rejected
            | "ToRows" >> beam.ParDo(_RejectedRowFn(self.schema))
            | "Write" >> WriteToParquet(
                file_path_prefix=FileSystems.join(self.output, "rejected", "rejected"),
                schema=self.schema, codec="zstd", file_name_suffix=".parquet",
                shard_name_template="-SSSSS-of-NNNNN", num_shards=self.num_shards)
        )
