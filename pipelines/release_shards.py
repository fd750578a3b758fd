"""Re-shard a curated corpus into the Hugging Face layout ``data/<config>/train-XXXXX-of-YYYYY.parquet``.

One config per language, and per (language, source) when the corpus holds several sources.
Two passes keep memory at one shard whatever the corpus size, and make the output independent of
how the curation run split its work (worker count, shard order):

1. every row goes to bucket ``hash(id) % K`` of its config, K = its uncompressed size / the
   target shard size (so buckets come out near the target), in temporary Parquet files;
2. each bucket is sorted by ``(id, url, text)`` and written as one shard.

Shards follow what ``datasets`` itself writes (datasets/config.py, ``push_to_hub``): zstd, row
groups of at most ``MAX_ROW_GROUP_SIZE`` = 100 MB uncompressed so streaming readers hold one
small group at a time, a page index, and content-defined chunking with ``DEFAULT_CDC_OPTIONS`` so
that the Hub's Xet storage deduplicates unchanged data between releases.
"""
from __future__ import annotations

import dataclasses
import glob
import hashlib
import json
import math
import os
import re
import shutil

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

MB = 1000 * 1000
DEFAULT_SHARD_MB = 500  # datasets' MAX_SHARD_SIZE, uncompressed
DEFAULT_ROW_GROUP_MB = 100  # datasets' MAX_ROW_GROUP_SIZE
CDC_OPTIONS = {"min_chunk_size": 256 * 1024, "max_chunk_size": 1024 * 1024, "norm_level": 0}
SORT_KEYS = [("id", "ascending"), ("url", "ascending"), ("text", "ascending")]
READ_BATCH_ROWS = 65_536
NO_SOURCE = "unknown"


class ReleaseError(Exception):
    """A corpus that cannot be released as it is (missing report, counts that disagree, ...)."""


@dataclasses.dataclass
class ConfigPlan:
    """One config: which rows of which input files, and into how many shards."""

    name: str
    lang: str
    source: str | None  # None: every row of the language's files
    files: list[str]
    rows: int = 0
    content_bytes: int = 0
    num_buckets: int = 1


@dataclasses.dataclass
class ConfigStats:
    name: str
    lang: str
    source: str | None
    shards: list[str]
    rows: int
    characters: int
    utf8_bytes: int
    disk_bytes: int


def config_name(lang: str, source: str | None) -> str:
    name = lang if source is None else f"{lang}-{source}"
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name)


def _file_profile(path: str) -> dict[str, tuple[int, int]]:
    """``{source: (rows, content bytes)}`` of one input file."""
    out: dict[str, tuple[int, int]] = {}
    for batch in pq.ParquetFile(path).iter_batches(batch_size=READ_BATCH_ROWS):
        table = pa.Table.from_batches([batch])
        sources = table["source"].fill_null(NO_SOURCE)
        for source in pc.unique(sources).to_pylist():
            part = table.filter(pc.equal(sources, source))
            rows, size = out.get(source, (0, 0))
            out[source] = (rows + part.num_rows, size + content_bytes(part))
    return out


def plan_configs(corpus: str | list[str], shard_bytes: int) -> list[ConfigPlan]:
    """Configs of ``corpus/data/<lang>/*.parquet`` (of every corpus of a list: their union) with
    their row counts and shard counts.

    Sizes are uncompressed content bytes, as ``datasets``' ``max_shard_size``: they depend on the
    rows alone, not on how the curation run wrote and compressed its files, so the shard count
    (and so every shard) is the same whatever the run's worker count.
    """
    corpora = [corpus] if isinstance(corpus, str) else corpus
    lang_dirs = [d for c in corpora for d in sorted(glob.glob(os.path.join(c, "data", "*"))) if os.path.isdir(d)]
    per_file = {path: (os.path.basename(lang_dir), _file_profile(path))
                for lang_dir in lang_dirs for path in sorted(glob.glob(os.path.join(lang_dir, "*.parquet")))}
    if not per_file:
        raise ReleaseError(f"{', '.join(corpora)}: no Parquet shards under data/<lang>/ (is it a `skypile curate` output?)")
    split_sources = len({s for _, profile in per_file.values() for s in profile}) > 1
    plans: dict[str, ConfigPlan] = {}
    for path, (lang, profile) in per_file.items():
        for source, (rows, size) in profile.items():
            key = source if split_sources else None
            name = config_name(lang, key)
            plan = plans.setdefault(name, ConfigPlan(name, lang, key, []))
            if path not in plan.files:
                plan.files.append(path)
            plan.rows += rows
            plan.content_bytes += size
    for plan in plans.values():
        plan.num_buckets = max(1, math.ceil(plan.content_bytes / shard_bytes))
    return [plans[name] for name in sorted(plans) if plans[name].rows]


def _id_hashes(files: list[str]) -> np.ndarray:
    return np.array([int.from_bytes(hashlib.blake2b(i.encode("utf-8"), digest_size=8).digest(), "big")
                     for path in files for batch in pq.ParquetFile(path).iter_batches(READ_BATCH_ROWS, columns=["id"])
                     for i in batch.column(0).to_pylist()], dtype=np.uint64)


def check_unique_ids(corpora: list[str]) -> None:
    """A release holds each document once: no id in two corpora (the same run given twice, or two
    runs over the same input) nor twice in one. One pass over the id columns, 8 bytes per id; a
    repeated 64-bit hash is confirmed on the ids themselves before it is reported."""
    files = {c: sorted(glob.glob(os.path.join(c, "data", "*", "*.parquet"))) for c in corpora}
    hashes = [_id_hashes(files[c]) for c in corpora]
    values, counts = np.unique(np.concatenate(hashes) if hashes else np.array([], np.uint64), return_counts=True)
    suspects = set(values[counts > 1].tolist())
    if not suspects:
        return
    seen: dict[str, str] = {}
    for corpus in corpora:
        clash: list[tuple[str, str]] = []
        for path in files[corpus]:
            for batch in pq.ParquetFile(path).iter_batches(READ_BATCH_ROWS, columns=["id"]):
                for i in batch.column(0).to_pylist():
                    if int.from_bytes(hashlib.blake2b(i.encode("utf-8"), digest_size=8).digest(), "big") in suspects:
                        if i in seen:
                            clash.append((i, seen[i]))
                        seen.setdefault(i, corpus)
        if clash:
            where = "twice in it" if clash[0][1] == corpus else f"also in --corpus {clash[0][1]}"
            raise ReleaseError(f"--corpus {corpus}: {len(clash):,} document id(s) {where} (e.g. {clash[0][0]!r}); "
                               "a release holds each document once: give each corpus once, or curate the later "
                               "one with --dedup-against the earlier")


def bucket_of(ids: list[str], num_buckets: int) -> list[int]:
    """A stable bucket per id (blake2b, not Python's salted ``hash``)."""
    return [int.from_bytes(hashlib.blake2b(i.encode("utf-8"), digest_size=8).digest(), "big") % num_buckets
            for i in ids]


def _partition(plan: ConfigPlan, tmp: str) -> tuple[pa.Schema, list[str]]:
    """Pass 1: the config's rows into bucket files under ``tmp``; returns the schema and the files."""
    writers: dict[int, pq.ParquetWriter] = {}
    # Runs of one growing corpus may differ in step columns (``previous_id`` with --dedup-against):
    # the union's schema has them all, null where a run lacks one.
    schema = pa.unify_schemas([pq.read_schema(f).remove_metadata() for f in plan.files])
    paths = [os.path.join(tmp, f"bucket-{k:05d}.parquet") for k in range(plan.num_buckets)]
    try:
        for path in plan.files:
            for batch in pq.ParquetFile(path).iter_batches(batch_size=READ_BATCH_ROWS):
                table = pa.Table.from_batches([batch])
                for field in schema:
                    if field.name not in table.column_names:
                        table = table.append_column(field, pa.nulls(table.num_rows, field.type))
                table = table.select(schema.names).cast(schema)
                if plan.source is not None:
                    table = table.filter(pc.equal(table["source"].fill_null(NO_SOURCE), plan.source))
                if not table.num_rows:
                    continue
                # Group the batch by bucket with one sort, not one filter per bucket (K can be hundreds).
                buckets = np.array(bucket_of(table["id"].to_pylist(), plan.num_buckets), dtype=np.int64)
                order = np.argsort(buckets, kind="stable")
                table, buckets = table.take(pa.array(order)), buckets[order]
                starts = [0, *(np.flatnonzero(np.diff(buckets)) + 1).tolist()]
                for start, end in zip(starts, [*starts[1:], len(buckets)]):
                    k = int(buckets[start])
                    if k not in writers:
                        writers[k] = pq.ParquetWriter(paths[k], schema, compression="zstd", compression_level=1)
                    writers[k].write_table(table.slice(start, end - start))
    finally:
        for writer in writers.values():
            writer.close()
    return schema, [paths[k] for k in sorted(writers)]


def content_bytes(table: pa.Table) -> int:
    """Uncompressed size from the values alone (not buffer layout, which varies with chunking)."""
    total = 0
    for column in table.columns:
        kind = column.type
        if pa.types.is_string(kind) or pa.types.is_binary(kind) or pa.types.is_large_string(kind):
            total += (pc.sum(pc.binary_length(column)).as_py() or 0) + 4 * len(column)  # + offsets
        elif isinstance(kind, pa.FixedSizeBinaryType) or pa.types.is_primitive(kind):
            total += max(kind.bit_width // 8, 1) * len(column)
        else:
            total += column.nbytes
    return total


def write_shard(table: pa.Table, path: str, row_group_bytes: int) -> None:
    rows_per_group = max(1, row_group_bytes * table.num_rows // max(content_bytes(table), 1))
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with pq.ParquetWriter(path, table.schema, compression="zstd", write_page_index=True,
                          use_content_defined_chunking=CDC_OPTIONS) as writer:
        writer.add_key_value_metadata({"content_defined_chunking": json.dumps(CDC_OPTIONS)})
        writer.write_table(table, row_group_size=rows_per_group)


def write_config(plan: ConfigPlan, release: str, row_group_bytes: int, log=None) -> ConfigStats:
    """Both passes for one config; shards land in ``release/data/<config>/``.

    ``log(message)`` hears about each pass and shard (long releases show where they are).
    """
    log = log or (lambda message: None)
    tmp = os.path.join(release, ".skypile-tmp", plan.name)
    os.makedirs(tmp, exist_ok=True)
    try:
        log(f"{plan.name}: {plan.rows:,} rows from {len(plan.files)} files into {plan.num_buckets} buckets")
        schema, buckets = _partition(plan, tmp)
        stats = ConfigStats(plan.name, plan.lang, plan.source, [], 0, 0, 0, 0)
        for index, bucket in enumerate(buckets):
            table = pq.read_table(bucket, schema=schema).sort_by(SORT_KEYS).combine_chunks()
            rel = f"data/{plan.name}/train-{index:05d}-of-{len(buckets):05d}.parquet"
            write_shard(table, os.path.join(release, rel), row_group_bytes)
            stats.shards.append(rel)
            stats.rows += table.num_rows
            stats.characters += pc.sum(pc.utf8_length(table["text"])).as_py() or 0
            stats.utf8_bytes += pc.sum(pc.binary_length(table["text"])).as_py() or 0
            stats.disk_bytes += os.path.getsize(os.path.join(release, rel))
            os.remove(bucket)
            log(f"{plan.name}: wrote {rel} ({table.num_rows:,} rows)")
        return stats
    finally:
        shutil.rmtree(os.path.join(release, ".skypile-tmp"), ignore_errors=True)
