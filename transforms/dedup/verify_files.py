"""The Jaccard check where the shingle hashes are: in the work files, read by the file they belong to.

The curate chain's key records carry no shingle hashes. A candidate pair from the LSH buckets
carries both documents' ids and places (work file index, row); the pairs are grouped by the work
file of their larger id (``PairsByFile``: ids and places only, never a hash), and one call per work
file reads the ``k_shingles`` of the rows it needs from that file and from each partner's file,
one row group at a time (:func:`read_shingles`), then checks the exact Jaccard similarity. So no
shingle hash crosses a shuffle, and what a worker holds is one work file's candidates, not the
corpus's: on Beam's local runner every grouping is held in the one process, and the hashes were
what grew there with the corpus (bench/README, "Shaped for scale").

With ``--dedup-against``, an earlier document's hashes come from its index inside the pair
(``PreviousByFile``, grouped by the new document's work file), the new one's from its work file.
"""
from __future__ import annotations

import bisect
from collections import defaultdict
from typing import Iterable, Iterator

import apache_beam as beam
import numpy as np
import pyarrow.parquet as pq
from apache_beam.io.filesystem import CompressionTypes
from apache_beam.io.filesystems import FileSystems
from apache_beam.metrics import Metrics

from transforms.dedup.keys import is_previous
from transforms.dedup.minhash import jaccard
from transforms.shuffle import measured

SHINGLES_COLUMN = "k_shingles"


def read_shingles(path: str, rows: Iterable[int]) -> dict[int, bytes]:
    """``{row: shingle hashes}`` for ``rows`` of the work file at ``path``: only the row groups
    holding them are read, and only their ``k_shingles`` column."""
    wanted = sorted(set(rows))
    out: dict[int, bytes] = {}
    if not wanted:
        return out
    with FileSystems.open(path, compression_type=CompressionTypes.UNCOMPRESSED) as f:
        pf = pq.ParquetFile(f)
        starts = [0]
        for i in range(pf.metadata.num_row_groups):
            starts.append(starts[-1] + pf.metadata.row_group(i).num_rows)
        by_group: dict[int, list[int]] = defaultdict(list)
        for row in wanted:
            by_group[bisect.bisect_right(starts, row) - 1].append(row)
        for group, group_rows in sorted(by_group.items()):
            column = pf.read_row_group(group, columns=[SHINGLES_COLUMN]).column(0)
            for row in group_rows:
                out[row] = column[row - starts[group]].as_py()
    return out


def _hashes(value: bytes | None, where: str) -> np.ndarray:
    if value is None:  # cannot happen: a document in a bucket has shingles; never guess
        raise ValueError(f"{where}: candidate pair but no shingle hashes")
    return np.frombuffer(value, "<u4")


def pair_by_file(pair) -> tuple[int, tuple[int, str, str, tuple[int, int]]]:
    """``((a, loc_a), (b, loc_b))``, ``a < b`` -> ``(b's work file, (b's row, b, a, loc_a))``."""
    (a, loc_a), (b, (work_b, row_b)) = pair
    return work_b, (row_b, b, a, tuple(loc_a))


class CheckPairsFn(beam.DoFn):
    """``(work file, [(row_b, b, a, loc_a)])`` -> ``(a, b)`` where the exact Jaccard similarity of
    the two shingle sets reaches ``threshold``; partners are read file by file."""

    def __init__(self, work_paths: list[str], threshold: float, namespace: str):
        self.work_paths, self.threshold, self.namespace = list(work_paths), threshold, namespace

    def setup(self):
        self.below = Metrics.counter(self.namespace, "candidates_below_threshold")
        self.checked = Metrics.counter(self.namespace, "candidate_pairs_checked")

    def process(self, element):
        work, pairs = element
        by_partner_file: dict[int, list[tuple[int, str, str, int]]] = defaultdict(list)
        for row_b, b, a, (work_a, row_a) in pairs:  # ids and places: a few dozen bytes a pair
            by_partner_file[work_a].append((row_b, b, a, row_a))
        rows = {p[0] for ps in by_partner_file.values() for p in ps} | {p[3] for p in by_partner_file.get(work, ())}
        own = read_shingles(self.work_paths[work], rows)  # partners in the same file too
        for work_a in sorted(by_partner_file):
            group = by_partner_file[work_a]
            theirs = own if work_a == work else read_shingles(self.work_paths[work_a], (p[3] for p in group))
            for row_b, b, a, row_a in group:
                self.checked.inc()
                if jaccard(_hashes(theirs.get(row_a), a), _hashes(own.get(row_b), b)) >= self.threshold:
                    yield a, b
                else:
                    self.below.inc()


class VerifyInWorkFiles(beam.PTransform):
    """``pairs | VerifyInWorkFiles(work_paths, threshold, namespace)``: candidate pairs
    ``((a, loc_a), (b, loc_b))`` -> the id pairs ``(a, b)`` whose exact Jaccard similarity
    reaches ``threshold``, the hashes read from the work files."""

    def __init__(self, work_paths: list[str], threshold: float, namespace: str):
        super().__init__()
        self.work_paths, self.threshold, self.namespace = list(work_paths), threshold, namespace

    def expand(self, pairs):
        by_file = pairs | "DistinctPairs" >> beam.Distinct() | "ByFile" >> beam.Map(pair_by_file)
        return (measured(by_file, "PairsByFile")
                | "PairsByFile" >> beam.GroupByKey()
                | "Check" >> beam.ParDo(CheckPairsFn(self.work_paths, self.threshold, self.namespace)))


def previous_by_file(element) -> Iterator[tuple[int, tuple[int, str, str, bytes]]]:
    """``(band key, members)`` -> ``(new document's work file, (row, id, earlier node, earlier
    hashes))`` for every new member of a bucket that also holds earlier documents."""
    _, members = element
    members = list(members)
    earlier = [m for m in members if is_previous(m[0])]
    if earlier:
        for doc_id, loc in members:
            if not is_previous(doc_id):
                for node, theirs in earlier:
                    yield loc[0], (loc[1], doc_id, node, theirs)


class PreviousEdgesFn(beam.DoFn):
    """``(work file, [(row, id, earlier node, earlier hashes)])`` -> ``(id, node)`` for every
    earlier node with a member whose shingle set has exact Jaccard similarity at least
    ``threshold`` with the new document's (one node is every member of an earlier cluster, each
    with its own shingles: an edge when any one is close; a pair found in several bands counts once)."""

    def __init__(self, work_paths: list[str], threshold: float):
        self.work_paths, self.threshold = list(work_paths), threshold

    def process(self, element):
        work, pairs = element
        by_doc: dict[tuple[int, str], set] = defaultdict(set)
        for row, doc_id, node, theirs in pairs:
            by_doc[(row, doc_id)].add((node, theirs))
        own = read_shingles(self.work_paths[work], (row for row, _ in by_doc))
        for (row, doc_id), candidates in sorted(by_doc.items()):
            mine = _hashes(own.get(row), doc_id)
            linked = set()
            for node, theirs in sorted(candidates, key=lambda c: (c[0], c[1] or b"")):
                if node not in linked and jaccard(mine, np.frombuffer(theirs, dtype="<u4")) >= self.threshold:
                    linked.add(node)
                    yield doc_id, node


class PreviousInWorkFiles(beam.PTransform):
    """``buckets | PreviousInWorkFiles(work_paths, threshold)``: LSH buckets of new members
    ``(id, loc)`` and earlier ones ``(node, hashes)`` -> edges ``(new id, earlier node)`` that
    pass the Jaccard check."""

    def __init__(self, work_paths: list[str], threshold: float):
        super().__init__()
        self.work_paths, self.threshold = list(work_paths), threshold

    def expand(self, buckets):
        return (measured(buckets | "PreviousPairs" >> beam.FlatMap(previous_by_file), "PreviousByFile")
                | "PreviousByFile" >> beam.GroupByKey()
                | "PreviousJaccard" >> beam.ParDo(PreviousEdgesFn(self.work_paths, self.threshold)))
