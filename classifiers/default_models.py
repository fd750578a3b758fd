"""The fastText models skypile ships in ``classifiers/models/``, and the recipe that rebuilds them.

    skypile classifiers build-defaults --out DIR [--data DIR] [--max-train N]

Each :class:`Recipe` names its labelled data (read from ``../shared/data`` or
``SKYPILE_SHARED_DATA``), three disjoint splits (train; dev, to pick the score_filter threshold;
test, reported and never used to choose anything), and the fastText settings of each member.
The build trains, quantizes (``.ftz``), picks the threshold on dev, scores test, trains plain
``fasttext.train_supervised`` on the same train split as the baseline to beat, and writes
``models.json`` and ``MODELS.md`` beside the models. fastText trains with Hogwild SGD on 10
threads (see :func:`classifiers.fasttext_model.train_fasttext`), so a rebuild reproduces the
toxicity figures to about +-0.002 F1 (three builds) and the 198-document quality test to about
+-0.01, not bit for bit; the splits themselves are deterministic.
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import tempfile
from typing import Callable

import numpy as np

from classifiers.data import Labelled, load_labelled, split
from classifiers.metrics import binary_metrics, roc_auc

MODELS_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "models")
# 0.01 steps at the low end, where a conservative quality threshold lands.
THRESHOLDS = (0.01, 0.02, 0.03, 0.04) + tuple(round(float(t), 2) for t in np.arange(0.05, 0.951, 0.05))
# Quality filtering drops clear low quality only: the threshold keeps >= this share of the dev
# split's good documents (toxicity: see pick_threshold).
MIN_QUALITY_RECALL = 0.95
F1_SLACK = 0.005


def shipped_model(name: str) -> str:
    """Path of a shipped model (``toxicity_zh``, ``toxicity_en``, ``quality_en``) inside the package."""
    recipe = RECIPES.get(name)
    if recipe is None:
        raise ValueError(f"no shipped model {name!r} (shipped: {sorted(RECIPES)})")
    return os.path.join(MODELS_DIR, recipe.filename)


@dataclasses.dataclass(frozen=True)
class Splits:
    train: Labelled
    dev: Labelled | None  # None: dev scores are out-of-fold predictions over train (tiny sets)
    test: Labelled


@dataclasses.dataclass(frozen=True)
class Member:
    """One fastText model: its file, tokenizer and settings (see ``train_fasttext``)."""

    file: str
    tokenizer: str = "chars"
    settings: tuple[tuple[str, object], ...] = ()
    # Start from skipgram vectors of the train split's tokens (``train_vectors``), not random ones.
    pretrained: bool = False


@dataclasses.dataclass(frozen=True)
class Recipe:
    name: str
    task: str  # quality | toxicity: the positive class is good / toxic
    lang: str
    source: str
    split_note: str
    settings_note: str
    members: tuple[Member, ...]
    load: Callable[[str], Splits]
    dev_folds: int = 0  # > 0: dev = out-of-fold scores of this many folds over train
    # Product quantization (.ftz): keep this many embedding rows (by norm), 4 dims per byte code.
    quantize_cutoff: int = 50_000
    quantize: bool = True
    # The prefix scored, here and in the score step (set the scorer's max_chars to it): comment
    # and tweet models need no more, and 2,000 characters cost a third of 20,000 (bench/README).
    max_chars: int = 2_000

    @property
    def filename(self) -> str:
        return f"{self.name}.json" if len(self.members) > 1 else self.members[0].file


def _hash01(text: str, seed: int) -> float:
    return int.from_bytes(hashlib.blake2b(f"{seed}\x1f{text}".encode(), digest_size=8).digest(), "big") / 2**64


def _labelled(texts, labels) -> Labelled:
    return Labelled(list(texts), list(labels), {}, {}, {})


def cap(data: Labelled, n: int, seed: int = 3) -> Labelled:
    """At most ``n`` examples (0 = all): those with the smallest seeded hashes, in input order."""
    if not n or len(data) <= n:
        return data
    keep = set(sorted(range(len(data)), key=lambda i: _hash01(data.texts[i], seed))[:n])
    return _labelled(*zip(*[(t, y) for i, (t, y) in enumerate(zip(data.texts, data.labels)) if i in keep]))


def _cold(root: str) -> Splits:
    d = os.path.join(root, "labels/cold_zh_offensive")
    load = lambda s: load_labelled(os.path.join(d, f"{s}.csv"), ["1"], ["0"], "TEXT")  # noqa: E731
    return Splits(load("train"), load("dev"), load("test"))


def _davidson(root: str) -> Splits:
    data = load_labelled(os.path.join(root, "labels/davidson_hate_offensive_en/labeled_data.csv"),
                         ["0", "1"], ["2"], "tweet", "class")
    pool, test = split(data, 0.2, seed=0)  # the bench's seeded 80/20 split
    train, dev = split(pool, 0.1, seed=1)
    return Splits(train, dev, test)


def _dclm(root: str) -> Splits:
    d = os.path.join(root, "labels/dclm_web_quality_en")
    test = load_labelled(os.path.join(d, "agreement_data.jsonl"), ["1"], ["0"])
    pool = load_labelled(os.path.join(d, "majority_data.jsonl"), ["1"], ["0"])
    held = set(test.texts)  # agreement_data repeats 153 of its 198 texts from majority_data
    train = _labelled(*zip(*[(t, y) for t, y in zip(pool.texts, pool.labels) if t not in held]))
    return Splits(train, None, test)


RECIPES: dict[str, Recipe] = {r.name: r for r in (
    Recipe(
        name="toxicity_zh", task="toxicity", lang="zh",
        source="COLD (Deng et al. 2022, EMNLP), thu-coai/COLDataset `a0c55a9`, Apache-2.0: "
               "offensive (1) vs safe (0) Chinese social-media comments on race, region and gender",
        split_note="COLD's own splits: train.csv trains, dev.csv picks the threshold, test.csv is reported",
        settings_note="mean of two fastText models: characters + character bigrams (epoch 10), and "
                      "jieba words (epoch 5), each starting from skipgram vectors (dim 100) of COLD train's "
                      "tokens (quantized pair: dev AUC 0.957 / best dev F1 0.906, vs 0.955 / 0.904 for the build "
                      "without them; unquantized sweep: bench/cold_zh_sweep.py); the pair beats either member on dev F1 (0.909 vs 0.899 / "
                      "0.892 unquantized); quantized, 50k rows kept, 4 dims per sub-quantizer",
        members=(Member("toxicity_zh_chars.ftz", "chars", (("wordNgrams", 2), ("epoch", 10)), pretrained=True),
                 Member("toxicity_zh_words.ftz", "words", (("wordNgrams", 1), ("epoch", 5)), pretrained=True)),
        load=_cold),
    Recipe(
        name="toxicity_en", task="toxicity", lang="en",
        source="Davidson et al. 2017 (ICWSM), t-davidson/hate-speech-and-offensive-language `cb50f7e`, "
               "MIT: hate or offensive (class 0, 1) vs neither (2), English tweets",
        split_note="seeded 80/20 split by text hash (`classifiers.data.split(data, 0.2, seed=0)`, the "
                   "bench's split); 10% of the 80% (seed 1) is dev, the rest trains",
        settings_note="fastText with skypile's tokenizer (lowercased, punctuation split), word unigrams, "
                      "epoch 10 (dev F1 0.970 vs 0.963 for train_fasttext's word bigrams, epoch 5); quantized",
        members=(Member("toxicity_en.ftz", "chars", (("wordNgrams", 1), ("epoch", 10))),),
        load=_davidson),
    Recipe(
        name="quality_en", task="quality", lang="en",
        source="DCLM human quality labels (Li et al. 2024), mlfoundations/dclm `361714b`, MIT: "
               "Common Crawl text, 1 = high quality, 0 = low",
        split_note="majority_data.jsonl minus every text also in agreement_data trains (223); dev = "
                   "5-fold out-of-fold scores over those; agreement_data.jsonl (198) is reported",
        settings_note="fastText, word unigrams, epoch 50, lr 0.5 (5-fold out-of-fold AUC on train: 0.75 "
                      "vs 0.67 at fastText's defaults); quantized, 20k rows kept",
        members=(Member("quality_en.ftz", "chars", (("wordNgrams", 1), ("epoch", 50), ("lr", 0.5))),),
        load=_dclm, dev_folds=5, quantize_cutoff=20_000),
)}

QUANTIZE_DSUB = 4


def fit(recipe: Recipe, train: Labelled, out_dir: str) -> str:
    """Train every member of ``recipe`` into ``out_dir``; returns the classifier's path."""
    from classifiers.fasttext_model import train_fasttext, train_vectors

    os.makedirs(out_dir, exist_ok=True)
    for m in recipe.members:
        with tempfile.TemporaryDirectory() as tmp:
            extra = {}
            if m.pretrained:
                extra["pretrainedVectors"] = train_vectors(train.texts, os.path.join(tmp, "train.vec"),
                                                           tokenizer=m.tokenizer)
            train_fasttext(train.texts, train.labels, os.path.join(out_dir, m.file), tokenizer=m.tokenizer,
                           quantize=recipe.quantize, quantize_cutoff=recipe.quantize_cutoff,
                           quantize_dsub=QUANTIZE_DSUB, **dict(m.settings), **extra)
    if len(recipe.members) > 1:
        manifest = {"members": [{"file": m.file, "tokenizer": m.tokenizer} for m in recipe.members]}
        with open(os.path.join(out_dir, recipe.filename), "w", encoding="utf-8") as f:
            json.dump(manifest, f, indent=1)
            f.write("\n")
    return os.path.join(out_dir, recipe.filename)


def score(path: str, texts: list[str], max_chars: int) -> np.ndarray:
    from classifiers.fasttext_model import FastTextClassifier

    return FastTextClassifier(path, max_chars=max_chars).load().predict(texts)


def dev_scores(recipe: Recipe, splits: Splits, path: str) -> tuple[list[int], np.ndarray]:
    """Dev labels and scores: the dev split scored by the model at ``path`` (trained on train),
    or, without a dev split, out-of-fold scores over train."""
    if splits.dev is not None:
        return splits.dev.labels, score(path, splits.dev.texts, recipe.max_chars)
    folds = np.array([int(_hash01(t, 4) * recipe.dev_folds) for t in splits.train.texts])
    out = np.zeros(len(folds), dtype=np.float32)
    with tempfile.TemporaryDirectory() as tmp:
        for k in range(recipe.dev_folds):
            rest = [(t, y) for t, y, f in zip(splits.train.texts, splits.train.labels, folds) if f != k]
            fold_model = fit(recipe, _labelled(*zip(*rest)), os.path.join(tmp, str(k)))
            idx = np.flatnonzero(folds == k)
            out[idx] = score(fold_model, [splits.train.texts[i] for i in idx], recipe.max_chars)
    return splits.train.labels, out


def pick_threshold(task: str, labels, scores) -> float:
    """Toxicity: the highest threshold within :data:`F1_SLACK` of the best F1 of the toxic class.
    Dev F1 is flat near its top (one COLD build's best was 0.40, the next build's 0.55 lay within
    0.005 of its best), and there the higher threshold drops fewer ordinary pages (the models learnt from comments and tweets, not pages). Quality:
    the highest threshold that still keeps :data:`MIN_QUALITY_RECALL` of the good documents."""
    rows = [binary_metrics(labels, scores, t) for t in THRESHOLDS]
    if task == "toxicity":
        best = max(m["f1"] for m in rows)
        return max(m["threshold"] for m in rows if m["f1"] >= best - F1_SLACK)
    ok = [m["threshold"] for m in rows if m["recall"] >= MIN_QUALITY_RECALL]
    return max(ok) if ok else THRESHOLDS[0]


def plain_fasttext_f1(train: Labelled, test: Labelled, tokens: bool, seed: int = 0) -> float:
    """The baseline: ``fasttext.train_supervised`` at its defaults, on whitespace-joined raw text
    (``tokens=False``; Chinese then has one "word" per comment and learns nothing) or on
    :func:`~classifiers.fasttext_model.tokenize`'s tokens. Only ``thread`` is set: the Python
    default (cores - 1) is 1 here, which leaves embedding rows uninitialised and ends in
    "Encountered NaN" (see ``train_fasttext``)."""
    import fasttext

    from classifiers.fasttext_model import tokenize

    fasttext.FastText.eprint = lambda *a, **k: None
    prep = tokenize if tokens else (lambda t: " ".join(t.split()))
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False, encoding="utf-8") as f:
        for t, y in zip(train.texts, train.labels):
            f.write(f"__label__{y} {prep(t)}\n")
    try:
        model = fasttext.train_supervised(input=f.name, thread=10, seed=seed, verbose=0)
    finally:
        os.unlink(f.name)
    labels, _ = model.predict([prep(t) for t in test.texts])
    return binary_metrics(test.labels, [lab[0] == "__label__1" for lab in labels])["f1"]


# Clean reference text in ../shared/data under permissive terms: how much of it a threshold
# would drop tells what the models (trained on comments and tweets) do to ordinary documents.
REFERENCE = {
    "en": ["eval/en_domains/en_tech_python_peps_2023plus.jsonl", "eval/en_domains/en_finance_fomc_minutes_2022_2023.jsonl",
           "eval/en_domains/en_science_arxiv_unarxive_sample.jsonl"],
    "zh": ["eval/zh_domains/zh_government_laws_2023plus.jsonl", "eval/zh_domains/zh_finance_laws_regulations.jsonl",
           "eval/zh_domains/zh_tech_docs.jsonl"],
}


def reference_kept(recipe: Recipe, path: str, threshold: float, data_dir: str) -> dict:
    """Share of the clean reference documents of ``recipe.lang`` that the threshold keeps."""
    texts = []
    for rel in REFERENCE[recipe.lang]:
        with open(os.path.join(data_dir, rel), encoding="utf-8") as f:
            texts += [json.loads(line)["text"] for line in f if line.strip()]
    s = score(path, texts, recipe.max_chars)
    kept = (s >= threshold) if recipe.task == "quality" else (s <= threshold)
    return {"documents": len(texts), "kept": int(kept.sum()), "share_kept": round(float(kept.mean()), 4)}


def build(recipe: Recipe, data_dir: str, out_dir: str, max_train: int = 0, log=print) -> dict:
    """Train, threshold and evaluate one shipped model; returns its record for ``models.json``."""
    splits = recipe.load(data_dir)
    splits = Splits(cap(splits.train, max_train), splits.dev, splits.test)
    log(f"{recipe.name}: {len(splits.train)} train, "
        f"{len(splits.dev) if splits.dev else f'{recipe.dev_folds}-fold'} dev, {len(splits.test)} test")
    path = fit(recipe, splits.train, out_dir)
    dev_y, dev_s = dev_scores(recipe, splits, path)
    threshold = pick_threshold(recipe.task, dev_y, dev_s)
    test_s = score(path, splits.test.texts, recipe.max_chars)
    record = {
        "name": recipe.name, "task": recipe.task, "lang": recipe.lang, "file": recipe.filename,
        "files": {m.file: os.path.getsize(os.path.join(out_dir, m.file)) for m in recipe.members},
        "source": recipe.source, "split": recipe.split_note, "settings": recipe.settings_note,
        "members": [{"file": m.file, "tokenizer": m.tokenizer, **dict(m.settings),
                     **({"pretrained": "skipgram on train"} if m.pretrained else {}), "quantize": recipe.quantize,
                     "quantize_cutoff": recipe.quantize_cutoff, "quantize_dsub": QUANTIZE_DSUB}
                    for m in recipe.members],
        "n_train": len(splits.train), "n_dev": len(dev_y), "n_test": len(splits.test),
        "threshold": threshold, "max_chars": recipe.max_chars,
        "dev_at_threshold": binary_metrics(dev_y, dev_s, threshold),
        "test_at_0.5": binary_metrics(splits.test.labels, test_s, 0.5),
        "test_at_threshold": binary_metrics(splits.test.labels, test_s, threshold),
        "test_roc_auc": roc_auc(splits.test.labels, test_s),
        "plain_fasttext_test_f1": {"raw": plain_fasttext_f1(splits.train, splits.test, tokens=False),
                                   "tokens": plain_fasttext_f1(splits.train, splits.test, tokens=True)},
        "reference_at_threshold": reference_kept(recipe, path, threshold, data_dir),
    }
    log(f"{recipe.name}: test F1 {record['test_at_0.5']['f1']} at 0.5 (plain fastText "
        f"{record['plain_fasttext_test_f1']}), threshold {threshold} from dev, reference "
        f"documents kept {record['reference_at_threshold']}")
    return record


def build_all(data_dir: str, out_dir: str, names=(), max_train: int = 0, log=print) -> list[dict]:
    """Build the named recipes (default: all) into ``out_dir``, plus ``models.json`` and ``MODELS.md``."""
    from classifiers.models_doc import models_markdown

    unknown = sorted(set(names) - set(RECIPES))
    if unknown:
        raise ValueError(f"unknown model(s) {unknown} (known: {sorted(RECIPES)})")
    for need in ("labels",):
        if not os.path.isdir(os.path.join(data_dir, need)):
            raise FileNotFoundError(f"{data_dir}: no {need}/ folder (set --data or SKYPILE_SHARED_DATA)")
    os.makedirs(out_dir, exist_ok=True)
    built = {n: build(RECIPES[n], data_dir, out_dir, max_train, log) for n in (names or RECIPES)}
    previous = os.path.join(out_dir, "models.json")
    if names and os.path.isfile(previous):  # --only: the other models' records stay
        with open(previous, encoding="utf-8") as f:
            built = {**{r["name"]: r for r in json.load(f) if r["name"] in RECIPES}, **built}
    records = [built[n] for n in RECIPES if n in built]
    with open(os.path.join(out_dir, "models.json"), "w", encoding="utf-8") as f:
        json.dump(records, f, indent=1, ensure_ascii=False)
        f.write("\n")
    with open(os.path.join(out_dir, "MODELS.md"), "w", encoding="utf-8") as f:
        f.write(models_markdown(records, max_train))
    return records
