"""Rehydration: upsample a deduplicated source by the size of each document's MinHash cluster.

Near-dedup keeps one document per cluster and records ``minhash_cluster_size``. FineWeb-2
(Penedo et al. 2025, "FineWeb2: One Pipeline to Scale Them All", rehydration section) then
repeats each kept document by a weight of its cluster size: documents copied a few times across
the web are usually good, those copied thousands of times are boilerplate. Its weights, by the
smallest cluster size of each bucket, are the ``fineweb2`` preset: ``{1: 1, 2: 2, 3: 3, 5: 5,
100: 8, 1000: 1}`` (size 3-4 -> 3 copies, 5-99 -> 5, 100-999 -> 8, 1000 and more -> 1).

Here an epoch of a rehydrated source is ``passes = ceil(max weight)`` passes over its documents,
each pass in its own seeded order, and a document of weight ``w`` is taken in each pass with
probability ``w / passes``: its copies per epoch are Binomial(passes, w / passes), mean ``w``,
spread over the epoch instead of back to back. The draw is a pure function of (seed, source,
pass, the document's index in the source), like the mixture's, so it needs no state, is the same
on any number of ranks, and a resumed run re-draws exactly. A missing (null) size counts as 1.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from train.mixture import splitmix64, uniform

SIZE_COLUMN = "minhash_cluster_size"
PRESETS = {"fineweb2": {1: 1, 2: 2, 3: 3, 5: 5, 100: 8, 1000: 1}}


class RehydrateError(ValueError):
    """A ``rehydrate`` option that cannot be used as written."""


@dataclass(frozen=True)
class Rehydration:
    thresholds: tuple[int, ...]  # smallest cluster size of each bucket, ascending (the first is 1)
    weights: tuple[float, ...]

    @property
    def passes(self) -> int:
        return max(1, math.ceil(max(self.weights)))

    def bucket(self, size) -> int:
        """The bucket (its smallest size) of a cluster of ``size`` documents."""
        size = 1 if size is None or size < 1 else size
        i = 0
        while i + 1 < len(self.thresholds) and self.thresholds[i + 1] <= size:
            i += 1
        return self.thresholds[i]

    def weight(self, bucket: int) -> float:
        return self.weights[self.thresholds.index(bucket)]

    def describe(self) -> dict:
        return {str(t): w for t, w in zip(self.thresholds, self.weights)}


def parse_rehydrate(source: str, spec) -> Rehydration | None:
    """``data.sources.<source>.rehydrate``: a preset name or ``{cluster_size: weight}``."""
    if spec is None or spec == {}:
        return None
    where = f"data.sources.{source}.rehydrate"
    if isinstance(spec, str):
        if spec not in PRESETS:
            raise RehydrateError(f"{where}: unknown preset {spec!r} (known: {', '.join(PRESETS)})")
        spec = PRESETS[spec]
    if not isinstance(spec, dict):
        raise RehydrateError(f"{where}: expected a preset name or {{cluster_size: weight}}, got {spec!r}")
    pairs = []
    for key, weight in spec.items():
        size = int(key) if isinstance(key, str) and key.isdigit() else key
        if not isinstance(size, int) or isinstance(size, bool) or size < 1:
            raise RehydrateError(f"{where}: cluster sizes must be integers >= 1, got {key!r}")
        if isinstance(weight, bool) or not isinstance(weight, (int, float)) or not (math.isfinite(weight) and weight >= 0):
            raise RehydrateError(f"{where}: weight of cluster size {size} must be a finite number >= 0, got {weight!r}")
        pairs.append((size, float(weight)))
    pairs.sort()
    if pairs[0][0] != 1:
        raise RehydrateError(f"{where}: the smallest cluster size must be 1 (every document falls in a bucket)")
    if not any(w > 0 for _, w in pairs):
        raise RehydrateError(f"{where}: at least one weight must be positive")
    return Rehydration(tuple(s for s, _ in pairs), tuple(w for _, w in pairs))


def _name_hash(name: str) -> int:
    h = 0
    for byte in name.encode("utf-8"):
        h = splitmix64(h ^ byte)
    return h


def pass_seed(seed: int, source: str, epoch: int) -> int:
    """The seed of one pass's draws (``epoch`` counts passes)."""
    return splitmix64(splitmix64(seed & (2**64 - 1)) ^ _name_hash(source)) ^ splitmix64(epoch + 1)


def taken(rehydration: Rehydration, seed: int, doc_index: int, bucket: int) -> bool:
    """Whether the document at ``doc_index`` of the source is taken in the pass of ``seed``."""
    return uniform(seed, doc_index) * rehydration.passes < rehydration.weight(bucket)


def repetitions(counts: dict[str, dict[str, int]], passes: int) -> dict[str, float]:
    """Realized copies per document per epoch, by bucket: ``passes * copies / docs seen``."""
    return {b: round(passes * c["copies"] / c["docs"], 4) for b, c in sorted(counts.items(), key=lambda x: int(x[0]))
            if c["docs"]}


def plan_line(stream, tokenizer, sample_docs: int = 256) -> str:
    """The dry-run plan of a rehydrated source (a :class:`train.shards.DocStream`): documents and
    expected copies per bucket, and tokens an epoch before and after, with tokens per document
    measured on the first ``sample_docs`` documents."""
    import pyarrow.parquet as pq

    rehydration, index = stream.rehydration, stream.index
    docs: dict[int, int] = {}
    for f in index.files:
        for size in pq.read_table(f, columns=[SIZE_COLUMN]).column(0).to_pylist():
            b = rehydration.bucket(size)
            docs[b] = docs.get(b, 0) + 1
    copies = sum(n * rehydration.weight(b) for b, n in docs.items())
    texts: list[str] = []
    for f in index.files:
        texts += [t for t in pq.read_table(f, columns=[stream.text_column]).column(0).to_pylist()[:sample_docs] if t]
        if len(texts) >= sample_docs:
            break
    texts = texts[:sample_docs]
    per_doc = sum(len(e.ids) for e in tokenizer.encode_batch(texts, add_special_tokens=False)) / max(len(texts), 1)
    weights = " ".join(f"{t}:{w:g}" for t, w in zip(rehydration.thresholds, rehydration.weights))
    buckets = ", ".join(f"{b}: {n:,}" for b, n in sorted(docs.items()))
    return (f"source {index.name} rehydrated ({weights}; {rehydration.passes} passes an epoch): {index.num_rows:,} "
            f"documents -> {copies:,.0f} copies an epoch (x{copies / index.num_rows:.2f}), ~{per_doc * index.num_rows:,.0f} "
            f"-> ~{per_doc * copies:,.0f} tokens an epoch ({per_doc:,.0f} tokens a document over {len(texts)} "
            f"documents); documents by cluster-size bucket {buckets}")
