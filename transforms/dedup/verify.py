"""Exact Jaccard check of LSH candidate pairs, joined by id so shingles cross the shuffle once.

Carrying each document's shingle hashes into every band bucket would ship them ``bands`` times;
instead the buckets yield id pairs only, the pairs are made distinct, one CoGroupByKey brings each
document its hashes and its links, and one GroupByKey on the larger id brings both sides of every
pair together: a document's hashes cross that shuffle once per pair it is the smaller id of, plus
once for itself. (The second shuffle's input is made in one stage, so no Flatten stage passes the
hashes through the runner once more, as a second CoGroupByKey would.) Pairs below the threshold are
counted and dropped.

This is the check on documents (``docs | MinHashDedup()``: tests, benchmarks). The curate chain's
key records carry no hashes; there :mod:`.verify_files` reads them in the work files instead.
"""
from __future__ import annotations

import itertools
from typing import Iterable, Iterator

import apache_beam as beam
import numpy as np
from apache_beam.metrics import Metrics

from transforms.dedup.lsh import star_edges
from transforms.dedup.minhash import jaccard

# Buckets up to this size yield all their pairs; larger ones (templates shared by many pages) yield
# star edges on the smallest id, so a bucket never costs more than linear pairs past this size.
MAX_ALL_PAIRS_BUCKET = 50


def candidate_pairs(members: Iterable[str], max_all_pairs: int = MAX_ALL_PAIRS_BUCKET) -> Iterator[tuple[str, str]]:
    """``(smaller id, larger id)`` pairs of one bucket: all of them for a small bucket, else a star
    on the smallest id, streamed (:func:`.lsh.star_edges`) so a huge bucket is never held."""
    if iter(members) is members:
        members = list(members)
    small = list(itertools.islice(members, max_all_pairs + 1))
    if len(small) <= max_all_pairs:
        ids = sorted(set(small))
        for i, a in enumerate(ids):
            for b in ids[i + 1:]:
                yield a, b
    else:
        for b, a in star_edges(members):
            yield a, b


def _links(pair):
    """``(a, b)`` -> ``(a, b)`` as an outgoing link of ``a`` and ``(b, None)`` as a mark that ``b``
    receives at least one: ``b`` then sends its own hashes to itself, once."""
    a, b = pair
    yield a, b
    yield b, None


def _send_hashes(element):
    """``(x, {"hashes": [h_x], "links": [...]})`` -> ``(b, (x, h_x))`` per outgoing link and
    ``(x, (None, h_x))`` once when ``x`` is on the receiving end of a link."""
    x, grouped = element
    hashes = list(grouped["hashes"])
    if not hashes:
        return
    receives = False
    for b in grouped["links"]:
        if b is None:
            receives = True
        else:
            yield b, (x, hashes[0])
    if receives:
        yield x, (None, hashes[0])


class JaccardEdgesFn(beam.DoFn):
    """``(b, [(None, h_b), (a, h_a), ...])`` -> ``(a, b)`` where J >= threshold."""

    def __init__(self, threshold: float, namespace: str):
        self.threshold = threshold
        self.namespace = namespace

    def setup(self):
        self.below = Metrics.counter(self.namespace, "candidates_below_threshold")
        self.checked = Metrics.counter(self.namespace, "candidate_pairs_checked")

    def process(self, element):
        b, values = element
        values = list(values)  # one document's candidates: bounded by its buckets' sizes
        own = next((h for a, h in values if a is None), None)
        if own is None:  # cannot happen: every id in a pair has hashes; never guess
            raise ValueError(f"document {b}: candidate pairs but no shingle hashes")
        hashes_b = np.frombuffer(own, "<u4")
        for a, hashes_a in values:
            if a is None:
                continue
            self.checked.inc()
            if jaccard(np.frombuffer(hashes_a, "<u4"), hashes_b) >= self.threshold:
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
        links = pairs | "DistinctPairs" >> beam.Distinct() | "Links" >> beam.FlatMap(_links)
        return ({"hashes": self.hashes, "links": links}
                | "JoinHashes" >> beam.CoGroupByKey()
                | "SendHashes" >> beam.FlatMap(_send_hashes)
                | "ByReceiver" >> beam.GroupByKey()
                | "Check" >> beam.ParDo(JaccardEdgesFn(self.threshold, self.namespace)))
