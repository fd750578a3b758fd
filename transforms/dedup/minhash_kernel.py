"""The fused MinHash kernel (Numba): permute and reduce in one pass, no intermediate arrays.

The NumPy path in :mod:`.minhash` makes about eight passes over an ``(shingles, num_perm)`` uint64
array; this loop computes each permuted value in registers and keeps only the running minimum, so
the permutation step costs about a tenth as much. Same arithmetic, so the same bits as datasketch.
Importing this module compiles nothing; the first call compiles (about a second, cached on disk
where the package directory is writable).
"""
from __future__ import annotations

import numba
import numpy as np

_P = np.uint64((1 << 61) - 1)
_M = np.uint64((1 << 32) - 1)
_S = np.uint64(61)


@numba.njit(cache=True, nogil=True)
def permute_min(hashes, offsets, a, b, out):  # pragma: no cover - compiled; checked against NumPy in tests
    """``out[d, k] = min over hashes[offsets[d]:offsets[d+1]] of ((a[k] h + b[k]) mod 2^64 mod p)
    & (2^32 - 1)``; ``out`` comes filled with the empty value."""
    num_perm = a.shape[0]
    for d in range(offsets.shape[0] - 1):
        row = out[d]
        for i in range(offsets[d], offsets[d + 1]):
            h = hashes[i]
            for k in range(num_perm):
                x = h * a[k] + b[k]
                y = (x & _P) + (x >> _S)
                if y >= _P:
                    y -= _P
                v = y & _M
                if v < row[k]:
                    row[k] = v
