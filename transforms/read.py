"""Reading input files into documents: web archives (see :mod:`transforms.read_warc`), JSONL(.gz)
and Parquet files of documents.

Every record a file holds comes out as exactly one :class:`Document` to keep or one
:class:`~transforms.keep_or_drop.Drop`; damage is one more drop (``read_corrupt``, ``read_bad_json``, ...),
so the funnel always adds up. Files are opened through Beam's FileSystems by the caller, so these
functions take a binary stream and stream it record by record: memory does not grow with file size.
"""
from __future__ import annotations

import datetime as dt
import json
import os
from typing import BinaryIO, Iterator

import pyarrow.parquet as pq

from transforms.decompress import RAW_CHUNK, PlainStream
from transforms.document import Document, stable_id
from transforms.keep_or_drop import Drop, Verdict
from transforms.read_warc import parse_date, read_warc
from transforms.urls import domain_of

DOCUMENT_SUFFIXES = (".jsonl", ".jsonl.gz", ".json.gz", ".ndjson", ".parquet")


def is_document_file(path: str) -> bool:
    return path.lower().endswith(DOCUMENT_SUFFIXES)


def read_file(stream: BinaryIO, path: str, max_record_bytes: int) -> Iterator[Verdict]:
    """Dispatch on the file name: document files (JSONL/Parquet) or web archives."""
    if is_document_file(path):
        yield from read_documents(stream, path, max_record_bytes)
    else:
        yield from read_warc(stream, path, max_record_bytes)


# --------------------------------------------------------------------------- document files

UTF8_BOM = b"\xef\xbb\xbf"


def _lines(plain: PlainStream) -> Iterator[bytes]:
    """Lines of a decompressed stream, read in blocks (memory bounded by the longest line).

    A UTF-8 byte order mark (Windows editors write one) is not part of the first line. When the
    compressed stream was cut (``plain.truncated``), the unfinished last line is the record the
    cut destroyed: it is left to the caller's one ``read_truncated`` drop, not counted twice."""
    rest, first = b"", True
    while True:
        block = plain.read(RAW_CHUNK)
        if not block:
            break
        if first:
            block, first = block.removeprefix(UTF8_BOM), False
        lines = (rest + block).split(b"\n")
        rest = lines.pop()
        yield from lines
    if rest and not plain.truncated:
        yield rest


def _rows_from_jsonl(plain: PlainStream) -> Iterator[dict | None]:
    """Rows of a JSONL file; ``None`` for a line that is not a JSON object."""
    for line in _lines(plain):
        if not line.strip():
            continue
        try:
            row = json.loads(line.decode("utf-8", errors="replace"))
        except json.JSONDecodeError:
            yield None
            continue
        yield row if isinstance(row, dict) else None


def _rows_from_parquet(stream: BinaryIO) -> Iterator[dict]:
    parquet = pq.ParquetFile(stream)
    for batch in parquet.iter_batches(batch_size=1024):
        yield from batch.to_pylist()


def _row_to_verdict(row: dict | None, name: str, ordinal: int, max_record_bytes: int) -> Verdict:
    if row is None:
        return Drop("read_bad_json")
    text = row.get("text")
    if not isinstance(text, str):
        return Drop("read_no_text")
    if len(text) > max_record_bytes:  # characters, a cheap upper bound check of the same cap
        return Drop("read_too_large")
    own_id = row.get("id")
    url = row.get("url") if isinstance(row.get("url"), str) else None
    date = row.get("warc_date") or row.get("date")
    if isinstance(date, str):
        date = parse_date(date)
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


def read_documents(stream: BinaryIO, path: str, max_record_bytes: int) -> Iterator[Verdict]:
    """Documents from JSONL(.gz) or Parquet with a ``text`` field; they skip extraction.

    Drops: ``read_bad_json`` (a line that is not a JSON object), ``read_no_text``, ``read_too_large``,
    ``read_corrupt`` / ``read_truncated`` (damaged file; rows before the damage are kept),
    ``read_empty_file``.
    """
    name = os.path.basename(path)
    ordinal = 0
    plain = None
    try:
        if path.lower().endswith(".parquet"):
            rows = _rows_from_parquet(stream)
        else:
            plain = PlainStream(stream, history_bytes=0)
            rows = _rows_from_jsonl(plain)
        for row in rows:
            ordinal += 1
            yield _row_to_verdict(row, name, ordinal, max_record_bytes)
    except (OSError, EOFError, ValueError):
        ordinal += 1
        yield Drop("read_corrupt")
    except Exception as exc:  # pyarrow raises its own error types for broken files
        if not type(exc).__module__.startswith("pyarrow"):
            raise
        ordinal += 1
        yield Drop("read_corrupt")
    if plain is not None:
        for _ in range(plain.damaged):
            ordinal += 1
            yield Drop("read_corrupt")
        if plain.truncated:
            ordinal += 1
            yield Drop("read_truncated")
    if ordinal == 0:
        yield Drop("read_empty_file")
