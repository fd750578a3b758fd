"""Reading earlier corpora's dedup indexes back (``--dedup-against``): a semi-join on the new keys.

The new run's keys (a set that grows with the new input) are a side input, the earlier index rows
stream past it, and only rows that share a key go on to the dedup steps' shuffles. Memory
therefore grows with the new input, not with the earlier corpus. Which files to read, after
checking their settings, the launcher decides (:mod:`pipelines.dedup_against`); the index format
is :mod:`.index`.
"""
from __future__ import annotations

from typing import Iterable

import apache_beam as beam
import pyarrow.parquet as pq
from apache_beam.io.filesystem import CompressionTypes
from apache_beam.io.filesystems import FileSystems

from transforms.shuffle import measured


class ReadIndexFn(beam.DoFn):
    """An index file -> its rows (only ``columns``), a batch of 4,096 at a time."""

    def __init__(self, columns: list[str]):
        self.columns = list(columns)

    def process(self, path: str):
        with FileSystems.open(path, compression_type=CompressionTypes.UNCOMPRESSED) as f:
            for batch in pq.ParquetFile(f).iter_batches(batch_size=4096, columns=self.columns):
                yield from batch.to_pylist()


class ReadPrevious(beam.PTransform):
    """Index files of earlier corpora -> their rows (dicts of ``columns`` of :data:`SCHEMA`)."""

    def __init__(self, files: list[str], columns: list[str]):
        super().__init__()
        self.files, self.columns = sorted(files), list(columns)

    def expand(self, pbegin):
        files = pbegin | "IndexFiles" >> beam.Create(self.files, reshuffle=False)
        return (measured(files, "SpreadIndex")
                | "SpreadIndex" >> beam.Reshuffle()
                | "ReadIndex" >> beam.ParDo(ReadIndexFn(self.columns)))


class MatchKeysFn(beam.DoFn):
    """Earlier index rows -> ``(key, value)`` for the keys the new run also has (a side input,
    turned into a set once per worker)."""

    def __init__(self, key_fn, value_fn):
        self.key_fn, self.value_fn = key_fn, value_fn
        self._keys = None

    def process(self, row, new_keys: Iterable[bytes]):
        if self._keys is None:
            self._keys = set(new_keys)
        for key in self.key_fn(row):
            if key in self._keys:
                yield key, self.value_fn(row)


def match_previous(files: list[str], columns: list[str], new_keys, key_fn, value_fn, label: str):
    """``(key, value_fn(row))`` for every row of the earlier index ``files`` whose ``key_fn`` keys
    the new run shares.

    Each dedup step reads the index files itself, only the ``columns`` it needs, so the read is
    fused with the match: rows stream from Parquet past the new run's keys and only matches are
    kept. (One read shared by the three steps would be a collection with three consumers in
    different stages, which Beam's local runner holds whole in memory: the whole earlier index.)"""
    distinct = measured(new_keys, f"{label}Distinct") | f"{label}Distinct" >> beam.Distinct()
    matched = (beam.pvalue.PBegin(new_keys.pipeline)
               | f"{label}Read" >> ReadPrevious(files, ["id", *columns])
               | f"{label}Match" >> beam.ParDo(MatchKeysFn(key_fn, value_fn), beam.pvalue.AsIter(distinct)))
    # a stage boundary: Beam's local runner cannot fuse a side-input consumer into the Flatten
    # that also takes the side input's own upstream
    return measured(matched, f"{label}Settle") | f"{label}Settle" >> beam.Reshuffle()
