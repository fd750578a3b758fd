"""fastText document classifiers: training and batched scoring (``fasttext-numpy2``).

fastText reads whitespace-separated tokens, so Chinese needs segmenting. The default tokenizer
(``chars``) splits CJK text into single characters and lets ``wordNgrams=2`` add character
bigrams: no dictionary to ship, the same at training and scoring time, and close to word
segmentation for classification (Joulin et al. 2017, "Bag of Tricks", show n-gram features
recover most of the gain). ``words`` segments with jieba instead (rjieba, jieba's dictionary).
Labels are always ``__label__1`` (positive) and ``__label__0``, so a model file carries which
class is positive.

A model path ending in ``.json`` is an ensemble manifest: ``{"members": [{"file": "a.ftz",
"tokenizer": "chars"}, ...]}`` (files relative to the manifest); its score is the mean of the
members' probabilities. Two fastText models over different tokens (characters, jieba words)
err on different texts, so the mean beats either (COLD dev F1, classifiers/models/MODELS.md).
"""
from __future__ import annotations

import json
import os
import re
import tempfile
from typing import Sequence

import numpy as np

from classifiers.base import Classifier, ModelFileError
from classifiers.fasttext_format import check_fasttext_file

POSITIVE = "__label__1"
NEGATIVE = "__label__0"

_CJK_CHARS = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af"
_CJK = re.compile(f"[{_CJK_CHARS}]")
# CJK ideographs, kana and hangul become one token each; runs of other word characters stay whole.
_TOKENS = re.compile(f"[{_CJK_CHARS}]|[^\\W_]+|[^\\w\\s]", re.UNICODE)

# fastText's supervised defaults (lr 0.1, dim 100, epoch 5) plus word bigrams, as its text
# classification tutorial recommends (fasttext.cc/docs/en/supervised-tutorial.html).
# See train_fasttext: fewer threads leave part of the input matrix uninitialised.
MIN_THREADS = 10
DEFAULT_TRAIN = {"epoch": 5, "lr": 0.1, "wordNgrams": 2, "dim": 100, "minCount": 1, "loss": "softmax"}


def tokenize(text: str) -> str:
    """One line of lowercased tokens, the form fastText trains and predicts on."""
    return " ".join(_TOKENS.findall(text.lower()))


def tokenize_words(text: str) -> str:
    """Like :func:`tokenize`, with CJK runs cut into jieba words instead of characters."""
    import rjieba

    out = []
    for piece in rjieba.cut(text.lower()):
        if _CJK.match(piece):  # jieba keeps CJK words whole and other runs apart
            out.append(piece)
        else:
            out.extend(_TOKENS.findall(piece))
    return " ".join(out)


TOKENIZERS = {"chars": tokenize, "words": tokenize_words}


def _tokenizer(name: str):
    if name not in TOKENIZERS:
        raise ValueError(f"unknown fastText tokenizer {name!r} (known: {sorted(TOKENIZERS)})")
    return TOKENIZERS[name]


def opts_dim(params: dict) -> int:
    return int(params.get("dim", DEFAULT_TRAIN["dim"]))


def train_fasttext(texts: Sequence[str], labels: Sequence[int], out: str, *, quantize: bool = False,
                   quantize_cutoff: int = 0, quantize_dsub: int = 2, seed: int = 0, threads: int = MIN_THREADS,
                   tokenizer: str = "chars", **params) -> str:
    """Train a binary model on ``texts`` (label 1 = positive) and save it to ``out``.

    fastText initialises the input matrix in ten blocks, one per training thread
    (``DenseMatrix::uniform``); with fewer than ten threads the other rows stay uninitialised in
    fasttext-numpy2 0.10 (we measured 35k of 55k rows left as they were, run-to-run differences
    and intermittent "Encountered NaN"). So at least :data:`MIN_THREADS` threads train, and
    ``dim`` must be a multiple of 10 (each block is ``rows * dim // 10`` floats; the remainder
    would stay uninitialised). Hogwild SGD makes training vary slightly from run to run; scoring
    a given model is deterministic. A model trained with ``tokenizer="words"`` must be scored
    through a manifest that says so (a bare model file is scored with ``chars`` tokens).
    """
    if opts_dim(params) % 10:
        raise ValueError(f"fastText dim must be a multiple of 10, not {opts_dim(params)} "
                         "(fastText initialises the embeddings in ten equal blocks)")
    import fasttext

    tok = _tokenizer(tokenizer)
    opts = {**DEFAULT_TRAIN, **params}
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False, encoding="utf-8") as f:
        for text, label in zip(texts, labels):
            f.write(f"{POSITIVE if label else NEGATIVE} {tok(text)}\n")
        train_file = f.name
    try:
        fasttext.FastText.eprint = lambda *a, **k: None
        model = fasttext.train_supervised(input=train_file, seed=seed, thread=max(threads, MIN_THREADS),
                                          verbose=0, **opts)
        if quantize:
            # Product quantization, as in fastText's .ftz models: ~10x smaller, same labels;
            # cutoff > 0 keeps only that many embedding rows (by norm), smaller and faster still;
            # dsub = dimensions per sub-quantizer (one byte each), so 4 halves the codes of 2.
            model.quantize(input=train_file, retrain=False, qnorm=True, cutoff=quantize_cutoff,
                           dsub=quantize_dsub)
    finally:
        os.unlink(train_file)
    model.save_model(out)
    return out


def train_vectors(texts: Sequence[str], out: str, *, tokenizer: str = "chars", dim: int = 100,
                  model: str = "skipgram", threads: int = MIN_THREADS) -> str:
    """Unsupervised fastText vectors of ``texts``' tokens, written as a ``.vec`` text file for
    ``train_fasttext(..., pretrainedVectors=out, dim=dim)``: supervised training then starts from
    embeddings that already place co-occurring tokens together (fastText's ``-pretrainedVectors``).
    Train them on the training split only. Same thread rule as :func:`train_fasttext`."""
    import fasttext

    tok = _tokenizer(tokenizer)
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False, encoding="utf-8") as f:
        for text in texts:
            f.write(tok(text) + "\n")
        corpus = f.name
    try:
        fasttext.FastText.eprint = lambda *a, **k: None
        vec = fasttext.train_unsupervised(corpus, model=model, dim=dim, minCount=1, minn=0, maxn=0,
                                          thread=max(threads, MIN_THREADS), verbose=0)
    finally:
        os.unlink(corpus)
    with open(out, "w", encoding="utf-8") as f:
        words = vec.get_words()
        f.write(f"{len(words)} {dim}\n")
        for w in words:
            f.write(w + " " + " ".join(f"{x:.5f}" for x in vec.get_word_vector(w)) + "\n")
    return out


def read_manifest(path: str, tokenizer: str = "chars") -> list[tuple[str, str]]:
    """``(model file, tokenizer)`` per member of an ensemble manifest, or ``[(path, tokenizer)]``
    for a plain model file."""
    if not path.endswith(".json"):
        return [(path, tokenizer)]
    if not os.path.isfile(path):
        raise ModelFileError(f"fastText ensemble manifest not found: {path}")
    try:
        with open(path, encoding="utf-8") as f:
            members = json.load(f)["members"]
        out = [(os.path.join(os.path.dirname(os.path.abspath(path)), m["file"]), m.get("tokenizer", "chars"))
               for m in members]
    except (ValueError, KeyError, TypeError) as exc:
        raise ModelFileError(f"{path}: not a fastText ensemble manifest "
                             f'({{"members": [{{"file": ..., "tokenizer": ...}}]}} expected; {exc!r})') from exc
    if not out:
        raise ModelFileError(f"{path}: ensemble manifest lists no members")
    for _, tok in out:
        if tok not in TOKENIZERS:
            raise ModelFileError(f"{path}: unknown tokenizer {tok!r} (known: {sorted(TOKENIZERS)})")
    return out


def check_model_path(path: str) -> None:
    """Pre-launch check of a model file or of every member of an ensemble manifest."""
    for file, _ in read_manifest(path):
        check_fasttext_file(file)


def _load_model(path: str):
    check_fasttext_file(path)
    import fasttext

    fasttext.FastText.eprint = lambda *a, **k: None
    try:
        model = fasttext.load_model(path)
    except (ValueError, RuntimeError, MemoryError) as exc:
        raise ModelFileError(f"{path}: corrupt fastText model ({exc})") from exc
    labels = set(model.get_labels())
    if POSITIVE not in labels:
        raise ModelFileError(f"{path}: no {POSITIVE} label (labels: {sorted(labels)}); "
                             "train it with `skypile classifiers train-fasttext`")
    return model


class FastTextClassifier(Classifier):
    """Probability of ``__label__1`` from a fastText model trained by :func:`train_fasttext`,
    or the mean over the members of an ensemble manifest (``.json``, see the module docstring).
    ``tokenizer`` is that of a plain model file (a manifest names its members' own)."""

    kind = "fasttext"

    def __init__(self, path: str, max_chars: int = 100_000, tokenizer: str = "chars"):
        super().__init__(path, max_chars)
        _tokenizer(tokenizer)  # an unknown name fails here, before any worker loads
        self.tokenizer = tokenizer
        self._members = None

    def load(self) -> "FastTextClassifier":
        self._members = [(_load_model(file), TOKENIZERS[tok])
                         for file, tok in read_manifest(self.path, self.tokenizer)]
        return self

    def _predict(self, texts: list[str]) -> np.ndarray:
        out = np.zeros(len(texts), dtype=np.float64)
        for model, tok in self._members:
            # k=-1 returns every label; the batched call runs in C++ for the whole list.
            labels, probs = model.predict([tok(t) for t in texts], k=-1)
            for i, (labs, ps) in enumerate(zip(labels, probs)):
                out[i] += dict(zip(labs, ps)).get(POSITIVE, 0.0)
        return (out / len(self._members)).astype(np.float32)
