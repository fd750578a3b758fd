"""The one document record shared by every step, Beam and Parquet alike.

A :class:`Document` flows through the Beam pipeline; :func:`parquet_schema` is the pyarrow schema
of the output shards, and :func:`to_row` / :func:`from_row` convert between the two. This module
imports neither Beam nor torch, so the trainer and the classifiers can use it too.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
from typing import Any, Mapping

import pyarrow as pa

# Columns every shard has, in order. Steps add their own (scores, statistics, cluster sizes)
# through ``extra`` and declare their types so the schema is known before the pipeline runs.
BASE_FIELDS: tuple[pa.Field, ...] = (
    pa.field("id", pa.string(), nullable=False),
    pa.field("url", pa.string()),
    pa.field("domain", pa.string()),
    pa.field("title", pa.string()),
    pa.field("text", pa.string(), nullable=False),
    pa.field("lang", pa.string()),
    pa.field("lang_score", pa.float32()),
    # Milliseconds: Parquet has no seconds unit, so "s" would read back as "ms" and the shards'
    # schema would differ from this one.
    pa.field("warc_date", pa.timestamp("ms", tz="UTC")),
    pa.field("warc_file", pa.string()),
    pa.field("warc_record_id", pa.string()),
    pa.field("source", pa.string()),
)
REJECT_FIELDS: tuple[pa.Field, ...] = (
    pa.field("step", pa.string(), nullable=False),
    pa.field("reason", pa.string(), nullable=False),
)


@dataclasses.dataclass(frozen=True)
class Document:
    """One input record on its way through the pipeline.

    ``html`` and ``charset_hint`` carry the raw payload between reading and extraction and are
    never written out. ``extra`` holds step outputs (e.g. ``quality_fasttext``) that become
    Parquet columns.

    Frozen: Beam may hand one element to several transforms, so a step never edits its input; it
    returns a changed copy (``dataclasses.replace(doc, text=..., extra={**doc.extra, ...})``).
    ``extra`` is a plain dict (a read-only mapping would not pickle) that steps likewise copy
    rather than update.
    """

    id: str
    text: str = ""
    url: str | None = None
    domain: str | None = None
    title: str | None = None
    lang: str | None = None
    lang_score: float | None = None
    warc_date: dt.datetime | None = None
    warc_file: str | None = None
    warc_record_id: str | None = None
    source: str | None = None
    html: bytes | None = None
    charset_hint: str | None = None
    extra: dict[str, Any] = dataclasses.field(default_factory=dict)


def stable_id(*parts: str) -> str:
    """A deterministic 128-bit hex id from the record's identity (not its position in a run)."""
    h = hashlib.sha1("\x1f".join(parts).encode("utf-8"))
    return h.hexdigest()[:32]


def parquet_schema(extra: Mapping[str, pa.DataType] | None = None, rejected: bool = False) -> pa.Schema:
    """The shard schema: base columns, then step columns in the order given."""
    fields = list(BASE_FIELDS)
    for name, typ in (extra or {}).items():
        fields.append(pa.field(name, typ))
    if rejected:
        fields.extend(REJECT_FIELDS)
    return pa.schema(fields)


def to_row(doc: Document, schema: pa.Schema) -> dict[str, Any]:
    """A dict with exactly the schema's columns (missing step values become null)."""
    base = {f.name for f in BASE_FIELDS}
    row = {}
    for name in schema.names:
        if name in base:
            row[name] = getattr(doc, name)
        else:
            row[name] = doc.extra.get(name)
    if row.get("text") is None:
        row["text"] = ""
    date = row.get("warc_date")
    if date is not None and date.tzinfo is None:
        row["warc_date"] = date.replace(tzinfo=dt.timezone.utc)
    return row


def from_row(row: Mapping[str, Any]) -> Document:
    """Inverse of :func:`to_row`; unknown columns go to ``extra``."""
    base = {f.name for f in BASE_FIELDS}
    kwargs = {k: v for k, v in row.items() if k in base}
    extra = {k: v for k, v in row.items() if k not in base and k not in ("step", "reason")}
    return Document(**kwargs, extra=extra)
