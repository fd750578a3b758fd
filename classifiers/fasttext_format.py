"""Checks a fastText ``.bin``/``.ftz`` file is whole before it is loaded.

fastText's loader reads its matrices with unchecked stream reads, so a truncated file "loads" and
then predicts garbage. We walk the file layout instead (fastText ``src/fasttext.cc``
``saveModel``, ``args.cc``, ``dictionary.cc``, ``densematrix.cc``, ``quantmatrix.cc``,
``productquantizer.cc``) and compare the size the headers promise with the real size.
"""
from __future__ import annotations

import os
import struct
from typing import BinaryIO

from classifiers.base import ModelFileError

MAGIC = 793712314  # FASTTEXT_FILEFORMAT_MAGIC_INT32
ARGS_BYTES = 12 * 4 + 8  # 12 int32 options, then the sampling threshold t as a double
KSUB = 256  # product-quantizer centroids per sub-quantizer (1 << nbits, nbits = 8)


class _Reader:
    def __init__(self, f: BinaryIO, path: str):
        self.f, self.path, self.pos = f, path, 0

    def read(self, n: int) -> bytes:
        data = self.f.read(n)
        if len(data) < n:
            raise ModelFileError(f"{self.path}: truncated fastText model (needs more than {self.pos + len(data)} bytes)")
        self.pos += n
        return data

    def read_word(self) -> None:
        """Skip a NUL-terminated string, scanning the read buffer rather than byte by byte."""
        while True:
            buf = self.f.peek(1)
            if not buf:
                raise ModelFileError(f"{self.path}: truncated fastText model (ends at byte {self.pos})")
            end = buf.find(b"\0")
            if end >= 0:
                self.read(end + 1)
                return
            self.read(len(buf))

    def skip(self, n: int) -> None:
        self.f.seek(n, os.SEEK_CUR)
        self.pos += n

    def unpack(self, fmt: str):
        return struct.unpack("<" + fmt, self.read(struct.calcsize("<" + fmt)))


def _skip_dictionary(r: _Reader) -> None:
    size, _nwords, _nlabels, _ntokens, prune_size = r.unpack("iiiqq")
    for _ in range(size):  # each entry: NUL-terminated word, int64 count, int8 type
        r.read_word()
        r.read(9)
    if prune_size > 0:
        r.skip(prune_size * 8)


def _skip_matrix(r: _Reader, quantized: bool) -> None:
    if not quantized:
        m, n = r.unpack("qq")
        r.skip(m * n * 4)
        return
    qnorm, m, _n, codesize = r.unpack("?qqi")
    r.skip(codesize)
    dim = r.unpack("iiii")[0]  # dim, nsubq, dsub, lastdsub; then dim * KSUB centroids
    r.skip(dim * KSUB * 4)
    if qnorm:
        r.skip(m)
        dim = r.unpack("iiii")[0]
        r.skip(dim * KSUB * 4)


def check_fasttext_file(path: str) -> None:
    """Raise :class:`ModelFileError` unless ``path`` is a complete fastText model file."""
    if not os.path.isfile(path):
        raise ModelFileError(f"fastText model not found: {path}")
    with open(path, "rb") as f:
        r = _Reader(f, path)
        head = f.read(8)
        r.pos = len(head)
        if len(head) < 8 or struct.unpack("<i", head[:4])[0] != MAGIC:
            raise ModelFileError(f"{path}: not a fastText model (bad header)")
        r.read(ARGS_BYTES)
        _skip_dictionary(r)
        _skip_matrix(r, r.unpack("?")[0])
        _skip_matrix(r, r.unpack("?")[0])
    size = os.path.getsize(path)
    if size < r.pos:
        raise ModelFileError(f"{path}: truncated fastText model ({size} bytes, the header promises {r.pos})")
    if size > r.pos:
        raise ModelFileError(f"{path}: {size - r.pos} trailing bytes after the model; not a fastText file")


def check_header(head: bytes, path: str) -> None:
    """The cheap check for remote files: the first 8 bytes must be fastText's magic and version."""
    if len(head) < 8 or struct.unpack("<i", head[:4])[0] != MAGIC:
        raise ModelFileError(f"{path}: not a fastText model (bad header)")
