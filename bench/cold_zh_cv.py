"""COLD (zh toxicity) round 3: more training data (train + dev) with thresholds from cross-validation.

    nice -n 10 .venv/bin/python bench/cold_zh_cv.py [--folds 5] [--json out.json]

Rounds 1-2 (bench/cold_zh_sweep.py) trained on COLD train and picked thresholds on dev. Here each
member is also trained on train + dev (24,267 comments, +25%); its threshold, and the choice of
ensemble, come from ``--folds``-fold out-of-fold scores over train + dev (folds by a seeded text
hash), so test is still only reported. Members, on the 2,000-character prefix the shipped models
score:
  chars_pre / words_pre  the shipped toxicity_zh members (fastText on characters + bigrams, epoch
                         10 / jieba words, epoch 5), each from skipgram vectors of its training
                         texts' tokens (the fold's or the full set's, never a held-out text)
  lr_hash3 / lr_hash4    logistic regression on hashed character 1-3 (C 4) / 1-4-gram (C 8)
                         TF-IDF, 2^20 buckets (classifiers.hashed_lr)
Rows: per member and ensemble (mean of member probabilities), "train" = fitted on train, threshold
from dev; "train+dev" = fitted on train + dev, threshold from the out-of-fold scores. Unquantized.
"""
from __future__ import annotations

import argparse
import hashlib
import itertools
import json
import os
import sys
import tempfile
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from classifiers.data import load_labelled  # noqa: E402
from classifiers.default_models import pick_threshold  # noqa: E402
from classifiers.metrics import binary_metrics, roc_auc  # noqa: E402

SHARED = os.environ.get("SKYPILE_SHARED_DATA", os.path.join(os.path.dirname(__file__), "..", "..", "shared", "data"))
MAX_CHARS = 2_000
FASTTEXT = {"chars_pre": ("chars", dict(wordNgrams=2, epoch=10)), "words_pre": ("words", dict(wordNgrams=1, epoch=5))}
LR = {"lr_hash3": (3, 4.0), "lr_hash4": (4, 8.0)}


def fit_score(name, texts, labels, eval_sets, tmp):
    """Train member ``name`` on ``texts`` and score each list of ``eval_sets``."""
    if name in LR:
        from classifiers.hashed_lr import HashedLRClassifier, train_hashed_lr

        n, c = LR[name]
        path = train_hashed_lr(texts, labels, os.path.join(tmp, f"{name}.npz"), ngram_max=n, c=c, max_chars=MAX_CHARS)
        clf = HashedLRClassifier(path, max_chars=MAX_CHARS).load()
    else:
        from classifiers.fasttext_model import FastTextClassifier, train_fasttext, train_vectors

        tok, settings = FASTTEXT[name]
        vec = train_vectors(texts, os.path.join(tmp, f"{name}.vec"), tokenizer=tok)
        path = train_fasttext(texts, labels, os.path.join(tmp, f"{name}.bin"), tokenizer=tok,
                              pretrainedVectors=vec, **settings)
        with open(path + ".json", "w") as f:
            json.dump({"members": [{"file": os.path.basename(path), "tokenizer": tok}]}, f)
        clf = FastTextClassifier(path + ".json", max_chars=MAX_CHARS).load()
    return [clf.predict(t) for t in eval_sets]


def fold_of(text: str, folds: int) -> int:
    return int.from_bytes(hashlib.blake2b(f"5\x1f{text}".encode(), digest_size=8).digest(), "big") % folds


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--members", default=",".join([*FASTTEXT, *LR]))
    ap.add_argument("--json", help="also write the rows here")
    ap.add_argument("--scores", help="also write every member's scores here (.npz), for other ensembles")
    args = ap.parse_args()
    d = os.path.join(SHARED, "labels/cold_zh_offensive")
    train, dev, test = (load_labelled(os.path.join(d, f"{s}.csv"), ["1"], ["0"], "TEXT") for s in ("train", "dev", "test"))
    pool_x, pool_y = train.texts + dev.texts, np.array(train.labels + dev.labels)
    folds = np.array([fold_of(t, args.folds) for t in pool_x])
    names = args.members.split(",")
    s_dev, s_test, oof, s_test_all = {}, {}, {}, {}
    with tempfile.TemporaryDirectory() as tmp:
        for name in names:
            t0 = time.process_time()
            s_dev[name], s_test[name] = fit_score(name, train.texts, train.labels, [dev.texts, test.texts], tmp)
            oof[name] = np.zeros(len(pool_x), dtype=np.float32)
            for k in range(args.folds):
                tr, ho = np.flatnonzero(folds != k), np.flatnonzero(folds == k)
                (oof[name][ho],) = fit_score(name, [pool_x[i] for i in tr], pool_y[tr].tolist(),
                                             [[pool_x[i] for i in ho]], tmp)
            (s_test_all[name],) = fit_score(name, pool_x, pool_y.tolist(), [test.texts], tmp)
            print(f"# {name}: {time.process_time() - t0:.0f} CPU s (this process)", flush=True)
    if args.scores:
        np.savez(args.scores, **{f"{part}.{k}": v for part, d in (("dev", s_dev), ("test", s_test), ("oof", oof),
                                                                   ("test_all", s_test_all)) for k, v in d.items()})
    print("| model | train: dev-picked threshold | test F1 | train+dev: CV-best F1 @ threshold | test F1 | test AUC |\n"
          "|---|---:|---:|---:|---:|---:|")
    combos = [(n,) for n in names] + [c for r in (2, 3, 4) for c in itertools.combinations(names, r)]
    rows = []
    for combo in combos:
        mean = lambda s: np.mean([s[k] for k in combo], 0)  # noqa: E731
        th1 = pick_threshold("toxicity", dev.labels, mean(s_dev))
        th2 = pick_threshold("toxicity", pool_y, mean(oof))
        r = {"name": "+".join(combo), "train_threshold": th1,
             "train_test_f1": binary_metrics(test.labels, mean(s_test), th1)["f1"],
             "cv_threshold": th2, "cv_f1": binary_metrics(pool_y, mean(oof), th2)["f1"],
             "all_test_f1": binary_metrics(test.labels, mean(s_test_all), th2)["f1"],
             "all_test_auc": roc_auc(test.labels, mean(s_test_all))}
        rows.append(r)
        print(f"| {r['name']} | {th1:.2f} | {r['train_test_f1']:.4f} | {r['cv_f1']:.4f} @ {th2:.2f} | "
              f"{r['all_test_f1']:.4f} | {r['all_test_auc']:.4f} |", flush=True)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(rows, f, indent=1)


if __name__ == "__main__":
    main()
