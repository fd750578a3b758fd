"""The second per-file pass: a work file and its verdicts -> shards, index rows, rejects, counts.

Each work file (:mod:`transforms.process_files`) is read again, once, with the dedup verdicts of its
documents (grouped by work file: ``(row, step, Decision)``, a few bytes each). Every kept document
goes through record dedup's and the dedup steps' :class:`~transforms.dedup.decisions.DecisionStep`
(their verdicts, columns and counts) and then through every per-document step configured after
dedup (decontaminate, score, score_filter, ...), with :func:`transforms.keep_or_drop.run_steps`. The pass
writes the file's shards (:class:`transforms.parquet_writers.RollingWriter`, or rows for the global
repartition), its dedup index file (:mod:`transforms.dedup.index`), its rejects with
``--write-rejected``, and its counts (``_work/counts/<file>.json``, overwritten on a retry);
it emits each drop's sample (:func:`transforms.drop_samples.drop_sample`) for the report.
"""
from __future__ import annotations

import dataclasses
from typing import Any, Mapping

import apache_beam as beam
import pyarrow as pa
import pyarrow.parquet as pq
from apache_beam.io.filesystems import FileSystems

from transforms.dedup.decisions import DECISION_KEY
from transforms.dedup.index import index_path, index_row, write_index_file
from transforms.dedup.keys import KEY_COLUMNS
from transforms.dedup.record_dedup import NAME as RECORD_DEDUP
from transforms.document import Document, parquet_schema, to_row
from transforms.drop_samples import drop_sample
from transforms.keep_or_drop import ChainStep, run_steps
from transforms.parquet_writers import OUTPUT_NAMESPACE, UNDETERMINED, RollingWriter, part_prefix, shard_of
from transforms.pause import pause_point
from transforms.process_files import BATCH_ROWS, FilePassFn, WorkFile, document, open_work, write_counts

SHARD_ROWS = "shard_rows"


@dataclasses.dataclass
class OutputSettings:
    """What the second pass writes, and where (``output``: the run's staging folder)."""

    output: str
    languages: list[str]
    columns: Mapping[str, pa.DataType]
    num_files: int
    num_shards: int = 1
    row_group_rows: int = 10000
    max_shard_chars: int = 1 << 30
    write_rejected: bool = False
    # the global steps' names as they ran: which keys an index row records
    order: tuple[str, ...] = ()


class RejectsWriter:
    """One input file's rejected rows -> one Parquet file at ``path``, written :data:`BATCH_ROWS`
    rows at a time (a file's rejects are never all held); nothing is written for no rows."""

    def __init__(self, path: str, schema: pa.Schema):
        self.path, self.schema = path, schema
        self._rows: list[dict[str, Any]] = []
        self._file = self._writer = None

    def write(self, row: dict[str, Any]) -> None:
        self._rows.append(row)
        if len(self._rows) >= BATCH_ROWS:
            self._flush()

    def _flush(self) -> None:
        if not self._rows:
            return
        if self._writer is None:
            self._file = FileSystems.create(self.path)
            self._writer = pq.ParquetWriter(self._file, self.schema, compression="zstd")
        self._writer.write_table(pa.Table.from_pylist(self._rows, schema=self.schema))
        self._rows = []

    def close(self) -> None:
        self._flush()
        if self._writer is not None:
            self._writer.close()
            self._file.close()
            self._file = self._writer = None


class FinishFileFn(FilePassFn):
    """``(index, {"file": [WorkFile], "verdicts": [(row, step, Decision)]})`` -> drop samples,
    and ``((lang, shard), row)`` on ``shard_rows`` for ``num_shards`` > 1."""

    def __init__(self, steps: list[ChainStep], settings: OutputSettings, progress=None):
        super().__init__(steps, progress)
        self.settings = settings

    def setup(self):
        super().setup()
        s = self.settings
        self.schema = parquet_schema(s.columns)
        self.rejected_schema = parquet_schema(s.columns, rejected=True)
        self.languages = set(s.languages)

    def process(self, element):
        _, grouped = element
        (work,) = grouped["file"]
        verdicts: dict[int, dict[str, Any]] = {}
        for row, step, decision in grouped["verdicts"]:
            verdicts.setdefault(row, {})[step] = decision
        counts = self.new_counts()
        s = self.settings
        self._writers: dict[str, RollingWriter] = {}
        self._rejected = RejectsWriter(FileSystems.join(
            s.output, "rejected", f"rejected-{work.index:05d}-of-{s.num_files:05d}.parquet"), self.rejected_schema)
        index_rows: list[dict[str, Any]] = []
        row_number = 0
        with open_work(work.work) as f:
            for batch in pq.ParquetFile(f).iter_batches(batch_size=BATCH_ROWS):
                docs, keys = [], []
                for row in batch.to_pylist():
                    step, reason = row.pop("step"), row.pop("reason")
                    key = {name: row.pop(name) for name in KEY_COLUMNS}
                    doc = document(row)
                    if reason is not None:  # dropped in the first pass (counted there)
                        yield from self._drop(doc, step, reason)
                    else:
                        decisions = verdicts.get(row_number)
                        if decisions:
                            doc = dataclasses.replace(doc, extra={**doc.extra, DECISION_KEY: decisions})
                        docs.append(doc)
                        keys.append(key)
                    row_number += 1
                for (doc, step, reason), key in zip(run_steps(docs, self.steps, counts), keys):
                    if step != RECORD_DEDUP:  # it reached the dedup steps: the index has it
                        entry = index_row(doc.id, key, doc.extra, list(s.order), (step, reason) if step else None)
                        if entry is not None:
                            index_rows.append(entry)
                    if reason is None:
                        yield from self._keep(doc, counts, work)
                    else:
                        yield from self._drop(doc, step, reason)
        written = [p for w in self._writers.values() for p in w.close()]
        write_index_file(index_path(s.output, work.index, s.num_files), index_rows)
        self._rejected.close()
        write_counts(work.counts, counts.plain())
        if written:
            pause_point("write")

    def _keep(self, doc: Document, counts, work: WorkFile):
        s = self.settings
        lang = doc.lang if doc.lang in self.languages else UNDETERMINED
        counts(OUTPUT_NAMESPACE, "kept")
        counts(OUTPUT_NAMESPACE, f"lang:{lang}")
        row = to_row(doc, self.schema)
        if s.num_shards > 1:
            yield beam.pvalue.TaggedOutput(SHARD_ROWS, ((lang, shard_of(doc.id, s.num_shards)), row))
            return
        writer = self._writers.get(lang)
        if writer is None:
            writer = self._writers[lang] = RollingWriter(part_prefix(s.output, lang, work.index), self.schema,
                                                         s.max_shard_chars, s.row_group_rows)
        writer.write(row)

    def _drop(self, doc: Document, step: str, reason: str):
        if self.settings.write_rejected:
            row = to_row(doc, self.rejected_schema)
            row["step"], row["reason"] = step, reason
            self._rejected.write(row)
        yield drop_sample(step, reason, doc)
