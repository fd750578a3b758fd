"""The sample behind ``skypile curate --estimate`` (:mod:`pipelines.estimate`): which records, and
what the run's steps do with each.

Files join the sample in a seeded order (:func:`file_order`); from each, the records with the
smallest seeded hash (:func:`_priority`), so a larger round holds
the last one and no record goes through the chain twice. Records go through the run's own step
objects as the run takes them: in chunks of :data:`~transforms.process_files.BATCH_ROWS`, each step
over the whole chunk, then the key records and the work file's Parquet, then the later steps in their
batches. A chunk's CPU is shared evenly by its documents: they weigh the same (one file).

After each chunk what the sample holds is frozen out of Python's garbage collector: a run's workers
stream their documents, but this process keeps every sampled one, and collections over them charged
the timed chunks (the kit, every record sampled: 54.9 CPU s against 51.5 frozen and 50.0 for the
run's own pass; bench/estimate_cpu.py, bench/README.md "Estimate in rounds").
"""
from __future__ import annotations

import dataclasses
import gc
import hashlib
import io
import os
import random
import time
from collections import Counter
from typing import Any

from apache_beam import coders
from apache_beam.io.filesystem import CompressionTypes
from apache_beam.io.filesystems import FileSystems

from pipelines.chain_layout import keyer_of, output_languages, split_global, split_steps
from pipelines.sampling_stats import bottom_k
from pipelines.step_registry import build_steps
from transforms.dedup.keys import DOC_COLUMNS, KEY_COLUMNS
from transforms.document import parquet_schema, to_row
from transforms.keep_or_drop import Drop, bind_steps, run_steps
from transforms.parquet_writers import UNDETERMINED
from transforms.process_files import BATCH_ROWS, work_schema
from transforms.read import read_file


@dataclasses.dataclass
class Record:
    """One sampled record and what the run would do with it."""

    file: int  # index among the chosen files
    cpu: float = 0.0  # process CPU seconds of its first-pass work
    lang: str | None = None  # after the per-file chain; None: dropped there
    keys: dict | None = None
    doc: Any = None
    out_lang: str | None = None  # output language when kept to the end
    out_bytes: float = 0.0
    out_cpu: float = 0.0
    out_row: dict | None = None  # its output row when kept to the end
    shuffle_bytes: int = 0


@dataclasses.dataclass
class SampledFile:
    path: str
    size: int
    records: int
    read_cpu: float  # CPU seconds of its first (whole) read


def file_order(seed: int, n: int) -> list[int]:
    """The order in which the input files join the sample."""
    return random.Random(seed).sample(range(n), n)


def _priority(seed: int, name: str, ordinal: int) -> int:
    """A record's place in the sampling order: a seeded hash, so every round's sample holds the last."""
    return int.from_bytes(hashlib.blake2b(f"{seed}\0{name}\0{ordinal}".encode(), digest_size=8).digest(), "big")


def sample_names(paths: list[str]) -> list[str]:
    """Each input's name below the inputs' common folder, which :func:`_priority` hashes: the same
    crawl and seed draw the same sample wherever the crawl lies (a clone elsewhere, a bucket). One
    input is its own common prefix: its name is the part after the last slash."""
    cut = os.path.commonprefix(paths).rfind("/") + 1
    return [p[cut:] for p in paths]


def _threshold(transform) -> dict:
    return {"threshold": getattr(transform, "threshold", 0.0)}


def _parquet_bytes(rows: list[dict], schema, row_group_rows: int, footer: bool = False):
    """Bytes of ``rows`` as a zstd Parquet file (as transforms/parquet_writers.py writes shards); with
    ``footer``, ``(bytes, footer bytes)``: the part every shard pays once."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    sink = io.BytesIO()
    pq.write_table(pa.Table.from_pylist(rows, schema=schema), sink, compression="zstd", row_group_size=row_group_rows)
    if not footer:
        return sink.tell()
    sink.seek(0)
    return sink.getbuffer().nbytes, pq.ParquetFile(sink).metadata.serialized_size + 12


class Sampler:
    """The chain of ``config`` set up once, and the records sampled from ``files`` so far."""

    def __init__(self, files: list[str], config: dict[str, Any], seed: int):
        per_file, global_steps = split_steps(build_steps(config))
        dedup, later = split_global(global_steps)
        self.first_chain = [(t.step, None) for _, t in per_file]
        self.later_chain = [(t.step, getattr(t, "batch_size", None) or None) for _, t in later]
        columns: dict = {}
        for _, t in per_file + dedup + later:
            columns.update(getattr(t, "columns", {}) or {})
        self.keyer = keyer_of(dedup)
        self.counts: Counter = Counter()
        t0 = time.process_time()
        bind_steps(self.first_chain + self.later_chain, self.count)
        for step, _ in self.first_chain + self.later_chain:
            step.setup()
        self.keyer.setup()
        self.setup_cpu = time.process_time() - t0
        self.languages = output_languages(config)
        self.schema, self.work = parquet_schema(columns), work_schema(columns)
        self.row_group_rows = config["output"]["row_group_rows"]
        self.max_record_bytes = config["read"]["max_record_bytes"]
        self.coder = coders.registry.get_coder(dict)
        self.key_columns = [c for c in KEY_COLUMNS if c not in ("k_signature", "k_shingles")]
        self.dedup_settings = [("record_dedup", {})] + [(n, getattr(t, "settings", None) or _threshold(t))
                                                        for n, t in dedup]
        self.paths, self.names, self.seed = files, sample_names(files), seed
        self.sizes = [FileSystems.match([f])[0].metadata_list[0].size_in_bytes for f in files]
        self.order = file_order(seed, len(files))
        self.files: list[SampledFile] = []  # Record.file indexes this list
        self.file_of: dict[int, int] = {}  # input index -> its place in self.files
        self.taken: list[set] = []  # per sampled file: the ordinals already through the chain
        self.records: list[Record] = []

    def count(self, namespace, name, n=1):
        self.counts[namespace, name] += n

    def take(self, index: int, per_file: int) -> None:
        """The ``per_file`` records (0: all) of input ``index`` with the smallest hash, those not yet
        taken through the chain. The file's first read is timed: the run's cost of reading it."""
        path = self.paths[index]
        fi = self.file_of.get(index)
        if fi is not None and len(self.taken[fi]) >= (min(per_file, self.files[fi].records) if per_file
                                                      else self.files[fi].records):
            return  # this round takes nothing new from it
        t0 = time.process_time()
        with FileSystems.open(path, compression_type=CompressionTypes.UNCOMPRESSED) as stream:
            total, picked = bottom_k(read_file(stream, path, self.max_record_bytes), per_file,
                                     lambda ordinal: _priority(self.seed, self.names[index], ordinal))
        if fi is None:
            fi = self.file_of[index] = len(self.files)
            self.files.append(SampledFile(path, self.sizes[index], total, time.process_time() - t0))
            self.taken.append(set())
        fresh = [verdict for ordinal, verdict in picked if ordinal not in self.taken[fi]]
        self.taken[fi].update(ordinal for ordinal, _ in picked)
        for start in range(0, len(fresh), BATCH_ROWS):
            self._chunk(fi, fresh[start:start + BATCH_ROWS])
            gc.collect()  # the chunk's garbage; then what the sample keeps is left out of collections
            gc.freeze()

    def _chunk(self, fi: int, part: list) -> None:
        chunk = [Record(fi) for _ in part]
        self.records.extend(chunk)
        todo = [(r, v) for r, v in zip(chunk, part) if not isinstance(v, Drop)]
        if not todo:
            return
        t0 = time.process_time()
        passed = []
        for (r, _), (doc, _, reason) in zip(todo, run_steps([v for _, v in todo], self.first_chain, self.count)):
            if reason is None:
                r.doc = doc
                passed.append(r)
        keys = self.keyer.keys([r.doc for r in passed])
        rows = [{**to_row(r.doc, self.work), **k} for r, k in zip(passed, keys)]
        if rows:
            _parquet_bytes(rows, self.work, self.row_group_rows)  # the work file's rows: their CPU counts
        for r, k, row in zip(passed, keys, rows):
            record = {c: row.get(c) for c in (*DOC_COLUMNS, *self.key_columns)}
            r.shuffle_bytes = len(self.coder.encode(record)) + len(k.get("k_shingles") or b"")
            r.lang, r.keys = r.doc.lang or "", k
        shared = (time.process_time() - t0) / len(todo)
        for r, _ in todo:
            r.cpu = shared
        if not passed:
            return
        t0 = time.process_time()
        outcomes = run_steps([r.doc for r in passed], self.later_chain, self.count)
        later_cpu = (time.process_time() - t0) / len(passed)
        for r, (doc, _, reason) in zip(passed, outcomes):
            r.out_cpu = later_cpu
            if reason is None:
                r.out_lang = doc.lang if doc.lang in self.languages else UNDETERMINED
                r.out_row = to_row(doc, self.schema)
