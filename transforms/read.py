"""Reading input files into documents: WARC/ARC/WET through warcio, JSONL(.gz) and Parquet.

Every record a file holds comes out as exactly one :class:`Document` to keep or one
:class:`~transforms.step.Drop`; damage that stops a file is one more drop (``read_corrupt``), so
the funnel always adds up. Files are opened through Beam's FileSystems by the caller, so these
functions take a binary stream and stream it record by record: memory does not grow with file size.
"""
from __future__ import annotations

import datetime as dt
import gzip
import io
import json
import os
import zlib
from typing import BinaryIO, Iterator

import pyarrow.parquet as pq
from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed

from transforms.document import Document, stable_id
from transforms.step import Drop, Verdict
from transforms.urls import domain_of

DOCUMENT_SUFFIXES = (".jsonl", ".jsonl.gz", ".json.gz", ".ndjson", ".parquet")
HTML_TYPES = ("text/html", "application/xhtml+xml")
# Errors a damaged archive raises mid-stream (bad gzip, bad chunking, clipped members, bad headers).
READ_ERRORS = (ArchiveLoadFailed, zlib.error, EOFError, OSError, ValueError, UnicodeDecodeError,
               IndexError, KeyError, AttributeError, TypeError)


def is_document_file(path: str) -> bool:
    return path.lower().endswith(DOCUMENT_SUFFIXES)


def read_file(stream: BinaryIO, path: str, max_record_bytes: int) -> Iterator[Verdict]:
    """Dispatch on the file name: document files (JSONL/Parquet) or web archives."""
    if is_document_file(path):
        yield from read_documents(stream, path)
    else:
        yield from read_warc(stream, path, max_record_bytes)


# --------------------------------------------------------------------------- web archives

def _header_charset(content_type: str | None) -> str | None:
    if not content_type:
        return None
    for part in content_type.split(";")[1:]:
        key, _, value = part.strip().partition("=")
        if key.strip().lower() == "charset" and value:
            return value.strip().strip("\"'").lower() or None
    return None


def _looks_like_html(head: bytes) -> bool:
    head = head[:1024].lstrip().lower()
    return head.startswith((b"<!doctype html", b"<html", b"<?xml")) or b"<html" in head or b"<body" in head


def _parse_date(value: str | None) -> dt.datetime | None:
    if not value:
        return None
    try:
        return dt.datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(dt.timezone.utc)
    except ValueError:
        return None


def _read_capped(stream, cap: int) -> tuple[bytes, bool]:
    """Read at most ``cap`` bytes; the flag says whether the payload was longer (then it is
    dropped as ``read_too_large`` instead of being half-extracted)."""
    data = stream.read(cap + 1)
    return data[:cap], len(data) > cap


def _record_to_verdict(record, warc_file: str, ordinal: int, max_record_bytes: int) -> Verdict:
    headers = record.rec_headers
    rec_type = record.rec_type
    record_id = headers.get_header("WARC-Record-ID") or stable_id(warc_file, str(ordinal))
    url = headers.get_header("WARC-Target-URI")
    if url:
        url = url.strip().strip("<>")
    doc = Document(
        id=stable_id(warc_file, record_id),
        url=url,
        domain=domain_of(url),
        warc_date=_parse_date(headers.get_header("WARC-Date")),
        warc_file=warc_file,
        warc_record_id=record_id,
        source="web",
    )
    if rec_type == "conversion":  # WET: plain text already extracted
        payload, too_big = _read_capped(record.content_stream(), max_record_bytes)
        if too_big:
            return Drop("read_too_large")
        doc.text = payload.decode("utf-8", errors="replace")
        return doc
    if rec_type != "response":
        return Drop("warc_not_response")
    if record.http_headers is not None:
        status = record.http_headers.get_statuscode()
        if status != "200":
            return Drop("http_status")
        content_type = record.http_headers.get_header("Content-Type")
    else:  # ARC or header-less response
        content_type = headers.get_header("Content-Type")
    payload, too_big = _read_capped(record.content_stream(), max_record_bytes)
    if too_big:
        return Drop("read_too_large")
    if not payload:
        return Drop("read_empty_payload")
    mime = (content_type or "").split(";")[0].strip().lower()
    if mime not in HTML_TYPES and not (mime in ("", "text/plain", "application/octet-stream")
                                       and _looks_like_html(payload)):
        return Drop("non_html")
    doc.html = payload
    doc.charset_hint = _header_charset(content_type)
    return doc


def read_warc(stream: BinaryIO, path: str, max_record_bytes: int) -> Iterator[Verdict]:
    """Stream a WARC/ARC/WET (plain or gzip) record by record.

    A record that fails to parse ends the file: everything read before it is kept and the failure
    is one ``read_corrupt`` drop (a damaged gzip member or chunk cannot be skipped reliably).
    """
    warc_file = os.path.basename(path)
    ordinal = 0
    try:
        for record in ArchiveIterator(stream, arc2warc=True):
            ordinal += 1
            try:
                yield _record_to_verdict(record, warc_file, ordinal, max_record_bytes)
            except READ_ERRORS:
                yield Drop("read_corrupt")
                return
    except READ_ERRORS:
        yield Drop("read_corrupt")


# --------------------------------------------------------------------------- document files

def _rows_from_jsonl(stream: BinaryIO, path: str) -> Iterator[dict | None]:
    if path.lower().endswith(".gz"):
        stream = gzip.GzipFile(fileobj=stream)
    for line in io.TextIOWrapper(stream, encoding="utf-8", errors="replace"):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError:
            yield None
            continue
        yield row if isinstance(row, dict) else None


def _rows_from_parquet(stream: BinaryIO) -> Iterator[dict]:
    parquet = pq.ParquetFile(stream)
    for batch in parquet.iter_batches(batch_size=1024):
        yield from batch.to_pylist()


def _row_to_verdict(row: dict | None, name: str, ordinal: int) -> Verdict:
    if row is None:
        return Drop("read_bad_json")
    text = row.get("text")
    if not isinstance(text, str):
        return Drop("read_no_text")
    own_id = row.get("id")
    url = row.get("url") if isinstance(row.get("url"), str) else None
    date = row.get("warc_date") or row.get("date")
    if isinstance(date, str):
        date = _parse_date(date)
    elif not isinstance(date, dt.datetime):
        date = None
    lang = row.get("lang") if isinstance(row.get("lang"), str) else None
    return Document(
        id=str(own_id) if own_id is not None else stable_id(name, str(ordinal)),
        text=text,
        url=url,
        domain=domain_of(url),
        title=row.get("title") if isinstance(row.get("title"), str) else None,
        lang=lang,
        lang_score=float(row["lang_score"]) if lang and isinstance(row.get("lang_score"), (int, float)) else None,
        warc_date=date,
        warc_file=name,
        warc_record_id=None,
        source=row.get("source") if isinstance(row.get("source"), str) else os.path.splitext(name)[0].split(".")[0],
    )


def read_documents(stream: BinaryIO, path: str) -> Iterator[Verdict]:
    """Documents from JSONL(.gz) or Parquet with a ``text`` field; they skip extraction."""
    name = os.path.basename(path)
    ordinal = 0
    try:
        rows = _rows_from_parquet(stream) if path.lower().endswith(".parquet") else _rows_from_jsonl(stream, path)
        for row in rows:
            ordinal += 1
            yield _row_to_verdict(row, name, ordinal)
    except (OSError, EOFError, zlib.error, ValueError) as _:
        yield Drop("read_corrupt")
    except Exception as exc:  # pyarrow raises its own error types for broken files
        if type(exc).__module__.startswith("pyarrow"):
            yield Drop("read_corrupt")
        else:
            raise
