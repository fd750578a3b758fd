"""COLD (zh toxicity) members and ensembles: what moves test F1, tuned on COLD's dev split only.

    .venv/bin/python bench/cold_zh_sweep.py [--json out.json]   # ~3 min on 2 shared cores

Trains on COLD train.csv; per model or ensemble (mean of member probabilities) prints dev F1 at
0.5, the dev-best threshold and its dev F1, and test F1 at 0.5 and at that dev-picked threshold
(the figure to report: nothing here looks at test to choose). Members, all on a 2,000-character
prefix like the shipped models:
  chars / words      fastText on skypile's character tokens (+ bigrams, epoch 10) or jieba words
                     (epoch 5), the shipped toxicity_zh pair before skipgram vectors
  *_pre              the same, starting from skipgram vectors of COLD train's tokens (dim 100)
  words_sub          jieba words with character subwords (minn 1, maxn 2); words_w2sub adds word
                     bigrams; words_presub also starts from subword-aware skipgram vectors
  lr_hash3 / 4       logistic regression on hashed character 1-3 / 1-4-gram TF-IDF (2^20 buckets)
Unquantized and one seed each (seeds move dev F1 by about +-0.001, bench/README).
"""
from __future__ import annotations

import argparse
import itertools
import json
import os
import sys
import tempfile

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from classifiers.data import load_labelled  # noqa: E402
from classifiers.fasttext_model import FastTextClassifier, train_fasttext, train_vectors  # noqa: E402
from classifiers.metrics import binary_metrics  # noqa: E402

SHARED = os.environ.get("SKYPILE_SHARED_DATA", os.path.join(os.path.dirname(__file__), "..", "..", "shared", "data"))
MAX_CHARS = 2_000
THRESHOLDS = np.round(np.arange(0.2, 0.8, 0.025), 3)

FASTTEXT = {  # name: (tokenizer, pretrained vectors (None / subword range), settings)
    "chars": ("chars", None, dict(wordNgrams=2, epoch=10)),
    "chars_pre": ("chars", (0, 0), dict(wordNgrams=2, epoch=10)),
    "words": ("words", None, dict(wordNgrams=1, epoch=5)),
    "words_pre": ("words", (0, 0), dict(wordNgrams=1, epoch=5)),
    "words_sub": ("words", None, dict(wordNgrams=1, epoch=5, minn=1, maxn=2)),
    "words_w2sub": ("words", None, dict(wordNgrams=2, epoch=5, minn=1, maxn=2)),
}


def fasttext_scores(name, train, texts_by_split, tmp):
    tok, pre, settings = FASTTEXT[name]
    extra = {}
    if pre is not None:
        extra["pretrainedVectors"] = train_vectors(train.texts, os.path.join(tmp, f"{name}.vec"), tokenizer=tok)
    path = train_fasttext(train.texts, train.labels, os.path.join(tmp, f"{name}.bin"), tokenizer=tok,
                          **settings, **extra)
    with open(path + ".json", "w") as f:
        json.dump({"members": [{"file": os.path.basename(path), "tokenizer": tok}]}, f)
    clf = FastTextClassifier(path + ".json", max_chars=MAX_CHARS).load()
    return [clf.predict(t) for t in texts_by_split]


def lr_scores(ngram_max, c, train, texts_by_split):
    from sklearn.feature_extraction.text import HashingVectorizer, TfidfTransformer
    from sklearn.linear_model import LogisticRegression

    hv = HashingVectorizer(analyzer="char", ngram_range=(1, ngram_max), n_features=2**20, alternate_sign=False,
                           norm=None)
    x = lambda ts: hv.transform([t[:MAX_CHARS] for t in ts])  # noqa: E731
    tf = TfidfTransformer(sublinear_tf=True).fit(x(train.texts))
    clf = LogisticRegression(max_iter=2000, C=c).fit(tf.transform(x(train.texts)), train.labels)
    return [clf.predict_proba(tf.transform(x(t)))[:, 1] for t in texts_by_split]


def row(name, dev, test, dev_s, test_s):
    best = max(THRESHOLDS, key=lambda th: binary_metrics(dev.labels, dev_s, th)["f1"])
    r = {"name": name, "dev_f1_0.5": binary_metrics(dev.labels, dev_s)["f1"], "dev_threshold": float(best),
         "dev_f1_best": binary_metrics(dev.labels, dev_s, best)["f1"],
         "test_f1_0.5": binary_metrics(test.labels, test_s)["f1"],
         "test_f1_dev_threshold": binary_metrics(test.labels, test_s, best)["f1"]}
    print(f"| {name} | {r['dev_f1_0.5']:.4f} | {r['dev_f1_best']:.4f} @ {best:.3f} | {r['test_f1_0.5']:.4f} "
          f"| {r['test_f1_dev_threshold']:.4f} |", flush=True)
    return r


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--json", help="also write the rows here")
    args = ap.parse_args()
    d = os.path.join(SHARED, "labels/cold_zh_offensive")
    train, dev, test = (load_labelled(os.path.join(d, f"{s}.csv"), ["1"], ["0"], "TEXT") for s in ("train", "dev", "test"))
    scores = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name in FASTTEXT:
            scores[name] = fasttext_scores(name, train, [dev.texts, test.texts], tmp)
    for n, c in ((3, 4.0), (4, 8.0)):
        scores[f"lr_hash{n}"] = lr_scores(n, c, train, [dev.texts, test.texts])
    print("| model | dev F1 @0.5 | dev-best F1 @ threshold | test F1 @0.5 | test F1 @ dev threshold |\n|---|---:|---:|---:|---:|")
    rows = [row(k, dev, test, *v) for k, v in scores.items()]
    chars, words, lrs = ["chars", "chars_pre"], [k for k in FASTTEXT if k.startswith("words")], ["lr_hash3", "lr_hash4"]
    combos = list(itertools.product(chars, words)) + list(itertools.product(chars, ["words", "words_pre"], lrs))
    for combo in combos:
        rows.append(row("+".join(combo), dev, test, *(np.mean([scores[k][i] for k in combo], 0) for i in (0, 1))))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(rows, f, indent=1)


if __name__ == "__main__":
    main()
