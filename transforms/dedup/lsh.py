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


def _areas(threshold: float, num_perm: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``(bands, rows, false-positive area, false-negative area)`` for every ``bands * rows <=
    num_perm``. The integrand ``1 - (1 - s^r)^b`` is a polynomial of degree ``b * r <= num_perm``,
    so Gauss-Legendre with ``num_perm // 2 + 1`` nodes integrates it exactly (datasketch uses
    scipy's ``quad``; the same areas to about 1e-15 without importing scipy.integrate: 0.01 CPU s
    for 128 permutations)."""
    pairs = [(b, r) for b in range(1, num_perm + 1) for r in range(1, num_perm // b + 1)]
    bands = np.array([b for b, _ in pairs], dtype=np.float64)[:, None]
    rows = np.array([r for _, r in pairs], dtype=np.float64)[:, None]
    nodes, weights = np.polynomial.legendre.leggauss(num_perm // 2 + 1)

    def integral(lo: float, hi: float) -> np.ndarray:
        s = (hi - lo) / 2 * nodes + (hi + lo) / 2
        return (1.0 - (1.0 - s[None, :] ** rows) ** bands) @ weights * (hi - lo) / 2

    return bands[:, 0], rows[:, 0], integral(0.0, threshold), (1.0 - threshold) - integral(threshold, 1.0)


@functools.lru_cache(maxsize=64)
def optimal_bands_rows(threshold: float, num_perm: int, false_positive_weight: float = 0.5,
                       false_negative_weight: float = 0.5) -> tuple[int, int]:
    """``(bands, rows)`` with ``bands * rows <= num_perm`` minimising the weighted error, scanned in
    datasketch's order so ties resolve the same way (the first minimum)."""
    if not 0.0 < threshold < 1.0:
        raise ValueError(f"threshold must be in (0, 1), got {threshold}")
    bands, rows, fp, fn = _areas(threshold, num_perm)
    best = int(np.argmin(fp * false_positive_weight + fn * false_negative_weight))
    return int(bands[best]), int(rows[best])


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


# name -> (num_perm, bands, rows, verify_jaccard)
PRESETS = {"fineweb": (112, 14, 8, False)}


def minhash_params(num_perm: int = 128, seed: int = 1, threshold: float = 0.8, bands: int = 0, rows: int = 0,
                   false_negative_weight: float = 0.98, word_ngram: int = 5, char_ngram: int = 5,
                   verify_jaccard: bool = True, max_rounds: int = 20, batch_size: int = 256,
                   scheme: str = "affine32", preset: str | None = None, numba: bool = False) -> dict:
    """The ``minhash_dedup`` section with its preset applied and bands x rows resolved (0: from
    ``threshold`` with :func:`optimal_bands_rows`, false negatives weighted ``false_negative_weight``);
    raises ValueError for a setting that cannot work. Pure: what the step, the per-file keys and the
    dedup index's settings all derive from."""
    from transforms.dedup.minhash import permutations

    if preset:
        if preset not in PRESETS:
            raise ValueError(f"unknown minhash_dedup preset {preset!r}; known: {', '.join(PRESETS)}")
        num_perm, bands, rows, verify_jaccard = PRESETS[preset]
    permutations(num_perm, seed, scheme)  # a bad scheme or num_perm fails before launch
    if not bands or not rows:
        if not 0.0 < threshold < 1.0:  # a Jaccard of 1 is valid only with bands and rows given
            raise ValueError(f"minhash_dedup.threshold {threshold}: bands and rows are derived only for a "
                             "threshold below 1; set minhash_dedup.bands and minhash_dedup.rows")
        bands, rows = optimal_bands_rows(threshold, num_perm, 1.0 - false_negative_weight, false_negative_weight)
    if bands * rows > num_perm:
        raise ValueError(f"minhash_dedup: {bands} bands x {rows} rows need num_perm >= {bands * rows}, "
                         f"got {num_perm}")
    return {"num_perm": num_perm, "seed": seed, "scheme": scheme, "bands": bands, "rows": rows,
            "word_ngram": word_ngram, "char_ngram": char_ngram, "threshold": threshold,
            "verify_jaccard": verify_jaccard, "numba": numba, "max_rounds": max_rounds, "batch_size": batch_size}
