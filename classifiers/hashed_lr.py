"""Logistic regression over hashed character n-gram TF-IDF: a sparse linear scorer in one ``.npz``.

Features are the character 1..``ngram_max``-grams of the lowercased, whitespace-collapsed text
(scikit-learn's ``analyzer="char"``), hashed into ``2**bits`` buckets, weighted by sublinear TF
(1 + log count) times smoothed IDF and L2-normalised (``TfidfTransformer(sublinear_tf=True)``);
the model is ``sigmoid(w . x + b)``. The hash is a 64-bit polynomial over code points computed
with NumPy, so scoring needs NumPy only (no scikit-learn, no vocabulary to ship) and is the same
on every machine; training fits scikit-learn's ``LogisticRegression`` (the ``train`` extra).
On COLD a character n-gram LR errs on other comments than fastText's token models do, so it
adds to their mean (bench/cold_zh_cv.py).

The file holds ``weights`` and ``idf`` (float16, one per bucket), ``bias``, ``ngram_max`` and
``bits``.
"""
from __future__ import annotations

import os
import zipfile
from typing import Sequence

import numpy as np

from classifiers.base import Classifier, ModelFileError

_MULT = np.uint64(0x100000001B3)  # FNV-1a's 64-bit prime: mixes each code point into the state
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)  # Fibonacci hashing: the top bits of h * golden pick the bucket
KEYS = ("weights", "idf", "bias", "ngram_max", "bits")


def _normalise(text: str) -> str:
    return " ".join(text.lower().split())


def buckets(text: str, ngram_max: int, bits: int) -> np.ndarray:
    """Bucket of every character n-gram (n = 1..``ngram_max``) of ``text``, one per occurrence."""
    codes = np.frombuffer(_normalise(text).encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    out, h = [], np.zeros(len(codes), dtype=np.uint64)
    with np.errstate(over="ignore"):  # uint64 arithmetic wraps by design
        for n in range(1, ngram_max + 1):
            if len(codes) < n:
                break
            # h[i] = hash of codes[i : i + n], extended by one code point per round
            h = h[: len(codes) - n + 1] * _MULT + codes[n - 1:] + np.uint64(n)
            out.append((h * _GOLDEN) >> np.uint64(64 - bits))
    return np.concatenate(out) if out else np.zeros(0, dtype=np.uint64)


def term_counts(texts: Sequence[str], ngram_max: int, bits: int):
    """Per text: (unique buckets, sublinear TF = 1 + log count)."""
    for text in texts:
        idx, counts = np.unique(buckets(text, ngram_max, bits), return_counts=True)
        yield idx.astype(np.int64), 1.0 + np.log(counts)


def _tfidf_row(idx: np.ndarray, tf: np.ndarray, idf: np.ndarray) -> np.ndarray:
    v = tf * idf[idx]
    norm = np.sqrt(np.dot(v, v))
    return v / norm if norm else v


def train_hashed_lr(texts: Sequence[str], labels: Sequence[int], out: str, *, ngram_max: int = 4,
                    bits: int = 20, c: float = 8.0, max_chars: int = 0, max_iter: int = 2000) -> str:
    """Fit the TF-IDF weights and the regression on ``texts`` (label 1 = positive), save ``out``
    (``.npz``); texts are cut at ``max_chars`` first, as :class:`HashedLRClassifier` cuts them."""
    from scipy import sparse
    from sklearn.linear_model import LogisticRegression

    rows = list(term_counts([t[:max_chars] if max_chars else t for t in texts], ngram_max, bits))
    n = len(rows)
    df = np.zeros(2**bits, dtype=np.float64)
    for idx, _ in rows:
        df[idx] += 1
    idf = np.log((1 + n) / (1 + df)) + 1  # scikit-learn's smooth_idf
    idf16 = idf.astype(np.float16)  # scored with the stored (float16) IDF, so train with it too
    data = [_tfidf_row(idx, tf, idf16.astype(np.float64)) for idx, tf in rows]
    x = sparse.csr_matrix((np.concatenate(data), np.concatenate([i for i, _ in rows]),
                           np.cumsum([0] + [len(i) for i, _ in rows])), shape=(n, 2**bits))
    model = LogisticRegression(C=c, max_iter=max_iter).fit(x, np.asarray(labels))
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    with open(out, "wb") as f:
        np.savez_compressed(f, weights=model.coef_[0].astype(np.float16), idf=idf16,
                            bias=np.float64(model.intercept_[0]),
                            ngram_max=np.int64(ngram_max), bits=np.int64(bits))
    return out


def read_model(path: str) -> dict:
    """The arrays of a model file, checked; raises :class:`ModelFileError`."""
    if not os.path.isfile(path):
        raise ModelFileError(f"hashed LR model not found: {path}")
    try:
        with np.load(path, allow_pickle=False) as z:
            model = {k: z[k] for k in KEYS}
    except (ValueError, KeyError, OSError, EOFError, zipfile.BadZipFile) as exc:
        raise ModelFileError(f"{path}: not a hashed LR model ({', '.join(KEYS)} expected; {exc!r})") from exc
    size = 2 ** int(model["bits"])
    if model["weights"].shape != (size,) or model["idf"].shape != (size,):
        raise ModelFileError(f"{path}: weights/idf must have 2**bits = {size} entries")
    return model


class HashedLRClassifier(Classifier):
    """Probability of the positive class from a :func:`train_hashed_lr` model."""

    kind = "hashed_lr"

    def __init__(self, path: str, max_chars: int = 100_000):
        super().__init__(path, max_chars)
        self._model = None

    def load(self) -> "HashedLRClassifier":
        m = read_model(self.path)
        self._model = {"weights": m["weights"].astype(np.float64), "idf": m["idf"].astype(np.float64),
                       "bias": float(m["bias"]), "ngram_max": int(m["ngram_max"]), "bits": int(m["bits"])}
        return self

    def _predict(self, texts: list[str]) -> np.ndarray:
        m = self._model
        z = np.array([np.dot(_tfidf_row(idx, tf, m["idf"]), m["weights"][idx])
                      for idx, tf in term_counts(texts, m["ngram_max"], m["bits"])]) + m["bias"]
        return 1.0 / (1.0 + np.exp(-z))
