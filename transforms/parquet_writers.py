"""Writing Parquet: shards per input file (rolled by size), the global repartition, the rejects.

By default nothing groups documents: the second per-file pass (:mod:`transforms.process_files`)
writes each input file's kept documents to ``data/<lang>/part-IIIII-RRRR.parquet`` (input file
``I`` in sorted order, roll ``R`` of at most ``max_shard_chars`` characters of text), and the
launcher names them ``train-SSSSS-of-NNNNN.parquet`` in that order once every file is written
(:func:`number_shards`): the same input gives the same files, byte for byte, whatever the workers.
With ``output.num_shards`` N > 1 the documents are instead repartitioned by a hash of their id
into N shards (:class:`WriteShards`, sorted by id): the run's one shuffle of documents.
"""
from __future__ import annotations

import hashlib
from typing import Any

import apache_beam as beam
import pyarrow as pa
import pyarrow.parquet as pq
from apache_beam.io.filesystem import CompressionTypes
from apache_beam.io.filesystems import FileSystems

from transforms.pause import pause_point  # a test hook (SIGKILL tests)
from transforms.shuffle import measured

OUTPUT_NAMESPACE = "output"
UNDETERMINED = "und"


def shard_of(doc_id: str, num_shards: int) -> int:
    """The shard a document goes to: a hash of its id, so the same documents always share a shard."""
    return int.from_bytes(hashlib.sha1(doc_id.encode("utf-8")).digest()[:8], "big") % num_shards


def write_table(path: str, rows: list[dict[str, Any]], schema: pa.Schema, row_group_rows: int) -> None:
    with FileSystems.create(path, compression_type=CompressionTypes.UNCOMPRESSED) as f:
        pq.write_table(pa.Table.from_pylist(rows, schema=schema), f, compression="zstd",
                       row_group_size=row_group_rows)


class RollingWriter:
    """Rows of one input file for one folder -> ``<prefix>-RRRR.parquet`` files of at most
    ``max_chars`` characters of text each (at least one row), written one row group at a time.
    Nothing is written for no rows."""

    def __init__(self, prefix: str, schema: pa.Schema, max_chars: int, row_group_rows: int):
        self.prefix, self.schema = prefix, schema
        self.max_chars, self.row_group_rows = max_chars, row_group_rows
        self.rolls, self.paths = 0, []
        self._file = self._writer = None
        self._rows: list[dict[str, Any]] = []
        self._chars = 0

    def write(self, row: dict[str, Any]) -> None:
        size = len(row.get("text") or "")
        if self._writer is not None and self._chars + size > self.max_chars:
            self._close()
        if self._writer is None:
            path = f"{self.prefix}-{self.rolls:04d}.parquet"
            self.rolls += 1
            self.paths.append(path)
            self._file = FileSystems.create(path, compression_type=CompressionTypes.UNCOMPRESSED)
            self._writer = pq.ParquetWriter(self._file, self.schema, compression="zstd")
            self._chars = 0
        self._rows.append(row)
        self._chars += size
        if len(self._rows) >= self.row_group_rows:
            self._flush()

    def _flush(self) -> None:
        if self._rows:
            self._writer.write_table(pa.Table.from_pylist(self._rows, schema=self.schema))
            self._rows = []

    def _close(self) -> None:
        self._flush()
        self._writer.close()
        self._file.close()
        self._file = self._writer = None

    def close(self) -> list[str]:
        if self._writer is not None:
            self._close()
        return self.paths


def part_prefix(output: str, lang: str, file_index: int) -> str:
    return FileSystems.join(output, "data", lang, f"part-{file_index:05d}")


def number_shards(output: str) -> None:
    """Rename every ``data/<lang>/part-*.parquet`` to ``train-SSSSS-of-NNNNN.parquet``, numbered per
    language in name order (input file, then roll). Run by the launcher after the pipeline."""
    matched = FileSystems.match([FileSystems.join(output, "data", "*", "part-*.parquet")])[0].metadata_list
    by_lang: dict[str, list[str]] = {}
    for m in matched:
        by_lang.setdefault(m.path.rstrip("/").rsplit("/", 2)[-2], []).append(m.path)
    for lang, paths in sorted(by_lang.items()):
        paths.sort()
        names = [FileSystems.join(output, "data", lang, f"train-{i:05d}-of-{len(paths):05d}.parquet")
                 for i in range(len(paths))]
        FileSystems.rename(paths, names)


class WriteShardFn(beam.DoFn):
    """``((lang, shard), rows)`` -> one Parquet file, rows sorted by id: the same documents give the
    same bytes whatever the order they arrived in. Holds one shard's rows (a few hundred MB at the
    recommended shard size)."""

    def __init__(self, output: str, schema: pa.Schema, num_shards: int, row_group_rows: int):
        self.output, self.schema = output, schema
        self.num_shards, self.row_group_rows = num_shards, row_group_rows

    def process(self, element):
        (lang, shard), rows = element
        rows = sorted(rows, key=lambda r: r["id"])
        path = FileSystems.join(self.output, "data", lang, f"train-{shard:05d}-of-{self.num_shards:05d}.parquet")
        write_table(path, rows, self.schema, self.row_group_rows)
        pause_point("write")
        yield path


class WriteShards(beam.PTransform):
    """``((lang, shard), row)`` -> ``DIR/data/<lang>/train-SSSSS-of-NNNNN.parquet`` (zstd): the
    global repartition of ``output.num_shards`` N > 1, a document's shard a hash of its id
    (:func:`shard_of`), each shard sorted by id, so a rerun writes the same files byte for byte. A
    shard no document falls into is not written. This is a shuffle of whole documents: the rows
    cross it once (the default layout, one set of shards per input file, needs none)."""

    def __init__(self, output: str, schema: pa.Schema, num_shards: int, row_group_rows: int = 10000):
        super().__init__()
        self.output, self.schema = output.rstrip("/"), schema
        self.num_shards, self.row_group_rows = num_shards, row_group_rows

    def expand(self, rows):
        return (measured(rows, "GroupShards")
                | "GroupShards" >> beam.GroupByKey()
                | "Write" >> beam.ParDo(WriteShardFn(self.output, self.schema, self.num_shards,
                                                     self.row_group_rows)))
