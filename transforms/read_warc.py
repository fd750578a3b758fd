"""Web archives (WARC, ARC, WET; plain, gzip, LZ4 or zstd) -> one verdict per record.

Records are parsed by warcio from a :class:`~transforms.decompress.PlainStream`, so memory does not
grow with file size and gzip member boundaries do not matter. Every record comes out as exactly
one :class:`Document` to keep or one :class:`Drop`; damage is a drop too, so the funnel adds up:

- ``read_corrupt``: a record warcio cannot parse, or a corrupt compressed region. Reading resumes at
  the next ``WARC/1.x`` header after the bad one, so good records after the damage are kept;
- ``read_truncated``: a record whose payload ends before its ``Content-Length`` (a clipped file);
- ``read_not_archive``: a file with no record at all (for example a path list or a ``.txt``);
- ``read_empty_file``: a file with no bytes;
- ``read_too_large``: a payload above ``read.max_record_bytes`` (only that many bytes are read).
  After such a record, or one whose block runs past the end of the file, the next record is found
  by its header: a corrupted Content-Length cannot swallow the records after it;
- ``read_not_response``, ``read_http_status``, ``read_non_html``, ``read_empty_payload``: records
  that are not HTML pages (requests, metadata, redirects, images, ...).
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import os
import zlib
from typing import BinaryIO, Iterator

from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed

from transforms.decompress import PlainStream
from transforms.document import Document, stable_id
from transforms.keep_or_drop import Drop, Verdict
from transforms.urls import domain_of

HTML_TYPES = ("text/html", "application/xhtml+xml")
# What warcio and the HTTP/content decoders raise on damaged bytes.
READ_ERRORS = (ArchiveLoadFailed, zlib.error, EOFError, OSError, ValueError, UnicodeDecodeError,
               IndexError, KeyError, AttributeError, TypeError)
# Bytes kept behind the read position to rewind to a failed record (plus the record cap).
RESYNC_SLACK = 1 << 20


def header_charset(content_type: str | None) -> str | None:
    """The ``charset`` parameter of a Content-Type header, lower-cased."""
    if not content_type:
        return None
    for part in content_type.split(";")[1:]:
        key, _, value = part.strip().partition("=")
        if key.strip().lower() == "charset" and value:
            return value.strip().strip("\"'").lower() or None
    return None


def looks_like_html(head: bytes) -> bool:
    """Content sniffing for records served without a useful Content-Type."""
    head = head[:1024].lstrip().lower()
    return head.startswith((b"<!doctype html", b"<html", b"<?xml")) or b"<html" in head or b"<body" in head


def parse_date(value: str | None) -> dt.datetime | None:
    if not value:
        return None
    try:
        return dt.datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(dt.timezone.utc)
    except ValueError:
        return None


def _read_payload(record, cap: int) -> tuple[bytes, str | None]:
    """At most ``cap`` bytes of the record's decoded payload, and a drop reason if it is unusable."""
    data = record.content_stream().read(cap + 1)
    if len(data) > cap:
        return b"", "read_too_large"
    if _clipped(record, data):
        return b"", "read_truncated"
    return data, None


def _clipped(record, payload: bytes) -> bool:
    """The block ended before its Content-Length: the file was clipped inside this record.

    A complete HTTP body (its own Content-Length reached, no content encoding) is not clipped even
    when the archive's length field overstates the block, as in warcio's space-in-url ARC.
    """
    if getattr(record.raw_stream, "limit", 0) <= 0:
        return False
    http = record.http_headers
    if http is not None and not http.get_header("Content-Encoding"):
        declared = (http.get_header("Content-Length") or "").strip()
        if declared.isdigit():
            return len(payload) < int(declared)
    return True


def _resync(plain: PlainStream, last_start: int | None, failed_at: int) -> bool:
    """Move ``plain`` to the next record header after a parse failure at ``failed_at``.

    A header inside the last good record's block means that record's Content-Length was too long
    and swallowed the next record: resume there. Otherwise skip past the failed record.
    """
    if last_start is not None and last_start < failed_at:
        if plain.resync(last_start + 1) and plain.tell() < failed_at:
            return True
    return plain.resync(failed_at + 1)


class _QuietArchiveIterator(ArchiveIterator):
    # warcio writes a warning to stderr for each record with a wrong Content-Length; the reader
    # counts the damage as drops instead.
    INC_RECORD = ""


def record_verdict(record, warc_file: str, ordinal: int, max_record_bytes: int) -> Verdict:
    """One WARC/ARC record -> a Document with ``html`` (or ``text`` for WET) or a Drop."""
    headers = record.rec_headers
    rec_type = record.rec_type
    if rec_type not in ("response", "resource", "conversion"):
        return Drop("read_not_response")
    record_id = headers.get_header("WARC-Record-ID") or stable_id(warc_file, str(ordinal))
    url = headers.get_header("WARC-Target-URI")
    url = url.strip().strip("<>") if url else None
    doc = Document(id=stable_id(warc_file, record_id), url=url, domain=domain_of(url),
                   warc_date=parse_date(headers.get_header("WARC-Date")), warc_file=warc_file,
                   warc_record_id=record_id, source="web")
    if rec_type == "conversion":  # WET: text already extracted, always UTF-8 (CC's WET spec)
        payload, reason = _read_payload(record, max_record_bytes)
        if reason:
            return Drop(reason)
        return dataclasses.replace(doc, text=payload.decode("utf-8", errors="replace"))
    if record.http_headers is not None and rec_type == "response":
        if record.http_headers.get_statuscode() != "200":
            return Drop("read_http_status")
        content_type = record.http_headers.get_header("Content-Type")
    else:  # ARC records, resource records and header-less responses
        content_type = headers.get_header("Content-Type")
    mime = (content_type or "").split(";")[0].strip().lower()
    sniff = mime in ("", "text/plain", "application/octet-stream")
    if mime not in HTML_TYPES and not sniff:
        return Drop("read_non_html")  # decided on headers alone: the payload is never read
    payload, reason = _read_payload(record, max_record_bytes)
    if reason:
        return Drop(reason)
    if not payload:
        return Drop("read_empty_payload")
    if sniff and not looks_like_html(payload):
        return Drop("read_non_html")
    return dataclasses.replace(doc, html=payload, charset_hint=header_charset(content_type))


def read_warc(stream: BinaryIO, path: str, max_record_bytes: int) -> Iterator[Verdict]:
    """Stream a web archive record by record (see the module docstring for the drop reasons)."""
    logging.getLogger("warcio").setLevel(logging.ERROR)  # "Replacing spaces in URI" noise
    warc_file = os.path.basename(path)
    plain = PlainStream(stream, history_bytes=max_record_bytes + RESYNC_SLACK)
    records = drops = 0
    truncated_seen = False
    last_start = None  # where the last record that parsed began
    # A WARC file holds WARC records only: then garbage must not parse as an ARC record.
    is_warc = plain.peek(len(b"WARC/1.")) == b"WARC/1."
    while True:
        iterator = _QuietArchiveIterator(plain, arc2warc=True)
        if is_warc:
            iterator.known_format = "warc"
        failed_at = skip_from = None
        try:
            for record in iterator:
                if is_warc and record.length is None:
                    # No Content-Length (mandatory in WARC): warcio would take the rest of the file
                    # as this record's block. Treat the header as damage and resync past it.
                    failed_at = iterator.offset
                    break
                records += 1
                last_start = iterator.offset
                try:
                    verdict = record_verdict(record, warc_file, records, max_record_bytes)
                except READ_ERRORS:
                    verdict = Drop("read_corrupt")  # a bad payload; its Content-Length still holds
                reason = getattr(verdict, "reason", None)
                truncated_seen |= reason == "read_truncated"
                yield verdict
                if is_warc and reason in (None, "read_truncated", "read_too_large") and \
                        getattr(record.raw_stream, "limit", 0) > 0:
                    # An oversized block, or one that ran past the end of the file: find the next
                    # record by its header rather than trusting the Content-Length, which, if
                    # corrupted, would swallow the records after it.
                    skip_from = iterator.offset
                    break
        except READ_ERRORS:
            failed_at = iterator.offset
        iterator.close()
        if skip_from is not None:
            if plain.resync(skip_from + 1):
                continue
            break
        if failed_at is None:
            break
        found = _resync(plain, last_start, failed_at)
        if records == 0 and failed_at == 0 and not found:
            break  # not an archive at all: reported below
        drops += 1
        yield Drop("read_corrupt")
        if not found:
            break
    for _ in range(plain.damaged):
        drops += 1
        yield Drop("read_corrupt")
    if plain.truncated and not truncated_seen:
        drops += 1
        yield Drop("read_truncated")
    if records == 0 and drops == 0:
        yield Drop("read_empty_file" if plain.tell() == 0 else "read_not_archive")

