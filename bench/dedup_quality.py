#!/usr/bin/env python3
"""Near-duplicate quality of ``minhash_dedup`` on a ground truth built from real documents.

Originals are real English and Chinese documents from ../shared/data (scrapinghub article bodies,
Python PEPs, FOMC minutes; PRC laws and regulations, hand-cleaned Chinese web pages, Chinese tech
docs). Each original gets one near copy made by controlled edits (words for English, characters
for Chinese: a share of positions replaced, deleted or followed by an insertion, drawn from the
other documents), the share binary-searched so that the exact Jaccard similarity of the shingle
sets hits a target on a grid from 0.40 to 1.00. The ground truth is every pair of documents in
the set (originals are each other's unrelated documents) whose exact shingle Jaccard similarity
is at least the threshold; the pipeline predicts a pair when both land in one cluster
(``minhash_cluster_id``). Reported per language: pairwise precision, recall and F1 of the real Beam
step at each threshold, for LSH alone (bands x rows from datasketch's optimal-parameter routine)
and LSH with the exact Jaccard check (false negatives weighted 0.98, since the check removes
false positives), plus FineWeb's 14 x 8.

Usage: .venv/bin/python bench/dedup_quality.py [--per-lang 150] [--thresholds 0.5,0.6,...]
       .venv/bin/python bench/dedup_quality.py --sketch-checks   # checks from fixed-size sketches
"""
from __future__ import annotations

import argparse
import glob
import gzip
import json
import os
import random
import sys
import tempfile
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import apache_beam as beam  # noqa: E402
from apache_beam.options.pipeline_options import PipelineOptions  # noqa: E402

from transforms.dedup.minhash import hash_shingles, jaccard  # noqa: E402
from transforms.dedup.minhash_dedup import MinHashDedup  # noqa: E402
from transforms.dedup.shingles import shingles, units, uses_characters  # noqa: E402
from transforms.document import Document  # noqa: E402

DATA = os.environ.get("SKYPILE_SHARED_DATA",
                      os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "..", "shared", "data"))
TARGETS = np.round(np.arange(0.40, 1.0001, 0.05), 2)


def _jsonl(rel):
    with open(os.path.join(DATA, rel), encoding="utf-8") as f:
        return [json.loads(line)["text"] for line in f if line.strip()]


def originals(lang: str, n: int, min_chars: int, max_chars: int) -> list[str]:
    if lang == "en":
        truth = json.load(open(os.path.join(DATA, "html/scrapinghub_aeb/ground-truth.json"), encoding="utf-8"))
        pool = [v["articleBody"] for _, v in sorted(truth.items())]
        pool += _jsonl("eval/en_domains/en_tech_python_peps_2023plus.jsonl")
        pool += _jsonl("eval/en_domains/en_finance_fomc_minutes_2022_2023.jsonl")
    else:
        pool = [open(p, encoding="utf-8").read()
                for p in sorted(glob.glob(os.path.join(DATA, "html/zh_content_extraction/*/cleaned.txt")))]
        pool += _jsonl("eval/zh_domains/zh_government_laws_2023plus.jsonl")
        pool += _jsonl("eval/zh_domains/zh_finance_laws_regulations.jsonl")
        pool += _jsonl("eval/zh_domains/zh_tech_docs.jsonl")
    seen, out = set(), []
    for text in pool:
        text = text.strip()[:max_chars]
        if len(text) >= min_chars and text not in seen:
            seen.add(text)
            out.append(text)
    return out[:n]


def edit(toks: list[str], share: float, donors: list[str], seed: int) -> list[str]:
    """Replace, delete or insert after a ``share`` of positions (one third each)."""
    rng = random.Random(seed)
    out = []
    for tok in toks:
        if rng.random() >= share:
            out.append(tok)
            continue
        op = rng.randrange(3)
        if op == 0:
            out.append(rng.choice(donors))
        elif op == 2:
            out.extend([tok, rng.choice(donors)])
    return out


def near_copy(text: str, target: float, donors: list[str], seed: int) -> tuple[str, float]:
    """A copy of ``text`` whose shingle Jaccard similarity to it is as close to ``target`` as a
    binary search on the edit share gets; returns the copy and its exact similarity."""
    by_char = uses_characters(text, None)
    toks, sep = units(text, by_char), "" if by_char else " "
    base = hash_shingles(shingles(text))
    lo, hi, best = 0.0, 0.6, (text, 1.0)
    for _ in range(14):
        mid = (lo + hi) / 2
        copy = sep.join(edit(toks, mid, donors, seed))
        sim = jaccard(base, hash_shingles(shingles(copy)))
        if abs(sim - target) < abs(best[1] - target):
            best = (copy, sim)
        lo, hi = (mid, hi) if sim > target else (lo, mid)
    return best


def build_set(per_lang: int) -> tuple[list[dict], dict]:
    docs, hashes = [], {}
    for lang, min_chars in (("en", 1500), ("zh", 600)):
        texts = originals(lang, per_lang, min_chars, 5000)
        donors = [u for t in texts for u in units(t, lang == "zh")]
        for i, text in enumerate(texts):
            target = float(TARGETS[i % len(TARGETS)])
            copy, sim = near_copy(text, target, donors, seed=i)
            for suffix, t in (("o", text), ("c", copy)):
                doc_id = f"{lang}{i:04d}{suffix}"
                docs.append({"id": doc_id, "text": t, "lang": lang})
                hashes[doc_id] = np.unique(hash_shingles(shingles(t)))
    return docs, hashes


def true_pairs(docs: list[dict], hashes: dict, lang: str) -> dict[tuple[str, str], float]:
    """Exact Jaccard similarity of every pair of the language sharing at least one shingle."""
    ids = [d["id"] for d in docs if d["lang"] == lang]
    owners: dict[int, list[int]] = {}
    for i, doc_id in enumerate(ids):
        for h in hashes[doc_id].tolist():
            owners.setdefault(h, []).append(i)
    candidates = set()
    for members in owners.values():
        if 1 < len(members) < 50:  # shingles shared by 50+ documents are boilerplate, not evidence
            candidates.update((a, b) for k, a in enumerate(members) for b in members[k + 1:])
    return {(ids[a], ids[b]): jaccard(hashes[ids[a]], hashes[ids[b]]) for a, b in candidates}


def run_pipeline(path: str, step: MinHashDedup) -> dict[str, str]:
    """Runs the Beam step over the JSONL file; returns every document's cluster (own id if alone)."""
    with tempfile.TemporaryDirectory() as tmp:
        with beam.Pipeline(runner="FnApiRunner", options=PipelineOptions([])) as p:
            docs = (p | "Read" >> beam.io.ReadFromText(path)
                    | "Parse" >> beam.Map(lambda line: Document(**json.loads(line))))
            out = docs | "Dedup" >> step
            rows = ((out["kept"] | "K" >> beam.Map(lambda d: d),
                     out["rejected"] | "R" >> beam.Map(lambda r: r.doc))
                    | beam.Flatten()
                    | beam.Map(lambda d: json.dumps([d.id, d.extra.get("minhash_cluster_id") or d.id])))
            rows | beam.io.WriteToText(os.path.join(tmp, "clusters"))
        clusters = {}
        for f in glob.glob(os.path.join(tmp, "clusters*")):
            for line in open(f, encoding="utf-8"):
                doc_id, cluster = json.loads(line)
                clusters[doc_id] = cluster
    return clusters


def scores(pairs: dict, clusters: dict, threshold: float, ids: list[str]) -> dict:
    truth = {p for p, s in pairs.items() if s >= threshold}
    members: dict[str, list[str]] = {}
    for doc_id in ids:
        members.setdefault(clusters[doc_id], []).append(doc_id)
    predicted = {tuple(sorted((a, b))) for m in members.values() for k, a in enumerate(m) for b in m[k + 1:]}
    truth = {tuple(sorted(p)) for p in truth}
    tp = len(truth & predicted)
    precision = tp / len(predicted) if predicted else 1.0
    recall = tp / len(truth) if truth else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"true_pairs": len(truth), "predicted_pairs": len(predicted), "precision": precision,
            "recall": recall, "f1": f1}


def sketch_checks(pairs: dict, hashes: dict, threshold: float = 0.8) -> None:
    """Pairwise P / R / F1 at ``threshold`` of checks that estimate the Jaccard similarity from a
    fixed-size sketch instead of the shingle sets (what a cheaper check would ship): the MinHash
    estimate (share of equal values) over k permutations, and a bottom-k sketch (the k smallest
    shingle hashes; exact for documents with at most k shingles)."""
    from transforms.dedup.minhash import MinHasher

    print(f"\n| check at {threshold} (pairs sharing a shingle) | lang | precision | recall | F1 |")
    print("|---|---|---|---|---|")
    for lang, truth in pairs.items():
        ids = sorted({x for pair in truth for x in pair})
        estimators = {}
        for k in (256, 512, 1024):
            sig = dict(zip(ids, MinHasher(k, 2, "affine32").signatures([hashes[i].astype(np.uint64) for i in ids])))
            estimators[f"MinHash estimate, {k} permutations"] = lambda a, b, s=sig: float(np.mean(s[a] == s[b]))
        for k in (256, 512):
            def bottom(a, b, k=k):
                sa, sb = hashes[a][:k], hashes[b][:k]  # sorted unique: the k smallest
                union = np.union1d(sa, sb)[:k]
                return len(np.intersect1d(np.intersect1d(sa, sb, assume_unique=True), union)) / len(union)
            estimators[f"bottom-{k} sketch"] = bottom
        for name, estimate in estimators.items():
            tp = fp = fn = 0
            for (a, b), j in truth.items():
                got, want = estimate(a, b) >= threshold, j >= threshold
                tp, fp, fn = tp + (got and want), fp + (got and not want), fn + (want and not got)
            p, r = tp / max(tp + fp, 1), tp / max(tp + fn, 1)
            print(f"| {name} | {lang} | {p:.3f} | {r:.3f} | {2 * p * r / max(p + r, 1e-9):.3f} |")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--per-lang", type=int, default=150, help="originals per language (each gets one copy)")
    ap.add_argument("--thresholds", default="0.5,0.55,0.6,0.65,0.7,0.75,0.8,0.85,0.9,0.95")
    ap.add_argument("--num-perm", type=int, default=128)
    ap.add_argument("--sketch-checks", action="store_true", help="only the sketch-based checks at 0.8")
    a = ap.parse_args()
    t0 = time.perf_counter()
    docs, hashes = build_set(a.per_lang)
    pairs = {lang: true_pairs(docs, hashes, lang) for lang in ("en", "zh")}
    ids = {lang: [d["id"] for d in docs if d["lang"] == lang] for lang in ("en", "zh")}
    copies = [s for lang in ("en", "zh") for (x, y), s in pairs[lang].items() if x[:-1] == y[:-1]]
    print(f"set: {len(docs)} documents ({', '.join(f'{k} {len(v)}' for k, v in ids.items())}); "
          f"copy similarity min {min(copies):.2f} median {np.median(copies):.2f}; built in "
          f"{time.perf_counter() - t0:.1f} s")
    if a.sketch_checks:
        sketch_checks(pairs, hashes)
        return 0
    settings = []
    for t in [float(x) for x in a.thresholds.split(",")]:
        settings.append((t, "lsh", dict(threshold=t, bands=0, rows=0, false_negative_weight=0.5,
                                        verify_jaccard=False)))
        settings.append((t, "lsh+jaccard", dict(threshold=t, bands=0, rows=0, false_negative_weight=0.98,
                                                verify_jaccard=True)))
    settings.append((0.8, "fineweb 14x8 (112 perm)", dict(num_perm=112, bands=14, rows=8, threshold=0.8,
                                                          verify_jaccard=False)))
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "docs.jsonl")
        with open(path, "w", encoding="utf-8") as f:
            for d in docs:
                f.write(json.dumps(d, ensure_ascii=False) + "\n")
        for t, name, kw in settings:
            kw = {"num_perm": a.num_perm, "max_rounds": 10, **kw}
            step = MinHashDedup(**kw)
            start = time.perf_counter()
            clusters = run_pipeline(path, step)
            seconds = time.perf_counter() - start
            for lang in ("en", "zh"):
                r = {"threshold": t, "method": name, "bands_rows": f"{step.bands}x{step.rows}", "lang": lang,
                     **scores(pairs[lang], clusters, t, ids[lang]), "seconds": round(seconds, 1)}
                results.append(r)
                print(json.dumps(r), file=sys.stderr)
    print("\n| threshold | method | bands x rows | lang | true pairs | predicted | precision | recall | F1 |")
    print("|---|---|---|---|---|---|---|---|---|")
    for r in results:
        print(f"| {r['threshold']:.2f} | {r['method']} | {r['bands_rows']} | {r['lang']} | {r['true_pairs']} | "
              f"{r['predicted_pairs']} | {r['precision']:.3f} | {r['recall']:.3f} | {r['f1']:.3f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
