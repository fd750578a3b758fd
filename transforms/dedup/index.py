"""The dedup index written beside every run's shards, and reading earlier runs' indexes back.

``DIR/index/index-SSSSS-of-NNNNN.parquet`` holds one row per kept document: its id, the hash of
its normalised URL and of its normalised text (the keys of URL and exact dedup), and, when MinHash
dedup ran, its LSH band keys and MinHash signature; ``DIR/index/settings.json`` records the
settings the keys depend on. About 1 KB a document on disk at the default 128 permutations (a
quarter of the shards in the tests' runs): a later run with ``--dedup-against DIR`` never re-reads
or re-hashes the earlier texts.

Reading an index back is a semi-join: the new run's keys (a set that grows with the new input)
are a side input, the earlier index rows stream past it, and only rows that share a key go on to
the dedup steps' shuffles. Memory therefore grows with the new input, not with the earlier corpus.
"""
from __future__ import annotations

import hashlib
import json
from typing import Any, Iterable

import apache_beam as beam
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from apache_beam.io.filesystem import CompressionTypes
from apache_beam.io.filesystems import FileSystems

from transforms.dedup.exact import text_hash
from transforms.dedup.lsh import band_keys
from transforms.dedup.minhash import MinHasher, batch_hashes
from transforms.io import shard_of
from transforms.urls import normalize_url

INDEX = "index"
SETTINGS = "settings.json"
FORMAT = 1
# Marks an earlier corpus's document among this run's ids: sorts before every id, so in a cluster
# the earlier document is the one that survives.
PREVIOUS = "\x00"
PREVIOUS_COLUMN = "previous_id"
SCHEMA = pa.schema([
    pa.field("id", pa.string(), nullable=False),
    pa.field("url_hash", pa.binary(16)),
    pa.field("text_hash", pa.binary(16), nullable=False),
    pa.field("band_keys", pa.list_(pa.binary())),
    pa.field("signature", pa.binary()),
])


class DedupIndexError(Exception):
    """An earlier corpus that cannot be deduplicated against (no index, other settings)."""


def url_hash(url: str) -> bytes:
    return hashlib.sha1(normalize_url(url).encode("utf-8")).digest()[:16]


def minhash_settings(config: dict[str, Any]) -> dict[str, Any] | None:
    """What band keys and signatures depend on; None when MinHash dedup is off."""
    section = config.get("minhash_dedup", {})
    if not section.get("enabled", True):
        return None
    from transforms.dedup.near_dedup import MinHashDedup

    cfg = {k: v for k, v in section.items() if k != "enabled"}
    m = MinHashDedup(**cfg)
    return {"num_perm": m.num_perm, "seed": m.seed, "scheme": m.scheme, "bands": m.bands, "rows": m.rows,
            "word_ngram": m.word_ngram, "char_ngram": m.char_ngram, "threshold": m.threshold,
            "verify_jaccard": m.verify_jaccard}


def index_settings(config: dict[str, Any]) -> dict[str, Any]:
    return {"format": FORMAT, "url": "sha1-16 of transforms.urls.normalize_url",
            "text": "sha1-16 of transforms.dedup.exact.normalize_text", "minhash": minhash_settings(config)}


def write_settings(output: str, config: dict[str, Any]) -> None:
    with FileSystems.create(FileSystems.join(output, INDEX, SETTINGS),
                            compression_type=CompressionTypes.UNCOMPRESSED) as f:
        f.write(json.dumps(index_settings(config), indent=2, sort_keys=True).encode("utf-8"))


def previous_index_files(corpora: list[str], config: dict[str, Any]) -> list[str]:
    """The index files of every earlier corpus, after checking that each can be used."""
    from pipelines.run_state import read_json

    want = index_settings(config)
    files: list[str] = []
    for corpus in corpora:
        if read_json(FileSystems.join(corpus, "report.json")) is None:
            raise DedupIndexError(f"--dedup-against {corpus}: no report.json (not a finished `skypile curate` output)")
        have = read_json(FileSystems.join(corpus, INDEX, SETTINGS))
        if have is None:
            raise DedupIndexError(f"--dedup-against {corpus}: no dedup index ({INDEX}/{SETTINGS}); it was curated "
                              "by an older skypile: curate it again, or leave it out")
        if want["minhash"] is not None and have.get("minhash") != want["minhash"]:
            raise DedupIndexError(f"--dedup-against {corpus}: curated with other MinHash settings "
                              f"({have.get('minhash')}) than this run ({want['minhash']}); band keys and "
                              "signatures cannot be compared: use the same minhash_dedup settings")
        if have.get("format") != want["format"] or have.get("url") != want["url"] or have.get("text") != want["text"]:
            raise DedupIndexError(f"--dedup-against {corpus}: index format {have.get('format')} is not {FORMAT}")
        matched = FileSystems.match([FileSystems.join(corpus, INDEX, "*.parquet")])[0].metadata_list
        files += sorted(m.path for m in matched)
    return files


class IndexRowsFn(beam.DoFn):
    """A batch of kept documents -> their index rows."""

    def __init__(self, minhash: dict[str, Any] | None):
        self.minhash = minhash

    def setup(self):
        m = self.minhash
        self.hasher = MinHasher(m["num_perm"], m["seed"], m["scheme"]) if m else None

    def process(self, docs):
        keys: list[list[bytes] | None] = [None] * len(docs)
        sigs: list[bytes | None] = [None] * len(docs)
        if self.hasher is not None:
            m = self.minhash
            hashes, offsets = batch_hashes([d.text for d in docs], [d.lang for d in docs],
                                           m["word_ngram"], m["char_ngram"])
            keep = np.flatnonzero(np.diff(offsets))  # documents without shingles have no keys
            if len(keep):
                signatures = self.hasher.flat(hashes, offsets)[keep]
                for i, doc_keys, sig in zip(keep, band_keys(signatures, m["bands"], m["rows"]), signatures):
                    keys[i], sigs[i] = doc_keys, sig.astype("<u4").tobytes()
        for doc, doc_keys, sig in zip(docs, keys, sigs):
            yield {"id": doc.id, "url_hash": url_hash(doc.url) if doc.url else None,
                   "text_hash": text_hash(doc.text), "band_keys": doc_keys, "signature": sig}


class WriteIndexShardFn(beam.DoFn):
    def __init__(self, output: str, num_shards: int):
        self.output, self.num_shards = output, num_shards

    def process(self, element):
        shard, rows = element
        rows = sorted(rows, key=lambda r: r["id"])
        path = FileSystems.join(self.output, INDEX, f"index-{shard:05d}-of-{self.num_shards:05d}.parquet")
        with FileSystems.create(path, compression_type=CompressionTypes.UNCOMPRESSED) as f:
            pq.write_table(pa.Table.from_pylist(rows, schema=SCHEMA), f, compression="zstd")
        yield path


class WriteIndex(beam.PTransform):
    """Kept documents -> ``DIR/index/*.parquet`` (sorted by id, sharded like the corpus)."""

    def __init__(self, output: str, minhash: dict[str, Any] | None, num_shards: int, batch_size: int = 256):
        super().__init__()
        self.output, self.minhash = output, minhash
        self.num_shards, self.batch_size = max(num_shards, 1), batch_size

    def expand(self, docs):
        n = self.num_shards
        return (docs
                | "Batch" >> beam.BatchElements(min_batch_size=1, max_batch_size=self.batch_size)
                | "IndexRows" >> beam.ParDo(IndexRowsFn(self.minhash))
                | "ByShard" >> beam.Map(lambda r: (shard_of(r["id"], n), r))
                | "GroupShards" >> beam.GroupByKey()
                | "Write" >> beam.ParDo(WriteIndexShardFn(self.output, n)))


class ReadIndexFn(beam.DoFn):
    def process(self, path: str):
        with FileSystems.open(path, compression_type=CompressionTypes.UNCOMPRESSED) as f:
            for batch in pq.ParquetFile(f).iter_batches(batch_size=4096):
                yield from batch.to_pylist()


class ReadPrevious(beam.PTransform):
    """Index files of earlier corpora -> their rows (dicts of :data:`SCHEMA`)."""

    def __init__(self, files: list[str]):
        super().__init__()
        self.files = sorted(files)

    def expand(self, pbegin):
        return (pbegin
                | "IndexFiles" >> beam.Create(self.files)
                | "SpreadIndex" >> beam.Reshuffle()
                | "ReadIndex" >> beam.ParDo(ReadIndexFn()))


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


def match_previous(previous, new_keys, key_fn, value_fn, label: str):
    """``(key, value_fn(row))`` for every earlier row whose ``key_fn`` keys the new run shares."""
    distinct = new_keys | f"{label}Distinct" >> beam.Distinct()
    return (previous
            | f"{label}Match" >> beam.ParDo(MatchKeysFn(key_fn, value_fn), beam.pvalue.AsIter(distinct))
            # a stage boundary: Beam's local runner cannot fuse a side-input consumer into the
            # Flatten that also takes the side input's own upstream
            | f"{label}Settle" >> beam.Reshuffle())


def previous_node(prev_id: str) -> str:
    return PREVIOUS + prev_id


def is_previous(node: str) -> bool:
    return node.startswith(PREVIOUS)
