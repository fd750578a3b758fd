"""The dedup index written beside every run's shards, and reading earlier runs' indexes back.

``DIR/index/index-SSSSS-of-NNNNN.parquet`` holds one row per document that took part in a dedup
step's decision, not only per kept document: its id, the hash of its normalised URL and of its
normalised text (the keys of URL and exact dedup), and, when MinHash dedup ran, its LSH band keys,
MinHash signature, shingle hashes (with the Jaccard check on: a new document and an earlier one are
checked on their exact Jaccard similarity, as two documents of one run are, not on the MinHash
estimate, whose error grows with the number of earlier copies a new one is compared with) and
cluster (``cluster_id``: the survivor's id when it has near copies), with ``dropped`` naming the
step and reason that later removed it (null: it is in the corpus). ``DIR/index/settings.json``
records the settings the keys depend on. About 1 KB a document on disk plus 4 bytes a distinct
shingle (a few KB for a web page): a later run with ``--dedup-against DIR`` never re-reads or
re-hashes the earlier texts.

Why every document that reached dedup, not only the kept ones: curating A then B with
``--dedup-against A`` must decide B's documents as one run over A and B would, A's copies taking
priority. In one run a copy of a document that a later step drops (decontamination, the score
filter, or a dedup step after the first) is still dropped, and a near copy of a cluster member
that MinHash dedup dropped joins that cluster. So a document's keys are recorded for the steps it
took part in: its URL once it passed URL dedup (the survivor of its URL group), its text once it
passed exact dedup (one row per text), its band keys and signature once it reached MinHash dedup
(dropped members too, under their cluster's survivor: a new document that matches any member
joins the earlier cluster, as in one run). These are the MinHash step's own sketches, of the text
it saw (line dedup, after it and off by default, may shorten the text later), joined by id. A
document that URL dedup dropped has no row: its URL's survivor has one. A kept document has every key, also of steps that were off.

What still differs from one run, by design: the earlier corpus is final. An earlier copy always
survives (one run may keep the later capture of a URL or the smaller id), and two earlier
documents that one new document links are not merged after the fact.

Reading an index back is a semi-join: the new run's keys (a set that grows with the new input)
are a side input, the earlier index rows stream past it, and only rows that share a key go on to
the dedup steps' shuffles. Memory therefore grows with the new input, not with the earlier corpus.
An index of format 1 (kept documents only, before the rows above) is refused with a message to
curate that corpus again: read as is, it would silently keep copies of what it dropped.
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
from transforms.io import shard_of
from transforms.urls import normalize_url

# minhash_dedup's cluster column (near_dedup imports this module, so not imported from there)
CLUSTER_COLUMN = "minhash_cluster_id"

INDEX = "index"
SETTINGS = "settings.json"
FORMAT = 2
# Marks an earlier corpus's document among this run's ids: sorts before every id, so in a cluster
# the earlier document is the one that survives.
PREVIOUS = "\x00"
PREVIOUS_COLUMN = "previous_id"
SCHEMA = pa.schema([
    pa.field("id", pa.string(), nullable=False),
    pa.field("url_hash", pa.binary(16)),
    pa.field("text_hash", pa.binary(16)),
    pa.field("band_keys", pa.list_(pa.binary())),
    pa.field("signature", pa.binary()),
    # sorted distinct shingle hashes (little-endian uint32) when the Jaccard check is on
    pa.field("shingles", pa.binary()),
    pa.field("cluster_id", pa.string()),
    pa.field("dropped", pa.string()),
])
# The dedup steps whose keys an index row records, in the order of their columns.
URL_STEP, EXACT_STEP, MINHASH_STEP = "url_dedup", "exact_dedup", "minhash_dedup"


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
            "verify_jaccard": m.verify_jaccard, "numba": m.numba}


def index_settings(config: dict[str, Any]) -> dict[str, Any]:
    return {"format": FORMAT, "url": "sha1-16 of transforms.urls.normalize_url",
            "text": "sha1-16 of transforms.dedup.exact.normalize_text",
            "minhash": _key_settings(minhash_settings(config))}


def _key_settings(minhash: dict[str, Any] | None) -> dict[str, Any] | None:
    """The MinHash settings the keys depend on (Numba or NumPy give the same bits)."""
    return None if minhash is None else {k: v for k, v in minhash.items() if k != "numba"}


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
        if have.get("format") != want["format"]:
            raise DedupIndexError(f"--dedup-against {corpus}: its dedup index is format {have.get('format')}, this "
                                  f"skypile reads format {FORMAT} (format 1 holds the kept documents only, so copies "
                                  "of documents it dropped after dedup would come back): curate it again "
                                  "(the same command with --overwrite), or leave it out")
        if want["minhash"] is not None and have.get("minhash") != want["minhash"]:
            raise DedupIndexError(f"--dedup-against {corpus}: curated with other MinHash settings "
                              f"({have.get('minhash')}) than this run ({want['minhash']}); band keys and "
                              "signatures cannot be compared: use the same minhash_dedup settings")
        if have.get("url") != want["url"] or have.get("text") != want["text"]:
            raise DedupIndexError(f"--dedup-against {corpus}: its index hashes URLs/texts another way "
                                  f"({have.get('url')}, {have.get('text')})")
        matched = FileSystems.match([FileSystems.join(corpus, INDEX, "*.parquet")])[0].metadata_list
        files += sorted(m.path for m in matched)
    return files


def index_keys(order: list[str], dropped_step: str | None) -> tuple[bool, bool, bool]:
    """Which keys ``(url, text, minhash)`` the row of a document records: every one when it was
    kept; else those of the dedup steps it passed in ``order`` (the global steps as they ran),
    and its MinHash keys when MinHash dedup itself dropped it (it was a node of that graph)."""
    if dropped_step is None:
        return True, True, True
    passed = order[:order.index(dropped_step)] if dropped_step in order else []
    return URL_STEP in passed, EXACT_STEP in passed, MINHASH_STEP in passed or dropped_step == MINHASH_STEP


def light_row(entry, order: list[str]) -> tuple[dict[str, Any], bool]:
    """``(row, wants MinHash keys)`` for a ``(document, dropped step, dropped reason)``: the row
    without its MinHash fields."""
    doc, step, reason = entry
    url, text, near = index_keys(order, step)
    return ({"id": doc.id, "url_hash": url_hash(doc.url) if url and doc.url else None,
             "text_hash": text_hash(doc.text) if text else None, "band_keys": None, "signature": None,
             "shingles": None, "cluster_id": doc.extra.get(CLUSTER_COLUMN) if near else None,
             "dropped": f"{step}:{reason}" if step else None}, near)


def _with_keys(row: dict[str, Any]) -> bool:
    """False for a row with no key (e.g. dropped by URL dedup: its URL group's survivor has the row)."""
    return row["url_hash"] is not None or row["text_hash"] is not None or row["band_keys"] is not None


class JoinSketchesFn(beam.DoFn):
    """``(id, {"rows": [(row, near)], "sigs": [signature], "shingles": [hashes]})`` -> the row with
    the MinHash step's own signature and shingle hashes (the text is not hashed a second time)."""

    def __init__(self, bands: int, rows: int):
        self.bands, self.rows = bands, rows

    def process(self, element):
        _, grouped = element
        sigs, shingles = list(grouped["sigs"]), list(grouped.get("shingles", ()))
        for row, near in grouped["rows"]:
            if near and sigs:
                sig = np.frombuffer(sigs[0], dtype="<u4").reshape(1, -1)
                row["band_keys"], row["signature"] = band_keys(sig, self.bands, self.rows)[0], sigs[0]
                row["shingles"] = shingles[0] if shingles else None
            if _with_keys(row):
                yield row


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
    """``{"kept": documents, "rejected": Rejected of the global steps}`` -> ``DIR/index/*.parquet``
    (sorted by id, sharded like the corpus). ``order``: the global steps' names as they ran."""

    def __init__(self, output: str, minhash: dict[str, Any] | None, num_shards: int, order: list[str],
                 sketches=None):
        super().__init__()
        if minhash is not None and sketches is None:
            raise ValueError("WriteIndex with MinHash settings needs the MinHash step's sketches")
        self.output, self.minhash, self.order = output, minhash, list(order)
        self.num_shards = max(num_shards, 1)
        # MinHashDedup.sketches: (id, signature) and (id, shingle hashes) or None, from its run
        self.sketches = sketches

    def expand(self, inputs):
        n = self.num_shards
        kept = inputs["kept"] | "KeptEntries" >> beam.Map(lambda d: (d, None, None))
        dropped = inputs["rejected"] | "DroppedEntries" >> beam.Map(lambda r: (r.doc, r.step, r.reason))
        rows = (kept, dropped) | "Entries" >> beam.Flatten() | "Rows" >> beam.Map(light_row, self.order)
        if self.minhash is None:
            rows = rows | "WithKeys" >> beam.FlatMap(lambda rn: [rn[0]] if _with_keys(rn[0]) else [])
        else:
            sigs, shingles = self.sketches
            groups = {"rows": rows | "RowsById" >> beam.Map(lambda rn: (rn[0]["id"], rn)), "sigs": sigs}
            if shingles is not None:
                groups["shingles"] = shingles
            rows = (groups
                    | "JoinSketches" >> beam.CoGroupByKey()
                    | "IndexRows" >> beam.ParDo(JoinSketchesFn(self.minhash["bands"], self.minhash["rows"])))
        return (rows
                | "ByShard" >> beam.Map(lambda r: (shard_of(r["id"], n), r))
                | "GroupShards" >> beam.GroupByKey()
                | "Write" >> beam.ParDo(WriteIndexShardFn(self.output, n)))


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
        return (pbegin
                | "IndexFiles" >> beam.Create(self.files)
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
    distinct = new_keys | f"{label}Distinct" >> beam.Distinct()
    return (beam.pvalue.PBegin(new_keys.pipeline)
            | f"{label}Read" >> ReadPrevious(files, ["id", *columns])
            | f"{label}Match" >> beam.ParDo(MatchKeysFn(key_fn, value_fn), beam.pvalue.AsIter(distinct))
            # a stage boundary: Beam's local runner cannot fuse a side-input consumer into the
            # Flatten that also takes the side input's own upstream
            | f"{label}Settle" >> beam.Reshuffle())


def previous_node(prev_id: str) -> str:
    return PREVIOUS + prev_id


def is_previous(node: str) -> bool:
    return node.startswith(PREVIOUS)
