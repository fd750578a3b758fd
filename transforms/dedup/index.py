"""The dedup index written beside every run's shards: its format, settings and rows.

``DIR/index/index-SSSSS-of-NNNNN.parquet`` (one per input file, written by the second per-file
pass from the work file's key columns and the document's verdicts: :mod:`transforms.process_files`) holds one row per document that took part in a dedup
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
joins the earlier cluster, as in one run). These are the keys the dedup steps decided on, made once
in the per-file stage (:mod:`.keys`): line dedup, after them and off by default, may shorten the
text later. A
document that URL dedup dropped has no row: its URL's survivor has one. A kept document has every key, also of steps that were off.

What still differs from one run, by design: the earlier corpus is final. An earlier copy always
survives (one run may keep the later capture of a URL or the smaller id), and two earlier
documents that one new document links are not merged after the fact.

Reading an index back is :mod:`.previous`. An index of format 1 (kept documents only, before the rows above) is refused with a message to
curate that corpus again: read as is, it would silently keep copies of what it dropped.
"""
from __future__ import annotations

import json
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
from apache_beam.io.filesystem import CompressionTypes
from apache_beam.io.filesystems import FileSystems

from transforms.dedup.keys import CLUSTER_COLUMN, url_hash  # noqa: F401 - url_hash: the index's URL key
from transforms.dedup.lsh import minhash_params

INDEX = "index"
SETTINGS = "settings.json"
FORMAT = 2
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


def minhash_settings(config: dict[str, Any]) -> dict[str, Any] | None:
    """What band keys and signatures depend on; None when MinHash dedup is off."""
    section = config.get("minhash_dedup", {})
    if not section.get("enabled", True):
        return None
    params = minhash_params(**{k: v for k, v in section.items() if k != "enabled"})
    return {k: params[k] for k in ("num_perm", "seed", "scheme", "bands", "rows", "word_ngram", "char_ngram",
                                   "threshold", "verify_jaccard", "numba")}


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


def index_keys(order: list[str], dropped_step: str | None) -> tuple[bool, bool, bool]:
    """Which keys ``(url, text, minhash)`` the row of a document records: every one when it was
    kept; else those of the dedup steps it passed in ``order`` (the global steps as they ran),
    and its MinHash keys when MinHash dedup itself dropped it (it was a node of that graph)."""
    if dropped_step is None:
        return True, True, True
    passed = order[:order.index(dropped_step)] if dropped_step in order else []
    return URL_STEP in passed, EXACT_STEP in passed, MINHASH_STEP in passed or dropped_step == MINHASH_STEP


def index_row(doc_id: str, keys: dict[str, Any], extra: dict[str, Any], order: list[str],
              dropped: tuple[str, str] | None) -> dict[str, Any] | None:
    """The row of a document that reached the dedup steps: ``keys`` are its key columns
    (:mod:`.keys`), ``extra`` its columns at the end (the MinHash cluster), ``dropped`` the
    ``(step, reason)`` that removed it (None: kept). None for a row with no key (e.g. dropped by
    URL dedup: its URL group's survivor has the row)."""
    step = dropped[0] if dropped else None
    url, text, near = index_keys(order, step)
    row = {"id": doc_id, "url_hash": keys["k_url_hash"] if url else None,
           "text_hash": keys["k_text_hash"] if text else None,
           "band_keys": keys["k_bands"] if near else None, "signature": keys["k_signature"] if near else None,
           "shingles": keys["k_shingles"] if near else None,
           "cluster_id": extra.get(CLUSTER_COLUMN) if near else None,
           "dropped": f"{dropped[0]}:{dropped[1]}" if dropped else None}
    if row["url_hash"] is None and row["text_hash"] is None and row["band_keys"] is None:
        return None
    return row


def index_path(output: str, shard: int, num_shards: int) -> str:
    return FileSystems.join(output, INDEX, f"index-{shard:05d}-of-{num_shards:05d}.parquet")


def write_index_file(path: str, rows: list[dict[str, Any]]) -> None:
    """``rows`` sorted by id into one index file (nothing written for no rows)."""
    if not rows:
        return
    rows = sorted(rows, key=lambda r: r["id"])
    with FileSystems.create(path, compression_type=CompressionTypes.UNCOMPRESSED) as f:
        pq.write_table(pa.Table.from_pylist(rows, schema=SCHEMA), f, compression="zstd")
