"""MinHash signatures bit-identical to ``datasketch.MinHash(num_perm, seed, scheme=...)`` (2.0).

datasketch (``minhash.py``) hashes each shingle with the first 4 bytes of SHA-1 (little endian,
``hashfunc.sha1_hash32``) and keeps, per permutation, the minimum over the shingles of
  - ``affine32`` (its default since 2.0): ``(a * fmix32(h) + b) mod 2^32`` with odd ``a``;
    ``a = 2 * randint(0, 2^31) + 1`` then ``b = randint(0, 2^32)``, each drawn as one uint32
    array from ``np.random.RandomState(seed)``; fmix32 is the MurmurHash3 finalizer.
  - ``legacy`` (before 2.0): ``((a * h + b) mod 2^64 mod p) & (2^32 - 1)``, ``p = 2^61 - 1``
    (Broder 1997, universal hashing), ``a in [1, p)``, ``b in [0, p)`` drawn pairwise.
The sketches of the two schemes cannot be compared. We compute the same values over a whole batch
of documents at once. With Numba (:mod:`.minhash_kernel`) the shingles are hashed straight from
the UTF-8 bytes of each document's normalised text, then permuted keeping running minima in a
second loop; without it, shingle sets are hashed with hashlib and permuted with NumPy in cache-sized
chunks, reduced per document with ``np.minimum.reduceat``. The same hashes give the sorted shingle
sets of the Jaccard check (:func:`unique_hashes`), so each shingle is hashed once. Legacy uses the
Mersenne identity ``x mod p = (x & p) + (x >> 61)`` (then one conditional subtraction) instead of a
division.
"""
from __future__ import annotations

import functools
import hashlib
from typing import Iterable, Sequence

import numpy as np

from transforms.dedup.shingles import joined_units, shingles, uses_characters

SCHEMES = ("affine32", "legacy")
MERSENNE_PRIME = np.uint64((1 << 61) - 1)
MAX_HASH = np.uint64((1 << 32) - 1)
_SHIFT = np.uint64(61)
# Rows of shingle hashes permuted at once: 4096 x 128 x 8 bytes = 4 MiB, near the L2/L3 boundary,
# the fastest of 256..16384 measured on the 2-core dev machine.
_CHUNK_ROWS = 4096


@functools.lru_cache(maxsize=8)
def permutations(num_perm: int, seed: int, scheme: str = "affine32") -> tuple[np.ndarray, np.ndarray]:
    """``(a, b)`` exactly as ``datasketch.MinHash(num_perm, seed, scheme=scheme)`` draws them:
    uint32 arrays for affine32, uint64 for legacy."""
    if num_perm < 1:
        raise ValueError(f"num_perm must be positive, got {num_perm}")
    if scheme not in SCHEMES:
        raise ValueError(f"scheme must be one of {', '.join(SCHEMES)}, got {scheme!r}")
    gen = np.random.RandomState(seed)
    if scheme == "affine32":
        a = gen.randint(0, 1 << 31, num_perm, dtype=np.uint32) * np.uint32(2) + np.uint32(1)
        b = gen.randint(0, 1 << 32, num_perm, dtype=np.uint32)
    else:
        pairs = [(gen.randint(1, MERSENNE_PRIME, dtype=np.uint64), gen.randint(0, MERSENNE_PRIME, dtype=np.uint64))
                 for _ in range(num_perm)]
        a, b = np.array(pairs, dtype=np.uint64).T.copy()
    a.setflags(write=False)
    b.setflags(write=False)
    return a, b


def hash_shingles(shingles: Iterable[str]) -> np.ndarray:
    """32-bit SHA-1 hashes (``datasketch.hashfunc.sha1_hash32``) of the UTF-8 shingles, as uint32.
    The 20-byte digests are joined and read as little-endian uint32 words; every fifth is a hash."""
    sha1 = hashlib.sha1
    digests = b"".join([sha1(s.encode("utf-8")).digest() for s in shingles])
    return np.frombuffer(digests, dtype="<u4")[::5].astype(np.uint32)


def batch_hashes(texts: Sequence[str], langs: Sequence[str | None], word_ngram: int = 5, char_ngram: int = 5,
                 use_numba: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """``(hashes, offsets)``: the 32-bit SHA-1 hashes of each text's shingles
    (:func:`.shingles.shingles`), text ``d``'s in ``hashes[offsets[d]:offsets[d+1]]``, uint32.
    With Numba they are hashed in place from one UTF-8 buffer and repeated shingles are hashed
    again (a minimum, and :func:`unique_hashes`, ignore repeats); without Numba (or ``use_numba``
    false), hashlib over each distinct shingle."""
    kernel = _kernels() if use_numba else None
    if kernel is None:
        return _flatten([hash_shingles(shingles(t, lang, word_ngram, char_ngram)) for t, lang in zip(texts, langs)])
    by_char = np.array([uses_characters(t, lang) for t, lang in zip(texts, langs)], dtype=np.bool_)
    parts = [joined_units(t, c).encode("utf-8") for t, c in zip(texts, by_char)]
    doc_offsets = np.zeros(len(parts) + 1, dtype=np.int64)
    np.cumsum([len(p) for p in parts], out=doc_offsets[1:])
    buf = np.frombuffer(b"".join(parts), dtype=np.uint8)
    ngram = np.where(by_char, char_ngram, word_ngram).astype(np.int64)
    out = np.empty(len(buf), dtype=np.uint32)  # at most one shingle per unit, one unit per byte
    offsets = kernel.shingle_hashes(buf, doc_offsets, by_char, ngram, out)
    return out[:offsets[-1]], offsets


def unique_hashes(hashes: np.ndarray, offsets: np.ndarray) -> list[np.ndarray]:
    """Each document's sorted distinct shingle hashes (its shingle set, for the Jaccard check)."""
    return [np.unique(hashes[offsets[d]:offsets[d + 1]]) for d in range(len(offsets) - 1)]


def _flatten(hash_lists: Sequence[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    offsets = np.zeros(len(hash_lists) + 1, dtype=np.int64)
    np.cumsum([len(h) for h in hash_lists], out=offsets[1:])
    hashes = np.concatenate(hash_lists).astype(np.uint32, copy=False) if hash_lists else np.zeros(0, np.uint32)
    return hashes, offsets


def fmix32(h: np.ndarray) -> np.ndarray:
    """MurmurHash3's 32-bit finalizer (datasketch ``_fmix(h, 32)``), element-wise on uint32."""
    h = h.astype(np.uint32)
    h ^= h >> np.uint32(16)
    h *= np.uint32(0x85EBCA6B)
    h ^= h >> np.uint32(13)
    h *= np.uint32(0xC2B2AE35)
    h ^= h >> np.uint32(16)
    return h


class MinHasher:
    """Signatures for ``num_perm`` permutations drawn from ``seed`` (datasketch's defaults: 128, 1)
    in datasketch's ``scheme``: uint32 values for affine32, uint64 (below 2^32) for legacy, as
    datasketch stores them; all the maximum (datasketch's empty value) for a document with no
    shingles."""

    def __init__(self, num_perm: int = 128, seed: int = 1, scheme: str = "affine32", use_numba: bool = True):
        self.num_perm, self.seed, self.scheme, self.use_numba = num_perm, seed, scheme, use_numba
        self.a, self.b = permutations(num_perm, seed, scheme)
        self.dtype = np.uint32 if scheme == "affine32" else np.uint64

    def signature(self, hashes: np.ndarray) -> np.ndarray:
        """One document's signature."""
        return self.signatures([hashes])[0]

    def signatures(self, hash_lists: Sequence[np.ndarray]) -> np.ndarray:
        """``(len(hash_lists), num_perm)`` signatures of a batch of documents' shingle hashes."""
        return self.flat(*_flatten(hash_lists))

    def flat(self, hashes: np.ndarray, offsets: np.ndarray) -> np.ndarray:
        """Signatures of documents whose hashes are ``hashes[offsets[d]:offsets[d+1]]``: the fused
        Numba kernel when Numba is installed and ``use_numba``, else NumPy (the same values)."""
        kernel = _kernels() if self.use_numba else None
        if kernel is None:
            return self.flat_numpy(hashes, offsets)
        out = np.full((len(offsets) - 1, self.num_perm), MAX_HASH, dtype=self.dtype)
        permute_min = kernel.permute_min_affine32 if self.scheme == "affine32" else kernel.permute_min_legacy
        permute_min(hashes, offsets, self.a, self.b, out)
        return out

    def signatures_numpy(self, hash_lists: Sequence[np.ndarray]) -> np.ndarray:
        """:meth:`signatures` in NumPy only."""
        return self.flat_numpy(*_flatten(hash_lists))

    def flat_numpy(self, hashes: np.ndarray, offsets: np.ndarray) -> np.ndarray:
        """:meth:`flat` in NumPy only: chunks of rows permuted, reduced per document."""
        out = np.full((len(offsets) - 1, self.num_perm), MAX_HASH, dtype=self.dtype)
        group: list[int] = []
        rows = 0
        for d in range(len(offsets) - 1):
            lo, hi = int(offsets[d]), int(offsets[d + 1])
            if hi == lo:
                continue
            if hi - lo >= _CHUNK_ROWS:  # a long document alone, in chunks
                for s in range(lo, hi, _CHUNK_ROWS):
                    np.minimum(out[d], self._permute(hashes[s:min(s + _CHUNK_ROWS, hi)]).min(axis=0), out=out[d])
                continue
            group.append(d)
            rows += hi - lo
            if rows >= _CHUNK_ROWS:
                self._reduce_group(hashes, offsets, group, out)
                group, rows = [], 0
        if group:
            self._reduce_group(hashes, offsets, group, out)
        return out

    def _reduce_group(self, hashes, offsets, group: list[int], out: np.ndarray) -> None:
        parts = [hashes[offsets[d]:offsets[d + 1]] for d in group]
        starts = np.zeros(len(parts), dtype=np.intp)
        np.cumsum([len(p) for p in parts[:-1]], out=starts[1:])
        out[group] = np.minimum.reduceat(self._permute(np.concatenate(parts)), starts, axis=0)

    def _permute(self, hashes: np.ndarray) -> np.ndarray:
        """``(len(hashes), num_perm)`` permuted values, computed in place on one buffer."""
        if self.scheme == "affine32":
            x = np.multiply(fmix32(hashes).reshape(-1, 1), self.a)  # wraps mod 2^32, as in datasketch
            x += self.b
            return x
        x = np.multiply(hashes.astype(np.uint64).reshape(-1, 1), self.a)  # wraps mod 2^64, as in datasketch
        x += self.b
        y = np.bitwise_and(x, MERSENNE_PRIME)
        x >>= _SHIFT
        y += x
        np.subtract(y, MERSENNE_PRIME, out=y, where=y >= MERSENNE_PRIME)
        y &= MAX_HASH
        return y


@functools.lru_cache(maxsize=1)
def _kernels():
    """The Numba kernel module, or None without Numba (an optional speed-up, not a requirement)."""
    try:
        from transforms.dedup import minhash_kernel
    except ImportError:
        return None
    return minhash_kernel


def jaccard(hashes_a: np.ndarray, hashes_b: np.ndarray) -> float:
    """Exact Jaccard similarity of two sets of shingle hashes (duplicates ignored)."""
    a, b = np.unique(hashes_a), np.unique(hashes_b)
    if len(a) == 0 and len(b) == 0:
        return 1.0
    inter = len(np.intersect1d(a, b, assume_unique=True))
    return inter / (len(a) + len(b) - inter)
