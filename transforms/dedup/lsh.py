"""LSH banding: bands x rows of a MinHash signature, band keys, and candidate edges per bucket.

Two documents become candidates when all ``rows`` values of one band agree; the probability for
Jaccard similarity s is ``1 - (1 - s^rows)^bands`` (Leskovec, Rajaraman, Ullman, *Mining of Massive
Datasets*, ch. 3.4). :func:`optimal_bands_rows` picks bands x rows for a target threshold with
datasketch's ``_optimal_param`` routine (``datasketch/lsh.py``): the pair minimising the weighted
false-positive and false-negative areas under that curve. FineWeb uses 14 bands x 8 rows
(``datatrove MinhashConfig``), a curve centred near 0.72.
"""
from __future__ import annotations

import functools
from typing import Iterable, Iterator

import numpy as np


def candidate_probability(similarity: float, bands: int, rows: int) -> float:
    """Probability that a pair at Jaccard ``similarity`` shares at least one band."""
    return 1.0 - (1.0 - similarity ** rows) ** bands


def _false_positive_area(threshold: float, bands: int, rows: int) -> float:
    from scipy.integrate import quad  # here: scipy costs each worker process about 36 MB and 0.4 s

    return quad(lambda s: candidate_probability(s, bands, rows), 0.0, threshold)[0]


def _false_negative_area(threshold: float, bands: int, rows: int) -> float:
    from scipy.integrate import quad

    return quad(lambda s: 1.0 - candidate_probability(s, bands, rows), threshold, 1.0)[0]


@functools.lru_cache(maxsize=64)
def optimal_bands_rows(threshold: float, num_perm: int, false_positive_weight: float = 0.5,
                       false_negative_weight: float = 0.5) -> tuple[int, int]:
    """``(bands, rows)`` with ``bands * rows <= num_perm`` minimising the weighted error, scanned in
    datasketch's order so ties resolve the same way."""
    if not 0.0 < threshold < 1.0:
        raise ValueError(f"threshold must be in (0, 1), got {threshold}")
    best, best_error = (0, 0), float("inf")
    for bands in range(1, num_perm + 1):
        for rows in range(1, num_perm // bands + 1):
            error = (_false_positive_area(threshold, bands, rows) * false_positive_weight
                     + _false_negative_area(threshold, bands, rows) * false_negative_weight)
            if error < best_error:
                best, best_error = (bands, rows), error
    return best


def band_keys(signatures: np.ndarray, bands: int, rows: int) -> list[list[bytes]]:
    """Per document, one key per band: the band index (2 bytes) then its ``rows`` values as
    little-endian uint32 (every value is below 2^32), so equal keys mean an equal band."""
    if bands * rows > signatures.shape[1]:
        raise ValueError(f"{bands} bands x {rows} rows need {bands * rows} permutations, "
                         f"signatures have {signatures.shape[1]}")
    values = np.ascontiguousarray(signatures[:, :bands * rows].astype("<u4")).reshape(len(signatures), bands, rows)
    prefixes = [b.to_bytes(2, "little") for b in range(bands)]
    return [[prefixes[b] + doc[b].tobytes() for b in range(bands)] for doc in values]


def star_edges(members: Iterable[str]) -> Iterator[tuple[str, str]]:
    """Edges joining every member of a bucket to its smallest id: k - 1 edges, not k^2. Two passes
    over the bucket and nothing kept, so a bucket of a million template pages costs no memory
    (each id is in a bucket once: one key per band); a one-shot iterator is copied first."""
    if iter(members) is members:
        members = list(members)
    smallest = min(members, default=None)
    for other in members:
        if other != smallest:
            yield other, smallest
