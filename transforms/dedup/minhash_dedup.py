"""MinHash LSH near-duplicate dedup, all in Beam. Reason ``near_duplicate``.

Signatures (:mod:`.minhash`) are computed over batches of documents in the per-file stage, which
writes each document's band keys (:mod:`.lsh`) with its key record (:mod:`.keys`); only
``(band key, id)`` pairs cross the bucket shuffle. Buckets with
several ids become star edges on their smallest id or, with the Jaccard check (:mod:`.verify`),
candidate pairs kept where the exact Jaccard similarity of the shingle sets reaches the threshold;
:class:`.components.ConnectedComponents` clusters the edges in Beam; the smallest id of each component survives and carries ``minhash_cluster_size`` (1 for a
document with no near copy), for upsampling decisions downstream. Members of a cluster (survivor
and dropped copies) carry its survivor's id in ``minhash_cluster_id`` (null when alone).

With ``--dedup-against``, the earlier corpora's band keys that the new documents share come in
from their indexes (:mod:`.previous`) and their documents join the buckets as nodes that sort first,
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

from transforms.dedup.components import ConnectedComponents
from transforms.dedup.decisions import Decision, DecisionStep, DedupDocuments
from transforms.dedup.keys import CLUSTER_COLUMN, LOC, PREVIOUS, PREVIOUS_COLUMN, Keyer, is_previous, previous_node
from transforms.dedup.lsh import PRESETS, minhash_params, star_edges  # noqa: F401 - PRESETS: part of the API
from transforms.dedup.minhash import jaccard
from transforms.dedup.previous import match_previous
from transforms.dedup.verify import VerifyPairs, candidate_pairs
from transforms.dedup.verify_files import PreviousInWorkFiles, VerifyInWorkFiles
from transforms.shuffle import measured

NAME = "minhash_dedup"
SIZE_COLUMN = "minhash_cluster_size"


def band_members(record: dict) -> list[tuple[bytes, str]]:
    """A key record -> ``(band key, id)`` per band; none for a text without shingles."""
    return [(key, record["id"]) for key in record["k_bands"] or ()]


def placed_band_members(record: dict) -> list[tuple[bytes, tuple[str, tuple[int, int]]]]:
    """A key record -> ``(band key, (id, loc))`` per band: the Jaccard check reads the document's
    shingle hashes at ``loc`` in its work file (:mod:`.verify_files`)."""
    member = (record["id"], tuple(record[LOC]))
    return [(key, member) for key in record["k_bands"] or ()]


def shingle_hashes(record: dict) -> list[tuple[str, bytes]]:
    return [] if record.get("k_shingles") is None else [(record["id"], record["k_shingles"])]


def bucket_edges(element, verify: bool) -> Iterator[tuple[str, str]]:
    """``(band key, members)`` -> star edges on the smallest id, or every candidate pair to verify.
    Members are this run's ids and, with ``--dedup-against``, earlier documents as
    ``(node, shingle hashes)``: without the check they join the star (and, sorting first, centre it);
    with it their pairs go through :func:`previous_pairs` instead."""
    _, members = element
    if verify:
        return candidate_pairs(m for m in members if isinstance(m, str))
    return star_edges([m if isinstance(m, str) else m[0] for m in members])


def placed_pairs(element) -> Iterator[tuple]:
    """Like :func:`bucket_edges` with the check, for members ``(id, loc)`` (and earlier ``(node,
    hashes)``, left to :mod:`.verify_files`): pairs that keep their places, ``((a, loc_a), (b, loc_b))``."""
    _, members = element
    return candidate_pairs(m for m in members if not is_previous(m[0]))


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
    """Near-duplicate dedup: ``decide(key records) -> (id, Decision)``; ``docs | MinHashDedup()``
    -> ``{"kept", "rejected"}`` on documents (tests, benchmarks).

    ``bands``/``rows`` of 0 derive them from ``threshold`` with datasketch's optimal-parameter
    routine (false negatives weighted ``false_negative_weight``). ``preset="fineweb"`` sets
    FineWeb's ``num_perm=112, bands=14, rows=8, verify_jaccard=False`` (datatrove's MinhashConfig)
    over whatever those four are given as (:func:`.lsh.minhash_params`). Defaults as in defaults.yaml.
    ``verify_jaccard`` keeps only candidate pairs whose exact shingle Jaccard similarity reaches
    ``threshold``: in the curate chain (:meth:`with_work_files`) on the hashes read from the work
    files (:mod:`.verify_files`, no hash crosses a shuffle); on documents (:mod:`.verify`) each
    document's shingle hashes cross two extra shuffles.
    ``scheme``: datasketch's permutation scheme, ``affine32`` (its default) or ``legacy`` (the
    sketches of datasketch < 2.0); signatures are bit-identical to datasketch's (:mod:`.minhash`).
    """

    columns = {SIZE_COLUMN: pa.int32(), CLUSTER_COLUMN: pa.string()}

    def __init__(self, **settings):
        super().__init__()
        self.settings = minhash_params(**settings)
        for name, value in self.settings.items():
            setattr(self, name, value)
        self.previous = None
        self.work_paths = None

    def with_work_files(self, work_paths: list[str]) -> "MinHashDedup":
        """Check candidate pairs on the shingle hashes in the work files (by index), read there
        (:mod:`.verify_files`): the key records then need not carry them, and none crosses a
        shuffle."""
        self.work_paths = list(work_paths)
        return self

    def with_previous(self, previous) -> "MinHashDedup":
        """Also cluster with earlier corpora's documents from their index (its files)."""
        self.previous, self.columns = previous, {**self.columns, PREVIOUS_COLUMN: pa.string()}
        return self

    def keyer(self) -> Keyer:
        return Keyer(minhash=self.settings)

    def decision_step(self) -> DecisionStep:
        return DecisionStep(NAME, self.columns, defaults={SIZE_COLUMN: 1, CLUSTER_COLUMN: None})

    def decide(self, keys):
        """Key records -> ``(id, Decision)`` for every member of a cluster."""
        with_previous = self.previous is not None
        in_files = self.verify_jaccard and self.work_paths is not None
        members = keys | "BandKeys" >> beam.FlatMap(placed_band_members if in_files else band_members
                                                    ).with_output_types(Tuple[bytes, Any])
        hashes = None
        if self.verify_jaccard and not in_files:
            hashes = keys | "ShingleHashes" >> beam.FlatMap(shingle_hashes)
        if with_previous:
            earlier = match_previous(self.previous, ["band_keys", "cluster_id"]
                                     + (["shingles"] if self.verify_jaccard else []),
                                     members | "NewBands" >> beam.Keys(),
                                     lambda r: r["band_keys"] or [],
                                     previous_member, "PreviousBands")
            members = (members, earlier) | "WithPrevious" >> beam.Flatten()
        buckets = measured(members, "Buckets") | "Buckets" >> beam.GroupByKey()
        if in_files:  # pairs with their places; each work file's pairs checked where the hashes are
            edges = (buckets
                     | "CandidateEdges" >> beam.FlatMap(placed_pairs)
                     | "VerifyJaccard" >> VerifyInWorkFiles(self.work_paths, self.threshold, NAME))
            if with_previous:
                checked = buckets | "PreviousJaccard" >> PreviousInWorkFiles(self.work_paths, self.threshold)
                edges = (edges, checked) | "AllEdges" >> beam.Flatten()
        else:
            edges = buckets | "CandidateEdges" >> beam.FlatMap(bucket_edges, self.verify_jaccard)
        if self.verify_jaccard and not in_files:
            edges = edges | "VerifyJaccard" >> VerifyPairs(hashes, self.threshold, NAME)
            if with_previous:
                checked = (measured({"pairs": buckets | "PreviousPairs" >> beam.FlatMap(previous_pairs),
                                     "hashes": hashes}, "JoinHashes")
                           | "JoinHashes" >> beam.CoGroupByKey()
                           | "PreviousJaccard" >> beam.FlatMap(previous_edges, self.threshold))
                edges = (edges, checked) | "AllEdges" >> beam.Flatten()
        roots = (edges
                 | "Components" >> ConnectedComponents(self.max_rounds, namespace=NAME)
                 | "ByRoot" >> beam.Map(lambda nr: (nr[1], nr[0])))
        return (measured(roots, "GroupByRoot")
                | "GroupByRoot" >> beam.GroupByKey()
                | "ComponentDecisions" >> beam.FlatMap(component_decisions))

    def expand(self, docs):
        return docs | "Dedup" >> DedupDocuments(NAME, self, self.keyer())
