"""Agreement of the heuristics' "keep" with human quality labels, per language.

English: DCLM's human-annotated Common Crawl texts (label 1 = high quality). Tuning split:
``majority_data.jsonl`` (376 docs, majority vote); report split: ``agreement_data.jsonl`` (198
docs the annotators agreed on). Chinese: ChineseWebText's ``clean.jsonl`` / ``dirty.jsonl`` (14
docs), split by position: even rows tune, odd rows report. Each configuration variant is scored
on both splits; the defaults are the variant picked by F1 on the tuning split.

Also printed: which rules drop how many good (label 1 / clean) documents on the report split, and
the keep rate on known-good Chinese and English domain text (laws, PEPs) and on a raw CCNet
sample, as sanity checks. Figures go to bench/README.md (## Heuristics).

Usage: .venv/bin/python bench/heuristics_agreement.py [--data ../shared/data]
"""
from __future__ import annotations

import argparse
import copy
import json
import os
import sys
from collections import Counter

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from pipelines.config import load_config  # noqa: E402
from transforms.document import Document  # noqa: E402
from transforms.heuristics.step import Heuristics, count_into  # noqa: E402
from transforms.step import Drop  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def read_jsonl(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f]


def english_variants(base):
    """Named config variants for the English tuning grid (each a dict of overrides)."""
    def with_(**paths):
        cfg = copy.deepcopy(base)
        for path, value in paths.items():
            node = cfg
            *parents, leaf = path.split("__")
            for key in parents:
                node = node[key]
            node[leaf] = value
        return cfg

    return {
        "defaults": base,
        "C4 as published (+ no '{', >= 5 sentences)": with_(languages__en__c4__filter_curly_bracket=True,
                                                             languages__en__c4__min_sentences=5),
        "C4 as FineWeb runs it (no terminal-punct line rule, + >= 5 sentences, no '{')": with_(
            languages__en__c4__require_terminal_punct=False, languages__en__c4__filter_curly_bracket=True,
            languages__en__c4__min_sentences=5),
        "C4 without terminal-punct line rule": with_(languages__en__c4__require_terminal_punct=False),
        "c4 off": with_(languages__en__c4__enabled=False),
        "fineweb off": with_(languages__en__fineweb__enabled=False),
        "gopher_quality off": with_(languages__en__gopher_quality__enabled=False),
        "gopher_repetition off": with_(languages__en__gopher_repetition__enabled=False),
        "no boilerplate line removal": with_(clean__boilerplate=[]),
    }


def chinese_variants(base):
    cfg = copy.deepcopy(base)
    cfg["languages"]["zh"]["chinese"]["min_line_punct_ratio"] = 0.0
    words = copy.deepcopy(base)
    words["zh_words"] = "chars"
    return {"defaults": base, "zh line punctuation off": cfg, "zh_words chars": words}


def evaluate(section, docs, lang):
    """(precision, recall, f1, kept, reasons dropping good docs) of keep vs labels."""
    step = Heuristics(**section, counter_inc_fn=count_into(Counter()))
    step.setup()
    tp = fp = fn = 0
    good_dropped: Counter = Counter()
    for i, (text, good) in enumerate(docs):
        verdict = step.process(Document(id=str(i), text=text, lang=lang))
        keep = not isinstance(verdict, Drop)
        tp += keep and good
        fp += keep and not good
        fn += (not keep) and good
        if good and not keep:
            good_dropped[verdict.reason] += 1
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1, tp + fp, good_dropped


def keep_rate(section, texts, lang):
    step = Heuristics(**section, counter_inc_fn=count_into(Counter()))
    step.setup()
    verdicts = [step.process(Document(id=str(i), text=t, lang=lang)) for i, t in enumerate(texts)]
    reasons = Counter(v.reason for v in verdicts if isinstance(v, Drop))
    return sum(not isinstance(v, Drop) for v in verdicts), len(texts), reasons


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", default=os.path.join(ROOT, "..", "shared", "data"))
    args = ap.parse_args(argv)
    base = dict(load_config()["heuristics"])
    base.pop("enabled")
    dclm = os.path.join(args.data, "labels/dclm_web_quality_en")
    en = {"tune": [(r["text"], r["label"] == 1) for r in read_jsonl(os.path.join(dclm, "majority_data.jsonl"))],
          "report": [(r["text"], r["label"] == 1) for r in read_jsonl(os.path.join(dclm, "agreement_data.jsonl"))]}
    cwt = os.path.join(args.data, "labels/chinesewebtext_quality_zh")
    zh_all = [(r["text"], True) for r in read_jsonl(os.path.join(cwt, "clean.jsonl"))]
    zh_all += [(r["text"], False) for r in read_jsonl(os.path.join(cwt, "dirty.jsonl"))]
    zh = {"tune": zh_all[0::2], "report": zh_all[1::2]}

    print("| lang | variant | split | docs (good) | kept | precision | recall | F1 |")
    print("|---|---|---|---|---|---|---|---|")
    dropped_good = {}
    for lang, splits, variants in (("en", en, english_variants(base)), ("zh", zh, chinese_variants(base))):
        base_rate = {s: sum(g for _, g in d) / len(d) for s, d in splits.items()}
        for split in ("tune", "report"):
            n_good = sum(g for _, g in splits[split])
            print(f"| {lang} | keep everything | {split} | {len(splits[split])} ({n_good}) | {len(splits[split])} | "
                  f"{base_rate[split]:.3f} | 1.000 | {2 * base_rate[split] / (1 + base_rate[split]):.3f} |")
        for name, section in variants.items():
            for split in ("tune", "report"):
                p, r, f1, kept, good_dropped = evaluate(section, splits[split], lang)
                n_good = sum(g for _, g in splits[split])
                print(f"| {lang} | {name} | {split} | {len(splits[split])} ({n_good}) | {kept} | {p:.3f} | {r:.3f} | {f1:.3f} |")
                if name == "defaults" and split == "report":
                    dropped_good[lang] = good_dropped
    for lang, reasons in dropped_good.items():
        print(f"\n{lang} report split, good documents dropped by: "
              + (", ".join(f"{k}={v}" for k, v in reasons.most_common()) or "none"))

    print("\n| set | lang | kept / docs | top drop reasons |\n|---|---|---|---|")
    sets = [("eval/zh_domains/zh_government_laws_2023plus.jsonl", "zh", "text"),
            ("eval/zh_domains/zh_finance_laws_regulations.jsonl", "zh", "text"),
            ("eval/en_domains/en_tech_python_peps_2023plus.jsonl", "en", "text"),
            ("labels/chinesewebtext_quality_zh/cc_2021-43_ccnet_sample.jsonl", "zh", "raw_content")]
    for rel, lang, field in sets:
        texts = [r[field] for r in read_jsonl(os.path.join(args.data, rel))]
        kept, total, reasons = keep_rate(base, texts, lang)
        top = ", ".join(f"{k}={v}" for k, v in reasons.most_common(3))
        print(f"| {os.path.basename(rel)} | {lang} | {kept} / {total} | {top} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
