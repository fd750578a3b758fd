"""Sampling statistics for ``skypile curate --estimate`` (:mod:`pipelines.estimate`): a nested
seeded sample, Chao & Lin's richness estimator, and a delete-a-group jackknife. Pure functions."""
from __future__ import annotations

import heapq
import math
from collections import Counter
from typing import Any

Z95 = 1.959964


def bottom_k(items, n: int, priority):
    """``(count, [(ordinal, item)])``: the ``n`` items whose ``priority(ordinal)`` is smallest (all of
    them for n=0), in order. A seeded hash as the priority makes the samples nested: the ``2n``
    items hold the ``n`` (so a larger round of :mod:`pipelines.estimate` adds to the last one)."""
    heap: list = []  # (-priority, ordinal, item): the largest kept priority on top
    count = 0
    for count, item in enumerate(items, 1):
        entry = (-priority(count - 1), count - 1, item)
        if not n or len(heap) < n:
            heapq.heappush(heap, entry)
        elif entry[0] > heap[0][0]:
            heapq.heapreplace(heap, entry)
    return count, sorted(((ordinal, item) for _, ordinal, item in heap), key=lambda pair: pair[0])


def chao_lin(sizes: list[int], q: float) -> float:
    """Estimated number of groups in the population from the sampled group sizes, fraction ``q``."""
    seen, n = len(sizes), sum(sizes)
    if q >= 1 or not n:
        return float(seen)
    f = Counter(sizes)
    f1, f2 = f.get(1, 0), f.get(2, 0)
    denom = (n / (n - 1) if n > 1 else 1.0) * 2 * f2 + q / (1 - q) * f1
    return seen + (f1 * f1 / denom if denom else 0.0)


def jackknife(estimate, units: list, labels: list[int], sampled_fraction: float) -> dict[str, Any]:
    """95% interval half-widths of every number ``estimate(units)`` returns, by deleting the units
    of each label in turn (a delete-a-group jackknife), with the finite-population correction
    ``1 - sampled_fraction`` (no sampling error once everything is sampled); {} below two groups."""
    names = sorted(set(labels))
    groups = len(names)
    if groups < 2:
        return {}
    replicates = [estimate([u for u, label in zip(units, labels) if label != g]) for g in names]

    def spread(values):
        mean = sum(values) / len(values)
        variance = (groups - 1) / groups * sum((v - mean) ** 2 for v in values)
        return Z95 * math.sqrt(max(0.0, 1.0 - sampled_fraction) * variance)

    def walk(shape, path):
        if isinstance(shape, dict):
            return {k: walk(v, path + (k,)) for k, v in shape.items()}
        values = []
        for rep in replicates:
            for key in path:
                rep = rep.get(key, 0.0) if isinstance(rep, dict) else 0.0
            values.append(rep)
        return spread(values)

    return walk(estimate(units), ())
