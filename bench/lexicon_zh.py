"""The LDNOOBW lexicon column on Chinese pages, by ``min_cjk_word_chars``.

For each minimum length of a CJK entry: the share of the 52 zh content-extraction gold pages
(../shared/data/html/zh_content_extraction) whose ``toxicity_lexicon`` is 1.0 (the shipped en + zh
lists, ``saturation_hits: 1``), the entries that fire on most pages, and the lexicon as a classifier
on the COLD test split (zh list + ChineseWebText's porn/gambling/drugs/terror categories, as
``bench/classifiers_bench.py``).

    .venv/bin/python bench/lexicon_zh.py
"""
from __future__ import annotations

import collections
import csv
import glob
import os

from classifiers.lexicon import LexiconClassifier

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATA = os.environ.get("SKYPILE_TEST_DATA", os.path.join(ROOT, "..", "shared", "data"))
SHIPPED = [os.path.join(ROOT, "pipelines", "data", "ldnoobw", f"{lang}.txt") for lang in ("en", "zh")]


def main() -> None:
    pages = [open(p, encoding="utf-8").read()
             for p in sorted(glob.glob(os.path.join(DATA, "html", "zh_content_extraction", "*", "cleaned.txt")))]
    with open(os.path.join(DATA, "labels", "cold_zh_offensive", "test.csv"), encoding="utf-8") as f:
        cold = list(csv.DictReader(f))
    lists = [os.path.join(DATA, "lists", "ldnoobw", "zh.txt"), os.path.join(DATA, "lists", "zh_sensitive_words_chinesewebtext.tsv")]
    print("| min_cjk_word_chars | zh pages at 1.0 | entries on most pages | COLD test P | R | F1 | accuracy | flagged |")
    print("|---:|---:|---|---:|---:|---:|---:|---:|")
    for k in (1, 2, 3):
        lx = LexiconClassifier(SHIPPED, min_cjk_word_chars=k).load()
        on_pages = collections.Counter(w for p in pages for w in set(lx.hits(p)))
        at_one = sum(1 for p in pages if lx.hits(p))
        clf = LexiconClassifier(lists, tsv_categories=["色情", "赌博", "毒品", "暴恐"], min_cjk_word_chars=k).load()
        flagged = [s >= 0.5 for s in clf.predict([r["TEXT"] for r in cold])]
        gold = [r["label"] == "1" for r in cold]
        tp = sum(f and g for f, g in zip(flagged, gold))
        p, r = tp / max(sum(flagged), 1), tp / sum(gold)
        accuracy = sum(f == g for f, g in zip(flagged, gold)) / len(gold)
        top = ", ".join(f"{w} {n}" for w, n in on_pages.most_common(5)) or "-"
        print(f"| {k} | {at_one}/{len(pages)} ({100 * at_one / len(pages):.0f}%) | {top} | {p:.3f} | {r:.3f} | "
              f"{2 * p * r / (p + r) if p + r else 0:.3f} | {accuracy:.3f} | {sum(flagged)} |")


if __name__ == "__main__":
    main()
