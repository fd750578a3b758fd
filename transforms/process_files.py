"""The per-file passes: read one input file, run the per-document steps, write one work file;
later, read the work file again, apply the dedup verdicts and the remaining steps, write its output.

A run's steps split in three. The leading per-document steps (read, URL filter, extraction,
language ID, heuristics: about 80% of the time, extraction alone most of it) run per input file in
the first pass (:class:`ProcessFileFn`), which leaves one Parquet file per input under
``DIR/_work/files/``, written under a temporary name and then renamed (through Beam's FileSystems,
so on object stores too). An input whose work file exists is skipped: a resumed run redoes only
the files that had not finished. Beside each kept document the work file holds its key record
(the ``k_*`` columns of :mod:`transforms.dedup.keys`), so the dedup steps read a few hundred bytes
a document and decide on those alone (:mod:`transforms.dedup.decisions`); the documents
themselves never cross a shuffle. The second pass (:mod:`transforms.finish_files`) re-reads each
work file with the verdicts of its documents and writes the shards, the dedup index, the rejects
and the file's counts; the global phase runs from scratch on every attempt.

A work file holds the kept documents (with ``html`` while extraction has not run yet) and the
dropped ones with ``step``/``reason``: whole with ``--write-rejected``, else only their id, URL,
domain and first 200 characters (for the report's drop samples); the file's Parquet metadata
holds the counts of its records (``{namespace: {counter: n}}``), which the launcher adds to the
report. Both passes run their steps with :func:`transforms.keep_or_drop.run_steps` and count through
:class:`Counts`: into the file's counts (data, the report's source) and Beam Metrics (live).
"""
from __future__ import annotations

import dataclasses
import json
import os
import uuid
from collections import defaultdict
from typing import Any, Iterator, Mapping

import apache_beam as beam
import pyarrow as pa
import pyarrow.parquet as pq
from apache_beam.io.filesystem import CompressionTypes
from apache_beam.io.filesystems import FileSystems
from apache_beam.metrics import Metrics

from transforms.apply import MetricsCount
from transforms.dedup.keys import DOC_COLUMNS, KEY_COLUMNS, KEY_FIELDS, Keyer, key_record
from transforms.document import Document, from_row, parquet_schema, to_row
from transforms.drop_samples import slim
from transforms.keep_or_drop import ChainStep, Drop, bind_steps, run_steps
from transforms.pause import pause_point
from transforms.read import read_file
from transforms.shuffle import measured

COUNTS_KEY = b"skypile_counts"
READ = "read"
WORK_FIELDS = (pa.field("html", pa.binary()), pa.field("charset_hint", pa.string()),
               pa.field("step", pa.string()), pa.field("reason", pa.string()))
BATCH_ROWS = 256
@dataclasses.dataclass(frozen=True, order=True)
class WorkFile:
    """One input file's place in the run: its index in the sorted inputs and its paths."""

    index: int
    input: str
    work: str
    counts: str


def work_schema(columns: Mapping[str, pa.DataType]) -> pa.Schema:
    schema = parquet_schema(columns)
    for field in (*WORK_FIELDS, *KEY_FIELDS):
        schema = schema.append(field)
    return schema


class Counts:
    """``count(namespace, name, n)`` of one work file: into :attr:`data` (written with the file's
    output: what the report adds up), Beam Metrics (the live view) and the progress sink."""

    def __init__(self, metrics: MetricsCount, progress=None):
        self.data: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        self.metrics, self.progress = metrics, progress

    def __call__(self, namespace: str, name: str, n: int = 1) -> None:
        self.data[namespace][name] += n
        self.metrics(namespace, name, n)
        if self.progress is not None:
            self.progress.count(namespace, name, n)

    def plain(self) -> dict[str, dict[str, int]]:
        return {ns: dict(sorted(c.items())) for ns, c in sorted(self.data.items())}


class FilePassFn(beam.DoFn):
    """What both passes share: a chain of steps bound once per worker to the current file's counts."""

    def __init__(self, steps: list[ChainStep], progress=None):
        self.steps, self.progress = list(steps), progress

    def setup(self):
        self.metrics = MetricsCount()
        if self.progress is not None:
            self.progress.setup()
        self.counts = Counts(self.metrics, self.progress)
        bind_steps(self.steps, self._count)
        for step, _ in self.steps:
            step.setup()

    def _count(self, namespace: str, name: str, n: int = 1) -> None:
        self.counts(namespace, name, n)

    def new_counts(self) -> Counts:
        self.counts = Counts(self.metrics, self.progress)
        return self.counts

    def teardown(self):
        if self.progress is not None:
            self.progress.flush()


def read_records(records: Iterator[Any], path: str, counts: Counts) -> Iterator[list[tuple[int, Any]]]:
    """The reader's verdicts in chunks of :data:`BATCH_ROWS` ``(ordinal, Document or Drop)``,
    counting ``read/records_in`` and ``read/kept`` / ``read/dropped:<reason>``."""
    chunk = []
    for ordinal, verdict in enumerate(records):
        counts(READ, "records_in")
        if isinstance(verdict, Drop):
            counts(READ, f"dropped:{verdict.reason}")
        else:
            counts(READ, "kept")
        chunk.append((ordinal, verdict))
        if len(chunk) >= BATCH_ROWS:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


class ProcessFileFn(FilePassFn):
    """A :class:`WorkFile` -> itself, after writing its work file unless it already exists."""

    def __init__(self, steps: list[ChainStep], columns: Mapping[str, pa.DataType], max_record_bytes: int,
                 keep_rejected: bool, keyer: Keyer, progress=None):
        super().__init__(steps, progress)
        self.columns = dict(columns)
        self.max_record_bytes, self.keep_rejected, self.keyer = max_record_bytes, keep_rejected, keyer

    def setup(self):
        super().setup()
        self.keyer.setup()
        self.schema = work_schema(self.columns)
        self.done = Metrics.counter("work", "files_done")
        self.skipped = Metrics.counter("work", "files_skipped")

    def process(self, element: WorkFile):
        if FileSystems.exists(element.work):
            self.skipped.inc()
            if self.progress is not None:  # its records were read by an earlier attempt
                self.progress.count(READ, "records_in", read_counts(element.work)[READ]["records_in"])
            yield element
            return
        counts = self.new_counts()
        counts(READ, "files")
        tmp = f"{element.work}.tmp-{uuid.uuid4().hex[:12]}"
        with FileSystems.create(tmp, compression_type=CompressionTypes.UNCOMPRESSED) as sink:
            writer = pq.ParquetWriter(sink, self.schema, compression="zstd")
            try:
                stream = FileSystems.open(element.input, compression_type=CompressionTypes.UNCOMPRESSED)
            except Exception:  # noqa: BLE001 - vanished or unreadable file: one counted drop
                stream = None
            if stream is None:
                counts(READ, "records_in")
                counts(READ, "dropped:read_unreadable_file")
                rows = [self._row(Document(id=element.input), READ, "read_unreadable_file")]
                writer.write_table(pa.Table.from_pylist(rows, schema=self.schema))
            else:
                with stream:
                    records = read_file(stream, element.input, self.max_record_bytes)
                    for chunk in read_records(records, element.input, counts):
                        rows = self._rows(chunk, element.input, counts)
                        writer.write_table(pa.Table.from_pylist(rows, schema=self.schema))
            writer.add_key_value_metadata({COUNTS_KEY: json.dumps(counts.plain()).encode("utf-8")})
            writer.close()
        FileSystems.rename([tmp], [element.work])
        self.done.inc()
        pause_point("file_written")
        yield element

    def _rows(self, chunk: list[tuple[int, Any]], path: str, counts: Counts) -> list[dict[str, Any]]:
        docs = [v for _, v in chunk if not isinstance(v, Drop)]
        outcomes = iter(run_steps(docs, self.steps, counts))
        kept = []
        rows = []
        for ordinal, verdict in chunk:
            if isinstance(verdict, Drop):
                placeholder = Document(id=f"{path}#{ordinal}", warc_file=os.path.basename(path))
                rows.append(self._row(placeholder, READ, verdict.reason))
                continue
            doc, step, reason = next(outcomes)
            if reason is None:
                kept.append((len(rows), doc))
            rows.append(self._row(doc if reason is None or self.keep_rejected else slim(doc), step, reason))
        keys = self.keyer.keys([doc for _, doc in kept])
        for (i, _), values in zip(kept, keys):
            rows[i].update(values)
            if self.keyer.minhash is not None and values["k_bands"] is None:
                counts("minhash_dedup", "docs_without_shingles")
        return rows

    def _row(self, doc: Document, step: str | None, reason: str | None) -> dict[str, Any]:
        row = to_row(doc, self.schema)
        if reason is None:  # the raw payload is kept only while a later step may still need it
            row["html"], row["charset_hint"] = doc.html, doc.charset_hint
        row["step"], row["reason"] = step, reason
        return row


def document(row: dict[str, Any]) -> Document:
    """A work-file row without its key columns -> its document (with the raw payload)."""
    html, charset = row.pop("html", None), row.pop("charset_hint", None)
    return dataclasses.replace(from_row(row), html=html, charset_hint=charset)


def open_work(path: str):
    return FileSystems.open(path, compression_type=CompressionTypes.UNCOMPRESSED)


class ReadKeysFn(beam.DoFn):
    """A :class:`WorkFile` -> the key records of its kept documents (only their columns are
    read). Neither the signature (for the index, which the second pass writes from the work file)
    nor the shingle hashes (the Jaccard check reads them there, :mod:`transforms.dedup.verify_files`)
    are read: they would otherwise ride every grouping of the dedup steps."""

    def process(self, element: WorkFile):
        columns = [*DOC_COLUMNS, "reason", *(c for c in KEY_COLUMNS if c not in ("k_signature", "k_shingles"))]
        row_number = 0
        with open_work(element.work) as f:
            for batch in pq.ParquetFile(f).iter_batches(batch_size=4096, columns=columns):
                for row in batch.to_pylist():
                    if row["reason"] is None:
                        yield key_record(row, (element.index, row_number))
                    row_number += 1
        pause_point("global")


def read_counts(work_path: str) -> dict[str, dict[str, int]]:
    with open_work(work_path) as f:
        meta = pq.ParquetFile(f).metadata.metadata or {}
    return json.loads(meta[COUNTS_KEY])


def sum_counts(count_maps) -> dict[tuple[str, str], int]:
    """``{namespace: {name: n}}`` maps added up as ``{(namespace, name): total}``."""
    out: dict[tuple[str, str], int] = defaultdict(int)
    for counts in count_maps:
        for namespace, counters in counts.items():
            for name, value in counters.items():
                out[(namespace, name)] += value
    return dict(out)


class ProcessFiles(beam.PTransform):
    """:class:`WorkFile` entries -> ``{"files": the entries once their work files exist, "keys":
    the key records of their kept documents}``. The entries are reshuffled so that files spread
    over workers; a second reshuffle separates writing the work files from reading them."""

    def __init__(self, files: list[WorkFile], steps: list[ChainStep], columns: Mapping[str, pa.DataType],
                 max_record_bytes: int, keep_rejected: bool, keyer: Keyer, progress=None):
        super().__init__()
        self.files = sorted(files)
        self.fn = ProcessFileFn(steps, columns, max_record_bytes, keep_rejected, keyer, progress)

    def expand(self, pbegin):
        entries = pbegin | "Paths" >> beam.Create(self.files, reshuffle=False)  # SpreadFiles reshuffles
        written = (measured(entries, "SpreadFiles")
                   | "SpreadFiles" >> beam.Reshuffle()
                   | "ProcessFiles" >> beam.ParDo(self.fn))
        done = measured(written, "SpreadWork") | "SpreadWork" >> beam.Reshuffle()
        return {"files": done, "keys": done | "ReadKeys" >> beam.ParDo(ReadKeysFn())}


def write_counts(path: str, counts: dict[str, dict[str, int]]) -> None:
    """Under a temporary name, then renamed: a retried or recomputed file overwrites, never adds."""
    tmp = f"{path}.tmp-{uuid.uuid4().hex[:12]}"
    with FileSystems.create(tmp, compression_type=CompressionTypes.UNCOMPRESSED) as f:
        f.write(json.dumps(counts, sort_keys=True).encode("utf-8"))
    FileSystems.rename([tmp], [path])


def read_json_counts(path: str) -> dict[str, dict[str, int]]:
    with open_work(path) as f:
        return json.loads(f.read().decode("utf-8"))
