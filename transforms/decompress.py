"""One continuous, rewindable stream of decompressed bytes, whatever a file's compression.

Web archives come as plain files, gzip with one member per record (the WARC convention), gzip with
one member for the whole file (``example-bad-non-chunked``, which warcio refuses), LZ4 or zstd
(FastWARC's formats). :class:`PlainStream` hides all of these behind ``read``/``tell``, so the
record parser sees plain WARC bytes and record boundaries never depend on gzip member boundaries
(``example-wrong-chunks`` splits members mid-record).

Damage is recorded, never raised: a corrupt gzip member or zstd frame counts one ``damaged``
region and decompression resumes at the next member or frame header (zstd through the
``zstandard`` package, one frame per record as the WARC zstd convention writes them); a stream
that ends mid-member sets ``truncated``. FastWARC's LZ4 reader cannot be resynced: a corrupt LZ4
frame ends the file (one ``damaged`` region, the records before it kept). A bounded history of recent bytes lets the record parser rewind to just after a
record that failed to parse and look for the next record header there (:meth:`resync`).
"""
from __future__ import annotations

import collections
import re
import zlib
from typing import BinaryIO

import zstandard  # an Apache Beam dependency

GZIP_MAGIC = b"\x1f\x8b\x08"
LZ4_MAGIC = b"\x04\x22\x4d\x18"
ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
RAW_CHUNK = 1 << 16
# FastWARC's LZ4/zstd readers lose what they buffered when a frame is corrupt: keep that small.
FRAMED_BUFFER = 1 << 12
# Upper bound on the output of one decompress call: keeps a compression bomb from blowing memory.
MAX_OUT = 1 << 22
# What the decoders raise on a corrupt frame: FastWARC's LZ4 reader, and zstandard.
_DECODE_ERRORS = (OSError, ValueError, RuntimeError, zstandard.ZstdError)
# A WARC record starts with its version line (WARC 1.0 and 1.1 specs, section 4).
_WARC_START = re.compile(rb"(?:^|\n)(WARC/1\.[01]\r?\n)")


class PlainStream:
    """Decompressed bytes of ``raw`` with ``read(n)``, ``tell()`` and :meth:`resync`.

    ``history_bytes`` bounds how far back :meth:`resync` can rewind (the largest record the
    reader accepts plus slack); older bytes are forgotten, so memory stays bounded.
    """

    def __init__(self, raw: BinaryIO, history_bytes: int):
        self.raw = raw
        self.history_bytes = history_bytes
        self.damaged = 0          # corrupt compressed regions skipped
        self.truncated = False    # the compressed stream ended mid-member
        self._pos = 0
        self._pending = bytearray()
        self._history: collections.deque[bytes] = collections.deque()
        self._history_len = 0
        self._eof = False
        self._inflate = None      # zlib decompressor of the current gzip member
        self._in_damage = False
        head = raw.read(4)
        self._rawbuf = head
        if head.startswith(GZIP_MAGIC):
            self.compression = "gzip"
        elif head.startswith((LZ4_MAGIC, ZSTD_MAGIC)):
            self.compression = "lz4" if head.startswith(LZ4_MAGIC) else "zstd"
            self._framed = self._open_framed(head)
        else:
            self.compression = "none"

    # ------------------------------------------------------------------ file-like interface

    def tell(self) -> int:
        return self._pos

    def read(self, size: int = -1) -> bytes:
        want = size if size is not None and size >= 0 else 1 << 62
        while len(self._pending) < want and self._fill():
            pass
        out = bytes(self._pending[:want])
        del self._pending[:want]
        self._pos += len(out)
        self._remember(out)
        return out

    def peek(self, size: int) -> bytes:
        """The next ``size`` bytes, without consuming them."""
        while len(self._pending) < size and self._fill():
            pass
        return bytes(self._pending[:size])

    def close(self) -> None:
        self.raw.close()

    # ------------------------------------------------------------------ resync after a bad record

    def resync(self, offset: int) -> bool:
        """Continue at the first WARC record header after ``offset``; False when none is left.

        Rewinds to ``offset`` when it is still in the history, else scans on from here (the
        bytes in between are part of the damage the caller already counted).
        """
        if offset < self._pos:
            start = self._pos - self._history_len
            back = self._pos - max(offset, start)
            if back > 0:
                replay = b"".join(self._history)[-back:]
                self._pending[:0] = replay
                self._pos -= back
                self._forget_all()
        while offset > self._pos:  # skip forward to offset
            if not self._pending and not self._fill():
                return False
            self._skip(min(offset - self._pos, len(self._pending)))
        while True:
            match = _WARC_START.search(self._pending)
            if match:
                self._skip(match.start(1))
                return True
            keep = 9  # enough for a header split across two fills
            if len(self._pending) > keep:
                self._skip(len(self._pending) - keep)
            if not self._fill():
                self._skip(len(self._pending))
                return False

    def _skip(self, n: int) -> None:
        del self._pending[:n]
        self._pos += n

    # ------------------------------------------------------------------ internals

    def _remember(self, data: bytes) -> None:
        if not data:
            return
        self._history.append(data)
        self._history_len += len(data)
        while self._history and self._history_len - len(self._history[0]) >= self.history_bytes:
            self._history_len -= len(self._history.popleft())

    def _forget_all(self) -> None:
        self._history.clear()
        self._history_len = 0

    def _raw_read(self) -> bytes:
        if self._rawbuf:
            data, self._rawbuf = self._rawbuf, b""
            return data
        return self.raw.read(RAW_CHUNK)

    def _fill(self) -> bool:
        """Append more decompressed bytes to ``_pending``; False at the end of the file."""
        if self._eof:
            return False
        if self.compression == "none":
            data = self._raw_read() or None
        elif self.compression == "gzip":
            data = self._fill_gzip()
        else:
            data = self._fill_framed()
        if data is None:
            self._eof = True
            return False
        self._pending += data
        return True

    def _fill_gzip(self) -> bytes | None:
        """Decompress gzip member by member; skip to the next member header past damage."""
        while True:
            if self._inflate is not None and self._inflate.unconsumed_tail:
                data = self._inflate.unconsumed_tail
            else:
                data = self._raw_read()
            if not data:
                if self._inflate is not None:
                    self.truncated = True
                return None
            if self._inflate is None:
                data = data.lstrip(b"\x00\r\n\t ")  # padding between members is harmless
                while 0 < len(data) < len(GZIP_MAGIC):
                    more = self.raw.read(RAW_CHUNK)
                    if not more:
                        break
                    data += more
                if not data:
                    continue
                if not data.startswith(GZIP_MAGIC):
                    self._mark_damage()
                    self._rawbuf = self._seek_magic(data[1:], GZIP_MAGIC)
                    continue
                self._inflate = zlib.decompressobj(wbits=31)
            try:
                out = self._inflate.decompress(data, MAX_OUT)
            except zlib.error:
                self._mark_damage()
                self._inflate = None
                self._rawbuf = self._seek_magic(data[1:], GZIP_MAGIC)
                continue
            if self._inflate.eof:
                self._rawbuf = self._inflate.unused_data
                self._inflate = None
                self._in_damage = False
            if out:
                return out

    def _seek_magic(self, data: bytes, magic: bytes) -> bytes:
        """Raw bytes from the next ``magic`` (a gzip member or zstd frame header) on; empty at the
        end of the file."""
        while True:
            at = data.find(magic)
            if at >= 0:
                return data[at:]
            more = self.raw.read(RAW_CHUNK)
            if not more:
                return b""
            data = data[-(len(magic) - 1):] + more

    def _mark_damage(self) -> None:
        if not self._in_damage:
            self.damaged += 1
            self._in_damage = True

    def _open_framed(self, head: bytes):
        self._rawbuf = b""
        if self.compression == "zstd":
            return zstandard.ZstdDecompressor().stream_reader(
                _Prepended(head, self.raw), read_size=FRAMED_BUFFER, read_across_frames=True)
        # FastWARC (a Resiliparse dependency) ships the LZ4 decoder; it reads from a file object,
        # so hand it the stream with the sniffed bytes put back in front.
        from fastwarc.stream_io import Lz4Reader

        return Lz4Reader(_Prepended(head, self.raw), buffer_size=FRAMED_BUFFER)

    def _fill_framed(self) -> bytes | None:
        while True:
            try:
                data = self._framed.read(FRAMED_BUFFER)
            except _DECODE_ERRORS:
                self.damaged += 1
                if self.compression != "zstd":
                    return None
                # What the reader had buffered is lost with the bad frame; go on at the next frame.
                rest = self._seek_magic(b"", ZSTD_MAGIC)
                if not rest:
                    return None
                self._framed = self._open_framed(rest)
                continue
            return data or None


class _Prepended:
    """A read-only file object: ``head`` followed by the rest of ``raw``."""

    def __init__(self, head: bytes, raw: BinaryIO):
        self.head, self.raw, self._pos = head, raw, 0

    def read(self, size: int = -1) -> bytes:
        if not self.head:
            out = self.raw.read(size)
        elif size < 0:
            out, self.head = self.head + self.raw.read(), b""
        else:
            out, self.head = self.head[:size], self.head[size:]
            if len(out) < size:
                out += self.raw.read(size - len(out))
        self._pos += len(out)
        return out

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = 0) -> int:
        raise OSError("not seekable")

    def close(self) -> None:
        self.raw.close()
