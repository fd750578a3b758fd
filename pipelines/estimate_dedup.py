"""The dedup steps simulated on ``skypile curate --estimate``'s sampled documents (:mod:`pipelines.estimate`).

Each sampled document carries its key records (``keys``: the columns the run's dedup steps decide
on) and its ``doc``; the steps group the sample as the run's steps group the whole input (record
id, normalised URL hash, text hash, MinHash bands with the exact Jaccard check) and keep the
smallest id of each group. The steps are chained: a document a step keeps stands for its group in
the next step, so each survivor stands for one group of the chain as a whole.
"""
from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any


def by_language(docs: list) -> dict[str, list]:
    out: dict = defaultdict(list)
    for r in docs:
        out[r.lang].append(r)
    return out


def groups(docs: list, step: str, settings: dict) -> list[list]:
    """The sampled documents' duplicate groups as the dedup step ``step`` forms them."""
    from transforms.dedup.components import union_find  # the same components MinHash dedup forms
    from transforms.dedup.verify import candidate_pairs

    by_key: dict = defaultdict(list)
    for i, r in enumerate(docs):
        k = r.keys
        if step == "record_dedup":
            by_key[(r.doc.id, k["k_content"])].append(i)
        elif step == "url_dedup" and k["k_url_hash"]:
            by_key[k["k_url_hash"]].append(i)
        elif step == "exact_dedup":
            by_key[k["k_text_hash"]].append(i)
        elif step == "minhash_dedup" and k["k_bands"]:
            for band in k["k_bands"]:
                by_key[band].append(i)
        elif step == "line_dedup":
            return [[r] for r in docs]  # drops lines, not documents
    edges = []
    verify = step == "minhash_dedup" and settings.get("verify_jaccard")
    checked: dict = {}
    for members in by_key.values():
        if not verify:
            edges += [(members[0], j) for j in members[1:]]
            continue
        # As the run checks a bucket: every pair of a small one, a star on the smallest id else.
        index = {docs[i].doc.id: i for i in members}
        for a, b in candidate_pairs(list(index)):
            pair = (index[a], index[b])
            if pair not in checked:
                checked[pair] = _similar(docs[pair[0]], docs[pair[1]], settings["threshold"])
            if checked[pair]:
                edges.append(pair)
    root = dict(union_find((None, edges)))
    out: dict = defaultdict(list)
    for i, r in enumerate(docs):
        out[root.get(i, i)].append(r)
    return list(out.values())


def _similar(a, b, threshold: float) -> bool:
    import numpy as np

    from transforms.dedup.minhash import jaccard

    sa, sb = a.keys.get("k_shingles"), b.keys.get("k_shingles")
    if sa is None or sb is None:
        return True
    return jaccard(np.frombuffer(sa, "<u4"), np.frombuffer(sb, "<u4")) >= threshold


def run_chain(alive: list, dedup: list[tuple[str, dict[str, Any]]]) -> tuple[list, dict[int, int], Counter]:
    """One language's sampled documents through the chained steps: ``(survivors, {id(survivor):
    sampled documents its chained group holds}, {step: sampled documents it removed})``."""
    size = {id(r): 1 for r in alive}
    removed: Counter = Counter()
    for name, settings in dedup:
        found = groups(alive, name, settings)
        alive = []
        for g in found:
            keep = min(g, key=lambda r: r.doc.id)
            size[id(keep)] = sum(size[id(r)] for r in g)
            alive.append(keep)
        removed[name] += sum(len(g) - 1 for g in found)
    return alive, size, removed


def survivors(docs: list, dedup: list[tuple[str, dict[str, Any]]]) -> list:
    """The sampled documents the dedup steps keep among themselves, every language."""
    return [r for alive in by_language(docs).values() for r in run_chain(alive, dedup)[0]]
