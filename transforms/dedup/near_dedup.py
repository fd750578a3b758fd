"""MinHash LSH near-duplicate dedup, all in Beam. Reason ``near_duplicate``.

Signatures (:mod:`.minhash`) are computed over batches of documents; each document emits one key
per band (:mod:`.lsh`), and only ``(band key, id)`` pairs cross the bucket shuffle. Buckets with
several ids become star edges on their smallest id or, with the Jaccard check (:mod:`.verify`),
candidate pairs kept where the exact Jaccard similarity of the shingle sets reaches the threshold;
:class:`.components.ConnectedComponents` clusters the edges in Beam; the smallest id of each component survives and carries ``minhash_cluster_size`` (1 for a
document with no near copy), for upsampling decisions downstream. Members of a cluster (survivor
and dropped copies) carry its survivor's id in ``minhash_cluster_id`` (null when alone).

With ``--dedup-against``, the earlier corpora's band keys that the new documents share come in
from their indexes (:mod:`.index`) and their documents join the buckets as nodes that sort first,
so a cluster holding one is rooted there: every new member is dropped as
``near_duplicate_previous`` with ``previous_id`` naming it. The index holds every document that
reached the earlier run's MinHash dedup, dropped members too, each under its cluster's survivor
(``previous_id`` names that survivor, which a later step of that run may have dropped: as in one
run, a near copy of a document the score filter drops is dropped here too). Those earlier texts are never re-read:
with the Jaccard check on, a pair of a new and an earlier document is checked on the exact Jaccard
similarity of their shingle sets, the earlier one's shingle hashes coming from the index (the
MinHash estimate, with about 0.035 standard error at 0.8 and 128 permutations, let near-threshold
pairs through: on the peer kit most of what still differed from one run).
"""
from __future__ import annotations

from typing import Any, Iterable, Iterator, Tuple

import apache_beam as beam
import numpy as np
import pyarrow as pa
from apache_beam.metrics import Metrics

from transforms.dedup.components import ConnectedComponents
from transforms.dedup.decisions import PREVIOUS_COLUMN, ApplyDecisions, Decision, DecisionStep
from transforms.dedup.index import CLUSTER_COLUMN, PREVIOUS, is_previous, match_previous, previous_node
from transforms.dedup.lsh import band_keys, optimal_bands_rows, star_edges
from transforms.dedup.minhash import MinHasher, batch_hashes, jaccard, permutations, unique_hashes
from transforms.dedup.verify import VerifyPairs, candidate_pairs

NAME = "minhash_dedup"
SIZE_COLUMN = "minhash_cluster_size"
HASHES = "hashes"
SKETCHES = "sketches"
# name -> (num_perm, bands, rows, verify_jaccard)
PRESETS = {"fineweb": (112, 14, 8, False)}


class BandKeysFn(beam.DoFn):
    """A batch of documents -> ``(band key, id)`` per band; with ``with_hashes`` also
    ``(id, shingle hashes)`` once per document on the ``hashes`` output (for the Jaccard check).
    Documents without shingles (no words) are no one's candidate."""

    def __init__(self, num_perm: int, seed: int, bands: int, rows: int, word_ngram: int, char_ngram: int,
                 with_hashes: bool, scheme: str = "affine32", numba: bool = False):
        self.num_perm, self.seed, self.bands, self.rows = num_perm, seed, bands, rows
        self.word_ngram, self.char_ngram, self.with_hashes = word_ngram, char_ngram, with_hashes
        self.scheme, self.numba = scheme, numba

    def setup(self):
        self.hasher = MinHasher(self.num_perm, self.seed, self.scheme, self.numba)
        self.no_shingles = Metrics.counter(NAME, "docs_without_shingles")

    def process(self, docs):
        # each shingle hashed once, for both the signature and the Jaccard check's hash set
        hashes, offsets = batch_hashes([d.text for d in docs], [d.lang for d in docs], self.word_ngram,
                                       self.char_ngram, self.numba)
        keep = np.flatnonzero(np.diff(offsets))
        if len(keep) < len(docs):
            self.no_shingles.inc(len(docs) - len(keep))
        if not len(keep):
            return
        sigs = self.hasher.flat(hashes, offsets)[keep]
        uniques = unique_hashes(hashes, offsets) if self.with_hashes else None
        for i, keys, sig in zip(keep, band_keys(sigs, self.bands, self.rows), sigs):
            doc_id = docs[i].id
            for key in keys:
                yield key, doc_id
            # the dedup index's signature (transforms.dedup.index), so it does not hash the text again
            yield beam.pvalue.TaggedOutput(SKETCHES, (doc_id, sig.astype("<u4").tobytes()))
            if uniques is not None:
                # bytes, not an ndarray: a primitive for Beam's coder (ndarrays go through pickle)
                yield beam.pvalue.TaggedOutput(HASHES, (doc_id, uniques[i].astype("<u4").tobytes()))


def bucket_edges(element, verify: bool) -> Iterator[tuple[str, str]]:
    """``(band key, members)`` -> star edges on the smallest id, or every candidate pair to verify.
    Members are this run's ids and, with ``--dedup-against``, earlier documents as
    ``(node, shingle hashes)``: without the check they join the star (and, sorting first, centre it);
    with it their pairs go through :func:`previous_pairs` instead."""
    _, members = element
    if verify:
        return candidate_pairs(m for m in members if isinstance(m, str))
    return star_edges([m if isinstance(m, str) else m[0] for m in members])


def previous_pairs(element) -> Iterator[tuple[str, tuple[str, bytes]]]:
    """``(band key, members)`` -> ``(new id, (earlier node, earlier shingle hashes))`` to check."""
    _, members = element
    earlier = [m for m in members if not isinstance(m, str)]
    if earlier:
        for m in members:
            if isinstance(m, str):
                for node in earlier:
                    yield m, tuple(node)


def previous_edges(element, threshold: float) -> Iterator[tuple[str, str]]:
    """``(new id, {"pairs", "hashes"})`` -> an edge to every earlier document whose shingle set
    has exact Jaccard similarity at least ``threshold`` with the new one's (both sides' sorted
    distinct shingle hashes: the new document's from this run, the earlier one's from its index)."""
    doc_id, grouped = element
    own = next(iter(grouped["hashes"]), None)
    if own is None:
        return
    mine = np.frombuffer(own, dtype="<u4")
    linked = set()
    # a pair found in several bands comes once per band; one node is every member of an earlier
    # cluster (its survivor's id), each with its own shingles: an edge when any one is close
    for node, theirs in set(grouped["pairs"]):
        if node not in linked and jaccard(mine, np.frombuffer(theirs, dtype="<u4")) >= threshold:
            linked.add(node)
            yield doc_id, node


def previous_member(row: dict) -> tuple[str, bytes | None]:
    """An earlier index row -> ``(node, shingle hashes)``: the node is its cluster's survivor, so a
    new document close to any member of an earlier cluster joins that cluster (as in one run)."""
    return previous_node(row.get("cluster_id") or row["id"]), row.get("shingles")


def component_decisions(element) -> Iterable[tuple[str, Decision]]:
    """``(root, members)`` -> drop every member, keep the root with the component's size; all
    carry the root's id as their cluster id (so the rejects table says what a copy duplicates).
    A root from an earlier corpus (``--dedup-against``) is not a document of this run: every new
    member is dropped as ``near_duplicate_previous``, naming it."""
    root, members = element
    if is_previous(root):
        earlier = root[len(PREVIOUS):]
        drop = Decision(drop="near_duplicate_previous", values=((CLUSTER_COLUMN, earlier), (PREVIOUS_COLUMN, earlier)))
        for member in members:
            if not is_previous(member):
                yield member, drop
        return
    size = 1
    for member in members:  # streamed: each non-root node is in exactly one settled edge
        size += 1
        yield member, Decision(drop="near_duplicate", values=((CLUSTER_COLUMN, root),))
    yield root, Decision(values=((SIZE_COLUMN, size), (CLUSTER_COLUMN, root)))


class MinHashDedup(beam.PTransform):
    """``docs -> {"kept", "rejected"}`` with one document per near-duplicate cluster.

    ``bands``/``rows`` of 0 derive them from ``threshold`` with datasketch's optimal-parameter
    routine (false negatives weighted ``false_negative_weight``). ``preset="fineweb"`` sets
    FineWeb's ``num_perm=112, bands=14, rows=8, verify_jaccard=False`` (datatrove's MinhashConfig)
    over whatever those four are given as. Defaults as in defaults.yaml.
    ``verify_jaccard`` keeps only candidate pairs whose exact shingle Jaccard similarity reaches
    ``threshold`` (:mod:`.verify`; each document's shingle hashes cross two extra shuffles).
    ``scheme``: datasketch's permutation scheme, ``affine32`` (its default) or ``legacy`` (the
    sketches of datasketch < 2.0); signatures are bit-identical to datasketch's (:mod:`.minhash`).
    """

    columns = {SIZE_COLUMN: pa.int32(), CLUSTER_COLUMN: pa.string()}

    def __init__(self, num_perm: int = 128, seed: int = 1, threshold: float = 0.8, bands: int = 0,
                 rows: int = 0, false_negative_weight: float = 0.98, word_ngram: int = 5, char_ngram: int = 5,
                 verify_jaccard: bool = True, max_rounds: int = 20, batch_size: int = 256,
                 scheme: str = "affine32", preset: str | None = None, numba: bool = False):
        super().__init__()
        if preset:
            if preset not in PRESETS:
                raise ValueError(f"unknown minhash_dedup preset {preset!r}; known: {', '.join(PRESETS)}")
            num_perm, bands, rows, verify_jaccard = PRESETS[preset]
        permutations(num_perm, seed, scheme)  # a bad scheme or num_perm fails before launch
        if not bands or not rows:
            bands, rows = optimal_bands_rows(threshold, num_perm, 1.0 - false_negative_weight,
                                             false_negative_weight)
        if bands * rows > num_perm:
            raise ValueError(f"{bands} bands x {rows} rows need num_perm >= {bands * rows}, got {num_perm}")
        self.num_perm, self.seed, self.bands, self.rows = num_perm, seed, bands, rows
        self.threshold, self.verify_jaccard = threshold, verify_jaccard
        self.word_ngram, self.char_ngram = word_ngram, char_ngram
        self.max_rounds, self.batch_size = max_rounds, batch_size
        self.scheme, self.numba = scheme, numba
        self.previous = None
        self.sketches = None  # set when expanded

    def with_previous(self, previous) -> "MinHashDedup":
        """Also cluster with earlier corpora's documents from their index (its files)."""
        self.previous, self.columns = previous, {**self.columns, PREVIOUS_COLUMN: pa.string()}
        return self

    def expand(self, docs):
        with_previous = self.previous is not None
        keys = (docs
                | "Batch" >> beam.BatchElements(min_batch_size=1, max_batch_size=self.batch_size)
                | "BandKeys" >> beam.ParDo(BandKeysFn(self.num_perm, self.seed, self.bands, self.rows,
                                                      self.word_ngram, self.char_ngram, self.verify_jaccard,
                                                      self.scheme, self.numba)
                                           ).with_output_types(Tuple[bytes, Any]).with_outputs(
                                               HASHES, SKETCHES, main="keys"))
        # for WriteIndex: each document's signature, and its shingle hashes when verified
        self.sketches = (keys[SKETCHES], keys[HASHES] if self.verify_jaccard else None)
        band_members = keys.keys
        if with_previous:
            earlier = match_previous(self.previous, ["band_keys", "cluster_id"]
                                     + (["shingles"] if self.verify_jaccard else []),
                                     keys.keys | "NewBands" >> beam.Keys(),
                                     lambda r: r["band_keys"] or [],
                                     previous_member, "PreviousBands")
            band_members = (keys.keys, earlier) | "WithPrevious" >> beam.Flatten()
        buckets = band_members | "Buckets" >> beam.GroupByKey()
        edges = buckets | "CandidateEdges" >> beam.FlatMap(bucket_edges, self.verify_jaccard)
        if self.verify_jaccard:
            edges = edges | "VerifyJaccard" >> VerifyPairs(keys[HASHES], self.threshold, NAME)
            if with_previous:
                checked = ({"pairs": buckets | "PreviousPairs" >> beam.FlatMap(previous_pairs),
                            "hashes": keys[HASHES]}
                           | "JoinHashes" >> beam.CoGroupByKey()
                           | "PreviousJaccard" >> beam.FlatMap(previous_edges, self.threshold))
                edges = (edges, checked) | "AllEdges" >> beam.Flatten()
        decisions = (edges
                     | "Components" >> ConnectedComponents(self.max_rounds, namespace=NAME)
                     | "ByRoot" >> beam.Map(lambda nr: (nr[1], nr[0]))
                     | "GroupByRoot" >> beam.GroupByKey()
                     | "ComponentDecisions" >> beam.FlatMap(component_decisions))
        step = DecisionStep(NAME, self.columns, defaults={SIZE_COLUMN: 1, CLUSTER_COLUMN: None})
        return docs | "Apply" >> ApplyDecisions(decisions, step)
