"""Exact Jaccard check of LSH candidate pairs, joined by id so shingles cross the shuffle once.

Carrying each document's shingle hashes into every band bucket would ship them ``bands`` times;
instead the buckets yield id pairs only, the pairs are made distinct, and two CoGroupByKeys bring
each side's hashes to the pair: every document's hashes are shuffled twice, plus once per
candidate pair it is in. Pairs below the threshold are counted and dropped.
"""
from __future__ import annotations

from typing import Iterable, Iterator

import apache_beam as beam
import numpy as np
from apache_beam.metrics import Metrics

from transforms.dedup.minhash import jaccard

# Buckets up to this size yield all their pairs; larger ones (templates shared by many pages) yield
# star edges on the smallest id, so a bucket never costs more than linear pairs past this size.
MAX_ALL_PAIRS_BUCKET = 50


def candidate_pairs(members: Iterable[str], max_all_pairs: int = MAX_ALL_PAIRS_BUCKET) -> Iterator[tuple[str, str]]:
    """``(smaller id, larger id)`` pairs of one bucket: all of them for a small bucket, else a star."""
    ids = sorted(set(members))
    if len(ids) <= max_all_pairs:
        for i, a in enumerate(ids):
            for b in ids[i + 1:]:
                yield a, b
    else:
        for b in ids[1:]:
            yield ids[0], b


def _send_left_hashes(element):
    """``(a, {"hashes": [h_a], "pairs": [b, ...]})`` -> ``(b, (a, h_a))`` per pair."""
    a, grouped = element
    hashes = list(grouped["hashes"])
    if not hashes:
        return
    for b in grouped["pairs"]:
        yield b, (a, hashes[0])


class JaccardEdgesFn(beam.DoFn):
    """``(b, {"hashes": [h_b], "left": [(a, h_a), ...]})`` -> ``(a, b)`` where J >= threshold."""

    def __init__(self, threshold: float, namespace: str):
        self.threshold = threshold
        self.namespace = namespace

    def setup(self):
        self.below = Metrics.counter(self.namespace, "candidates_below_threshold")
        self.checked = Metrics.counter(self.namespace, "candidate_pairs_checked")

    def process(self, element):
        b, grouped = element
        hashes = list(grouped["hashes"])
        if not hashes:
            return
        for a, hashes_a in grouped["left"]:
            self.checked.inc()
            if jaccard(np.frombuffer(hashes_a, "<u4"), np.frombuffer(hashes[0], "<u4")) >= self.threshold:
                yield a, b
            else:
                self.below.inc()


class VerifyPairs(beam.PTransform):
    """``pairs | VerifyPairs(hashes, threshold)``: candidate id pairs -> those whose exact Jaccard
    similarity reaches ``threshold``. ``hashes`` is ``(id, sorted unique shingle hashes as
    little-endian uint32 bytes)``."""

    def __init__(self, hashes, threshold: float, namespace: str):
        super().__init__()
        self.hashes, self.threshold, self.namespace = hashes, threshold, namespace

    def expand(self, pairs):
        distinct = pairs | "DistinctPairs" >> beam.Distinct()
        left = ({"hashes": self.hashes, "pairs": distinct}
                | "JoinLeft" >> beam.CoGroupByKey()
                | "SendLeft" >> beam.FlatMap(_send_left_hashes))
        return ({"hashes": self.hashes, "left": left}
                | "JoinRight" >> beam.CoGroupByKey()
                | "Check" >> beam.ParDo(JaccardEdgesFn(self.threshold, self.namespace)))
