"""Vectorised MinHash signatures, bit-identical to ``datasketch.MinHash(scheme="legacy")``.

datasketch (``minhash.py``) hashes each shingle with the first 4 bytes of SHA-1 (little endian),
draws the permutation parameters ``a in [1, p)``, ``b in [0, p)`` pairwise from
``np.random.RandomState(seed)``, and keeps ``min(((a * h + b) mod 2^64) mod p) & (2^32 - 1)`` per
permutation, with ``p = 2^61 - 1`` (Mersenne prime; Broder 1997, universal hashing). We compute the
same values over a whole batch of documents at once: with Numba, one fused loop
(:mod:`.minhash_kernel`); without it, all shingle hashes concatenated, permuted in cache-sized
chunks and reduced per document with ``np.minimum.reduceat``. Both use the Mersenne identity
``x mod p = (x & p) + (x >> 61)`` (then one conditional subtraction) instead of a division.
"""
from __future__ import annotations

import functools
import hashlib
from typing import Iterable, Sequence

import numpy as np

MERSENNE_PRIME = np.uint64((1 << 61) - 1)
MAX_HASH = np.uint64((1 << 32) - 1)
_SHIFT = np.uint64(61)
# Rows of shingle hashes permuted at once: 4096 x 128 x 8 bytes = 4 MiB, near the L2/L3 boundary,
# the fastest of 256..16384 measured on the 2-core dev machine.
_CHUNK_ROWS = 4096


@functools.lru_cache(maxsize=8)
def permutations(num_perm: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """``(a, b)`` exactly as ``datasketch.MinHash(num_perm, seed, scheme="legacy")`` draws them
    (a then b, alternately, from one RandomState)."""
    if num_perm < 1:
        raise ValueError(f"num_perm must be positive, got {num_perm}")
    gen = np.random.RandomState(seed)
    pairs = [(gen.randint(1, MERSENNE_PRIME, dtype=np.uint64), gen.randint(0, MERSENNE_PRIME, dtype=np.uint64))
             for _ in range(num_perm)]
    ab = np.array(pairs, dtype=np.uint64).T
    ab.setflags(write=False)
    return ab[0], ab[1]


def hash_shingles(shingles: Iterable[str]) -> np.ndarray:
    """32-bit SHA-1 hashes (``datasketch.hashfunc.sha1_hash32``) of the UTF-8 shingles, as uint64.
    The 20-byte digests are joined and read as little-endian uint32 words; every fifth is a hash."""
    sha1 = hashlib.sha1
    digests = b"".join([sha1(s.encode("utf-8")).digest() for s in shingles])
    return np.frombuffer(digests, dtype="<u4")[::5].astype(np.uint64)


class MinHasher:
    """Signatures for ``num_perm`` permutations drawn from ``seed`` (datasketch's defaults: 128, 1)."""

    def __init__(self, num_perm: int = 128, seed: int = 1):
        self.num_perm = num_perm
        self.seed = seed
        self.a, self.b = permutations(num_perm, seed)

    def _permute(self, hashes: np.ndarray) -> np.ndarray:
        """``(len(hashes), num_perm)`` permuted values, computed in place on one buffer."""
        x = np.multiply(hashes.reshape(-1, 1), self.a)  # wraps mod 2^64, as in datasketch
        x += self.b
        y = np.bitwise_and(x, MERSENNE_PRIME)
        x >>= _SHIFT
        y += x
        np.subtract(y, MERSENNE_PRIME, out=y, where=y >= MERSENNE_PRIME)
        y &= MAX_HASH
        return y

    def signature(self, hashes: np.ndarray) -> np.ndarray:
        """One document's signature; all ``MAX_HASH`` (datasketch's empty value) with no shingles."""
        return self.signatures([hashes])[0]

    def signatures(self, hash_lists: Sequence[np.ndarray]) -> np.ndarray:
        """``(len(hash_lists), num_perm)`` uint64 signatures of a batch of documents, with the
        fused Numba kernel when Numba is installed, else with NumPy (the same values)."""
        kernel = _fused_kernel()
        if kernel is None:
            return self.signatures_numpy(hash_lists)
        out = np.full((len(hash_lists), self.num_perm), MAX_HASH, dtype=np.uint64)
        offsets = np.zeros(len(hash_lists) + 1, dtype=np.int64)
        np.cumsum([len(h) for h in hash_lists], out=offsets[1:])
        hashes = np.concatenate(hash_lists) if hash_lists else np.zeros(0, dtype=np.uint64)
        kernel(hashes.astype(np.uint64, copy=False), offsets, self.a, self.b, out)
        return out

    def signatures_numpy(self, hash_lists: Sequence[np.ndarray]) -> np.ndarray:
        """:meth:`signatures` in NumPy only: chunks of rows permuted, reduced per document."""
        out = np.full((len(hash_lists), self.num_perm), MAX_HASH, dtype=np.uint64)
        group: list[int] = []
        rows = 0
        for i, hashes in enumerate(hash_lists):
            if len(hashes) == 0:
                continue
            if len(hashes) >= _CHUNK_ROWS:  # a long document alone, in chunks
                for s in range(0, len(hashes), _CHUNK_ROWS):
                    np.minimum(out[i], self._permute(hashes[s:s + _CHUNK_ROWS]).min(axis=0), out=out[i])
                continue
            group.append(i)
            rows += len(hashes)
            if rows >= _CHUNK_ROWS:
                self._reduce_group(hash_lists, group, out)
                group, rows = [], 0
        if group:
            self._reduce_group(hash_lists, group, out)
        return out

    def _reduce_group(self, hash_lists, group: list[int], out: np.ndarray) -> None:
        parts = [hash_lists[i] for i in group]
        offsets = np.zeros(len(parts), dtype=np.intp)
        np.cumsum([len(p) for p in parts[:-1]], out=offsets[1:])
        out[group] = np.minimum.reduceat(self._permute(np.concatenate(parts)), offsets, axis=0)


@functools.lru_cache(maxsize=1)
def _fused_kernel():
    """The Numba kernel, or None without Numba (an optional speed-up, not a requirement)."""
    try:
        from transforms.dedup.minhash_kernel import permute_min
    except ImportError:
        return None
    return permute_min


def jaccard(hashes_a: np.ndarray, hashes_b: np.ndarray) -> float:
    """Exact Jaccard similarity of two sets of shingle hashes (duplicates ignored)."""
    a, b = np.unique(hashes_a), np.unique(hashes_b)
    if len(a) == 0 and len(b) == 0:
        return 1.0
    inter = len(np.intersect1d(a, b, assume_unique=True))
    return inter / (len(a) + len(b) - inter)
