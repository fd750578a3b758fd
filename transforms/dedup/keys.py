"""Key records: the small facts the dedup steps decide on, made once per document.

The per-file stage (:mod:`transforms.process_files`) writes them beside each kept document, as the
``k_*`` columns of its work file: the hash of the normalised URL and capture time (URL dedup), the
hash of the normalised text and its rank (exact dedup), MinHash band keys and signature, and the
sorted shingle hashes when the Jaccard check is on (MinHash dedup), line hashes when line dedup is
on, and what record dedup needs to tell copies of one id apart. The dedup steps then read these
columns only (a few hundred bytes a document) and decide on them: documents never cross a shuffle.

A key record, as the dedup steps see it, is a dict of those columns plus ``id``, ``url``,
``warc_file`` and ``loc`` (the work file's index and the row's position in it: where its verdict
goes). This module holds the column names and the pure hashing functions; it imports no Beam.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import math
import re
import unicodedata
from typing import Any, Sequence

import numpy as np
import pyarrow as pa

from transforms.dedup.lsh import band_keys
from transforms.document import Document, stable_id
from transforms.urls import normalize_url

# Columns the dedup steps add to documents, named here so that every module can use them.
CLUSTER_COLUMN = "minhash_cluster_id"
PREVIOUS_COLUMN = "previous_id"
# Marks an earlier corpus's document among this run's ids: sorts before every id, so in a cluster
# the earlier document is the one that survives.
PREVIOUS = "\x00"
LOC = "loc"
# Characters of the text a key record carries for record dedup's order of copies: the full texts
# are read back only when two different copies of one id share this prefix.
RANK_CHARS = 256
_EPOCH = dt.datetime(1, 1, 1, tzinfo=dt.timezone.utc)
_SPACES = re.compile(r"\s+")

KEY_FIELDS = (
    pa.field("k_rank_text", pa.string()),  # record dedup: order of copies of one id
    pa.field("k_content", pa.binary(16)),  # record dedup: copies with this equal are one document
    pa.field("k_alt_id", pa.string()),  # record dedup: the id a distinct copy gets
    pa.field("k_url_hash", pa.binary(16)),
    pa.field("k_date", pa.float64()),
    pa.field("k_text_hash", pa.binary(16)),
    pa.field("k_score", pa.float64()),  # exact dedup: survivor rank
    pa.field("k_bands", pa.list_(pa.binary())),
    pa.field("k_signature", pa.binary()),
    pa.field("k_shingles", pa.binary()),  # sorted distinct shingle hashes, little-endian uint32
    pa.field("k_lines", pa.list_(pa.binary())),
)
KEY_COLUMNS = tuple(f.name for f in KEY_FIELDS)
# What only record dedup reads: dropped from a key record once it has decided.
RECORD_COLUMNS = ("k_rank_text", "k_content", "k_alt_id", "url", "warc_file")
# Document columns a key record also carries.
DOC_COLUMNS = ("id", "url", "warc_file")


def previous_node(prev_id: str) -> str:
    return PREVIOUS + prev_id


def is_previous(node: str) -> bool:
    return node.startswith(PREVIOUS)


def url_hash(url: str) -> bytes:
    return hashlib.sha1(normalize_url(url).encode("utf-8")).digest()[:16]


def normalize_text(text: str) -> str:
    return _SPACES.sub(" ", unicodedata.normalize("NFKC", text).lower()).strip()


def text_hash(text: str) -> bytes:
    """16 bytes of SHA-1 of the normalised text (a collision needs ~2^64 texts)."""
    return hashlib.sha1(normalize_text(text).encode("utf-8")).digest()[:16]


def line_hash(line: str) -> bytes:
    """8 bytes of SHA-1 of the stripped line (collisions are negligible below ~2^32 lines)."""
    return hashlib.sha1(line.strip().encode("utf-8")).digest()[:8]


def line_hashes(text: str, min_line_chars: int) -> list[bytes]:
    """The distinct hashes of the long-enough lines of ``text``, in order of first appearance."""
    seen: dict[bytes, None] = {}
    for line in text.split("\n"):
        if len(line.strip()) >= min_line_chars:
            seen.setdefault(line_hash(line), None)
    return list(seen)


def timestamp(date: dt.datetime | None) -> float:
    """Seconds for ordering captures; a missing date sorts before every real one."""
    if date is None:
        return _EPOCH.timestamp()
    if date.tzinfo is None:
        date = date.replace(tzinfo=dt.timezone.utc)
    return date.timestamp()


def score_of(doc: Document, score_column: str) -> float:
    """Exact dedup's survivor score; missing or NaN ranks below every real score."""
    value = doc.extra.get(score_column) if score_column else None
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return -math.inf
    return float(value)


def content_hash(doc: Document) -> bytes:
    """Record dedup's identity of a copy: its text and URL."""
    return hashlib.sha1("\x1f".join([doc.text or "", doc.url or ""]).encode("utf-8")).digest()[:16]


class Keyer:
    """Computes the ``k_*`` columns of a batch of documents.

    ``score_column``: exact dedup's survivor column; ``minhash``: a
    :class:`transforms.dedup.minhash.MinHasher`-like object with settings (None: MinHash dedup off);
    ``min_line_chars``: line dedup's setting (None: off). URL and text hashes are always made: the
    dedup index records them for every kept document, also when their steps are off."""

    def __init__(self, score_column: str = "", minhash: dict[str, Any] | None = None,
                 min_line_chars: int | None = None):
        self.score_column, self.minhash, self.min_line_chars = score_column, minhash, min_line_chars
        self._hasher = None

    def setup(self) -> None:
        if self.minhash is not None:
            from transforms.dedup.minhash import MinHasher

            m = self.minhash
            self._hasher = MinHasher(m["num_perm"], m["seed"], m["scheme"], m["numba"])

    def keys(self, docs: Sequence[Document]) -> list[dict[str, Any]]:
        """One dict of ``k_*`` values per document; MinHash fields None for a text without shingles."""
        out = []
        for doc in docs:
            text = doc.text or ""
            out.append({
                "k_rank_text": text[:RANK_CHARS], "k_content": content_hash(doc),
                "k_alt_id": stable_id(doc.id, text, doc.url or ""),
                "k_url_hash": url_hash(doc.url) if doc.url else None, "k_date": timestamp(doc.warc_date),
                "k_text_hash": text_hash(text), "k_score": score_of(doc, self.score_column),
                "k_bands": None, "k_signature": None, "k_shingles": None,
                "k_lines": line_hashes(text, self.min_line_chars) if self.min_line_chars is not None else None})
        if self.minhash is not None and docs:
            self._minhash_keys(docs, out)
        return out

    def _minhash_keys(self, docs: Sequence[Document], out: list[dict[str, Any]]) -> None:
        from transforms.dedup.minhash import batch_hashes, unique_hashes

        m = self.minhash
        # each shingle hashed once, for both the signature and the Jaccard check's hash set
        hashes, offsets = batch_hashes([d.text for d in docs], [d.lang for d in docs], m["word_ngram"],
                                       m["char_ngram"], m["numba"])
        keep = np.flatnonzero(np.diff(offsets))
        if not len(keep):
            return
        sigs = self._hasher.flat(hashes, offsets)[keep]
        uniques = unique_hashes(hashes, offsets) if m["verify_jaccard"] else None
        for i, bands, sig in zip(keep, band_keys(sigs, m["bands"], m["rows"]), sigs):
            row = out[i]
            row["k_bands"], row["k_signature"] = bands, sig.astype("<u4").tobytes()
            if uniques is not None:
                row["k_shingles"] = uniques[i].astype("<u4").tobytes()


def key_record(row: dict[str, Any], loc: tuple[int, int]) -> dict[str, Any]:
    """A work-file row (its key and document columns) -> the key record the dedup steps read."""
    record = {name: row.get(name) for name in (*DOC_COLUMNS, *KEY_COLUMNS) if name in row}
    record[LOC] = loc
    return record


def without_keys(row: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Split a work-file row into ``(document columns, key columns)``."""
    keys = {name: row.pop(name, None) for name in KEY_COLUMNS}
    return row, keys
