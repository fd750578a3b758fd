"""The per-input-file stage: read one file, run the per-document steps, write one work file.

A run's steps split in two. The leading per-document steps (read, URL filter, extraction,
language ID, heuristics: about 80% of the time, extraction alone most of it) only ever look at one
document, so they run per input file, inside one DoFn, and leave one Parquet file per input under
``DIR/_work/files/``, written under a temporary name and then renamed (through Beam's
FileSystems, so on object stores too). An input whose work file exists is skipped: a resumed run
redoes only the files that had not finished. The steps that need the whole collection (dedup,
and whatever follows it in the config) then run over the work files, from scratch on every
attempt; they are a small part of the time.

A work file holds the kept documents (with ``html`` while extraction has not run yet) and the
dropped ones with ``step``/``reason``: whole with ``--write-rejected``, else only their id, URL,
domain and first 200 characters (for the report's drop samples); the file's Parquet metadata
holds the counters of its records (``{namespace: {counter: n}}``), which the driver adds to the report.
The steps are called directly here rather than through :class:`~transforms.apply.ApplyStep`, with
the same counter names.
"""
from __future__ import annotations

import dataclasses
import functools
import json
import os
import sys
import time
import uuid
from collections import defaultdict
from typing import Any, Iterator, Mapping

import apache_beam as beam
import pyarrow as pa
import pyarrow.parquet as pq
from apache_beam.io.filesystem import CompressionTypes
from apache_beam.io.filesystems import FileSystems
from apache_beam.metrics import Metrics

from transforms.apply import REJECTED
from transforms.document import Document, from_row, parquet_schema, to_row
from transforms.drop_samples import slim
from transforms.read import read_file
from transforms.step import Drop, Rejected, Step

COUNTS_KEY = b"skypile_counts"
READ = "read"
WORK_FIELDS = (pa.field("html", pa.binary()), pa.field("charset_hint", pa.string()),
               pa.field("step", pa.string()), pa.field("reason", pa.string()))
BATCH_ROWS = 256
# Test hook: a process started with this set to a pause point stops there, so that a test can
# SIGKILL it at a known moment. Points: file_written, global, write (a staged shard), commit.
PAUSE_ENV = "SKYPILE_PAUSE_AT"


def pause_point(name: str) -> None:
    if os.environ.get(PAUSE_ENV) == name:
        print(f"skypile: paused at {name}", file=sys.stderr, flush=True)
        time.sleep(3600)


def work_schema(columns: Mapping[str, pa.DataType]) -> pa.Schema:
    schema = parquet_schema(columns)
    for field in WORK_FIELDS:
        schema = schema.append(field)
    return schema


def process_records(records: Iterator[Any], path: str, steps: list[Step],
                    counts: dict[str, dict[str, int]]) -> Iterator[tuple[Document, str | None, str | None]]:
    """``(document, step, reason)`` per record: reason None for a kept one. Counts as
    :class:`~transforms.apply.ApplyStepFn` does (``kept`` / ``dropped:<reason>`` per step)."""
    def drop(namespace: str, reason: str) -> None:
        counts[namespace][f"dropped:{reason}"] += 1

    for ordinal, verdict in enumerate(records):
        counts[READ]["records_in"] += 1
        if isinstance(verdict, Drop):
            drop(READ, verdict.reason)
            yield Document(id=f"{path}#{ordinal}", warc_file=os.path.basename(path)), READ, verdict.reason
            continue
        counts[READ]["kept"] += 1
        doc = verdict
        for step in steps:
            result = step.process(doc)
            if isinstance(result, Drop):
                drop(step.name, result.reason)
                yield result.rejected_doc(doc), step.name, result.reason
                break
            counts[step.name]["kept"] += 1
            doc = result
        else:
            yield doc, None, None


class ProcessFileFn(beam.DoFn):
    """``(input path, work path)`` -> the work path, after writing it unless it already exists."""

    def __init__(self, steps: list[Step], columns: Mapping[str, pa.DataType], max_record_bytes: int,
                 keep_rejected: bool):
        self.steps, self.columns = steps, dict(columns)
        self.max_record_bytes, self.keep_rejected = max_record_bytes, keep_rejected

    def setup(self):
        self.counts: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        for step in self.steps:
            # Steps' own counts (e.g. heuristics' lines_removed:<rule>) go into the work file too,
            # or a skipped file's counts would be missing from a resumed run's report.
            step.bind_counter(functools.partial(self._count, step.name))
            step.setup()
        self.schema = work_schema(self.columns)
        self.done = Metrics.counter("work", "files_done")
        self.skipped = Metrics.counter("work", "files_skipped")

    def _count(self, namespace: str, name: str, n: int = 1) -> None:
        self.counts[namespace][name] += n

    def process(self, element):
        path, work_path = element
        if FileSystems.exists(work_path):
            self.skipped.inc()
            yield work_path
            return
        counts = self.counts = defaultdict(lambda: defaultdict(int))
        counts[READ]["files"] += 1
        tmp = f"{work_path}.tmp-{uuid.uuid4().hex[:12]}"
        with FileSystems.create(tmp, compression_type=CompressionTypes.UNCOMPRESSED) as sink:
            writer = pq.ParquetWriter(sink, self.schema, compression="zstd")
            try:
                stream = FileSystems.open(path, compression_type=CompressionTypes.UNCOMPRESSED)
            except Exception:  # noqa: BLE001 - vanished or unreadable file: one counted drop
                stream = None
            if stream is None:
                counts[READ]["records_in"] += 1
                counts[READ]["dropped:read_unreadable_file"] += 1
                rows = [self._row(Document(id=path), READ, "read_unreadable_file")]
            else:
                with stream:
                    rows = []
                    for doc, step, reason in process_records(read_file(stream, path, self.max_record_bytes),
                                                             path, self.steps, counts):
                        if reason is None or self.keep_rejected:
                            rows.append(self._row(doc, step, reason))
                        else:  # what the report's drop samples need (transforms/drop_samples.py)
                            rows.append(self._row(slim(doc), step, reason))
                        if len(rows) >= BATCH_ROWS:
                            writer.write_table(pa.Table.from_pylist(rows, schema=self.schema))
                            rows = []
            if rows:
                writer.write_table(pa.Table.from_pylist(rows, schema=self.schema))
            plain = {ns: dict(sorted(c.items())) for ns, c in sorted(counts.items())}
            writer.add_key_value_metadata({COUNTS_KEY: json.dumps(plain).encode("utf-8")})
            writer.close()
        FileSystems.rename([tmp], [work_path])
        self.done.inc()
        pause_point("file_written")
        yield work_path

    def _row(self, doc: Document, step: str | None, reason: str | None) -> dict[str, Any]:
        row = to_row(doc, self.schema)
        if reason is None:  # the raw payload is kept only while a later step may still need it
            row["html"], row["charset_hint"] = doc.html, doc.charset_hint
        row["step"], row["reason"] = step, reason
        return row


def _document(row: dict[str, Any]) -> Document:
    html, charset = row.pop("html", None), row.pop("charset_hint", None)
    return dataclasses.replace(from_row(row), html=html, charset_hint=charset)


class ReadWorkFileFn(beam.DoFn):
    """A work file -> its kept documents, and its dropped ones on the ``rejected`` output."""

    def process(self, work_path: str):
        with FileSystems.open(work_path, compression_type=CompressionTypes.UNCOMPRESSED) as f:
            for batch in pq.ParquetFile(f).iter_batches(batch_size=BATCH_ROWS):
                for row in batch.to_pylist():
                    step, reason = row.pop("step"), row.pop("reason")
                    doc = _document(row)
                    if reason is None:
                        yield doc
                    else:
                        yield beam.pvalue.TaggedOutput(REJECTED, Rejected(step, reason, doc))
        pause_point("global")


def read_counts(work_path: str) -> dict[str, dict[str, int]]:
    with FileSystems.open(work_path, compression_type=CompressionTypes.UNCOMPRESSED) as f:
        meta = pq.ParquetFile(f).metadata.metadata or {}
    return json.loads(meta[COUNTS_KEY])


def sum_counts(work_paths: list[str]) -> dict[tuple[str, str], int]:
    """The counters of every work file, as ``{(namespace, name): total}``."""
    out: dict[tuple[str, str], int] = defaultdict(int)
    for path in work_paths:
        for namespace, counters in read_counts(path).items():
            for name, value in counters.items():
                out[(namespace, name)] += value
    return dict(out)


class ProcessFiles(beam.PTransform):
    """``(input path, work path)`` pairs -> ``{"kept": documents, "rejected": Rejected}`` read back
    from the work files (written first where missing). The pairs are reshuffled so that files
    spread over workers; a second reshuffle separates writing the work files from reading them."""

    def __init__(self, pairs: list[tuple[str, str]], steps: list[Step], columns: Mapping[str, pa.DataType],
                 max_record_bytes: int, keep_rejected: bool):
        super().__init__()
        self.pairs = sorted(pairs)
        self.fn = ProcessFileFn(steps, columns, max_record_bytes, keep_rejected)

    def expand(self, pbegin):
        outs = (pbegin
                | "Paths" >> beam.Create(self.pairs, reshuffle=False)  # SpreadFiles reshuffles
                | "SpreadFiles" >> beam.Reshuffle()
                | "ProcessFiles" >> beam.ParDo(self.fn)
                | "SpreadWork" >> beam.Reshuffle()
                | "ReadWork" >> beam.ParDo(ReadWorkFileFn()).with_outputs(REJECTED, main="kept"))
        return {"kept": outs.kept, "rejected": outs[REJECTED]}
