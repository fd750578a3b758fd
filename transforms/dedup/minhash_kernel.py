"""The MinHash kernels (Numba): shingle hashing straight from the text bytes, then permute-and-min.

:func:`shingle_hashes` reads each document as one UTF-8 buffer of its normalised units (words
joined by one space, or characters with no separator; :func:`.shingles.joined_units`). A shingle is
the contiguous byte slice from the start of unit ``i`` to the end of unit ``i + n - 1``, exactly the
bytes of the string :func:`.shingles.shingles` would build, so SHA-1 runs over the slice in place: no
Python strings, no set, no hashlib call per shingle (that was ~90 % of the time). Duplicated
shingles are hashed again; they cannot change a minimum. The hashes land in one uint32 array (4
bytes a shingle) rather than being fused into the permutation loop, because the Jaccard check
needs them too; the permutation pass is ~3 % (affine32) to ~11 % (legacy) of the time on the peer
kit's texts, the rest is shingling in Python (~45 %) and SHA-1. The permutation kernels compute each
permuted value in registers and keep only the running minimum (the NumPy path in :mod:`.minhash`
makes about eight passes over an ``(shingles, num_perm)`` array). Same arithmetic as datasketch,
so the same bits. Importing this module compiles nothing; the first call compiles (a few seconds,
cached on disk where the package directory is writable).

All arithmetic is uint64 with explicit masks: Numba widens 32-bit scalars to 64 bits, and mixing
uint64 with a signed literal would give float64, hence the typed constants.
"""
from __future__ import annotations

import numba
import numpy as np

_P = np.uint64((1 << 61) - 1)
_M = np.uint64((1 << 32) - 1)
_S = np.uint64(61)
_U = np.uint64
_SPACE = np.uint8(0x20)
_CONT_MASK, _CONT = np.uint8(0xC0), np.uint8(0x80)
# SHA-1 (FIPS 180-4): initial state and round constants
_H = (_U(0x67452301), _U(0xEFCDAB89), _U(0x98BADCFE), _U(0x10325476), _U(0xC3D2E1F0))
_K = (_U(0x5A827999), _U(0x6ED9EBA1), _U(0x8F1BBCDC), _U(0xCA62C1D6))
# MurmurHash3 fmix32 (datasketch ``_fmix(h, 32)``, the affine32 pre-mix)
_F1, _F2 = _U(0x85EBCA6B), _U(0xC2B2AE35)


@numba.njit(inline="always")
def _rotl(x, n):
    return ((x << _U(n)) | (x >> _U(32 - n))) & _M


@numba.njit(nogil=True)
def sha1_32(buf, start, length, w):  # pragma: no cover - compiled; checked against hashlib in tests
    """``datasketch.hashfunc.sha1_hash32`` of ``buf[start:start + length]``: the first 4 bytes of
    the SHA-1 digest read little endian (h0 byte-swapped). ``w``: an 80-word uint32 scratch."""
    h0, h1, h2, h3, h4 = _H
    blocks = (length + 8) // 64 + 1  # message + 0x80 + 64-bit length, padded to 64 bytes
    for blk in range(blocks):
        off = blk * 64
        if off + 64 <= length:  # a whole block of message bytes
            p = start + off
            for t in range(16):
                q = p + 4 * t
                w[t] = ((_U(buf[q]) << _U(24)) | (_U(buf[q + 1]) << _U(16)) | (_U(buf[q + 2]) << _U(8))
                        | _U(buf[q + 3]))
        else:  # the tail: message bytes, 0x80, zeros, and in the last block the bit length
            for t in range(16):
                v = _U(0)
                for k in range(4):
                    i = off + 4 * t + k
                    byte = _U(buf[start + i]) if i < length else (_U(0x80) if i == length else _U(0))
                    v = (v << _U(8)) | byte
                w[t] = v
            if blk == blocks - 1:
                bits = _U(length) * _U(8)
                w[14] = bits >> _U(32)
                w[15] = bits & _M
        for t in range(16, 80):
            w[t] = _rotl(_U(w[t - 3]) ^ _U(w[t - 8]) ^ _U(w[t - 14]) ^ _U(w[t - 16]), 1)
        a, b, c, d, e = h0, h1, h2, h3, h4
        for t in range(20):
            f = (b & c) | ((b ^ _M) & d)
            a, b, c, d, e = (_rotl(a, 5) + f + e + _K[0] + _U(w[t])) & _M, a, _rotl(b, 30), c, d
        for t in range(20, 40):
            a, b, c, d, e = (_rotl(a, 5) + (b ^ c ^ d) + e + _K[1] + _U(w[t])) & _M, a, _rotl(b, 30), c, d
        for t in range(40, 60):
            f = (b & c) | (b & d) | (c & d)
            a, b, c, d, e = (_rotl(a, 5) + f + e + _K[2] + _U(w[t])) & _M, a, _rotl(b, 30), c, d
        for t in range(60, 80):
            a, b, c, d, e = (_rotl(a, 5) + (b ^ c ^ d) + e + _K[3] + _U(w[t])) & _M, a, _rotl(b, 30), c, d
        h0, h1, h2, h3, h4 = (h0 + a) & _M, (h1 + b) & _M, (h2 + c) & _M, (h3 + d) & _M, (h4 + e) & _M
    return (((h0 & _U(0xFF)) << _U(24)) | ((h0 & _U(0xFF00)) << _U(8)) | ((h0 >> _U(8)) & _U(0xFF00))
            | (h0 >> _U(24)))


@numba.njit(cache=True, nogil=True)
def shingle_hashes(buf, doc_offsets, by_char, ngram, out):  # pragma: no cover - compiled; tested
    """SHA-1 hashes of every shingle (duplicates included) of each document ``d`` =
    ``buf[doc_offsets[d]:doc_offsets[d+1]]`` of units, character units where ``by_char[d]``, in
    n-grams of ``ngram[d]`` units (a document shorter than n units is one shingle). Writes them
    to ``out`` (at least one slot per unit) and returns the per-document offsets into ``out``."""
    w = np.empty(80, dtype=np.uint32)
    starts = np.empty(buf.shape[0] + 1, dtype=np.int64)  # unit starts, then one past the end
    counts = np.zeros(doc_offsets.shape[0], dtype=np.int64)
    pos = 0
    for d in range(doc_offsets.shape[0] - 1):
        lo, hi = doc_offsets[d], doc_offsets[d + 1]
        units = 0
        if by_char[d]:  # a character starts at every byte that is not a UTF-8 continuation byte
            for i in range(lo, hi):
                if buf[i] & _CONT_MASK != _CONT:
                    starts[units] = i
                    units += 1
            gap = 0
        else:  # words: the first byte and every byte after a space
            for i in range(lo, hi):
                if i == lo or buf[i - 1] == _SPACE:
                    starts[units] = i
                    units += 1
            gap = 1  # the space after the last word of a shingle is not part of it
        starts[units] = hi + gap
        n = min(ngram[d], units)
        for s in range(units - n + 1 if units else 0):
            first, end = starts[s], starts[s + n] - gap
            out[pos] = sha1_32(buf, first, end - first, w)
            pos += 1
        counts[d + 1] = pos
    return counts


@numba.njit(cache=True, nogil=True)
def permute_min_legacy(hashes, offsets, a, b, out):  # pragma: no cover - compiled; checked against NumPy
    """datasketch's legacy scheme: ``out[d, k] = min over hashes[offsets[d]:offsets[d+1]] of
    ((a[k] h + b[k]) mod 2^64 mod p) & (2^32 - 1)``; ``out`` comes filled with the empty value."""
    num_perm = a.shape[0]
    for d in range(offsets.shape[0] - 1):
        row = out[d]
        for i in range(offsets[d], offsets[d + 1]):
            h = _U(hashes[i])
            for k in range(num_perm):
                x = h * a[k] + b[k]
                y = (x & _P) + (x >> _S)  # x mod p for a Mersenne p, then one subtraction
                if y >= _P:
                    y -= _P
                v = y & _M
                if v < row[k]:
                    row[k] = v


@numba.njit(cache=True, nogil=True)
def permute_min_affine32(hashes, offsets, a, b, out):  # pragma: no cover - compiled; checked against NumPy
    """datasketch's affine32 scheme: ``out[d, k] = min over h of (a[k] fmix32(h) + b[k]) mod 2^32``."""
    num_perm = a.shape[0]
    for d in range(offsets.shape[0] - 1):
        row = out[d]
        for i in range(offsets[d], offsets[d + 1]):
            h = _U(hashes[i])
            h ^= h >> _U(16)
            h = (h * _F1) & _M
            h ^= h >> _U(13)
            h = (h * _F2) & _M
            h ^= h >> _U(16)
            for k in range(num_perm):
                v = (_U(a[k]) * h + _U(b[k])) & _M
                if v < row[k]:
                    row[k] = v
