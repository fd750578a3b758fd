"""The hashed character n-gram LR (classifiers/hashed_lr.py) and the mixed-kind ensemble, on real COLD rows."""
from __future__ import annotations

import json

import numpy as np
import pytest

from classifiers.base import ModelFileError
from classifiers.data import load_labelled
from classifiers.default_models import cap
from classifiers.ensemble import EnsembleClassifier, read_ensemble
from classifiers.hashed_lr import HashedLRClassifier, buckets, term_counts, train_hashed_lr
from classifiers.kinds import check_files, guess_kind, load_classifier
from classifiers.metrics import roc_auc

COLD = "labels/cold_zh_offensive"


@pytest.fixture(scope="module")
def cold(shared_data):
    load = lambda s: load_labelled(str(shared_data / COLD / f"{s}.csv"), ["1"], ["0"], "TEXT")  # noqa: E731
    return cap(load("train"), 3000), cap(load("test"), 400)


@pytest.fixture(scope="module")
def lr_model(tmp_path_factory, cold):
    train, _ = cold
    out = tmp_path_factory.mktemp("lr") / "tox_zh.npz"
    return str(train_hashed_lr(train.texts, train.labels, str(out), ngram_max=3, bits=18, c=4.0))


def test_buckets_cover_every_ngram_and_ignore_case_and_spacing():
    # "ab c" -> "ab c": 4 unigrams, 3 bigrams, 2 trigrams
    assert len(buckets("AB   c", 3, 20)) == 4 + 3 + 2
    assert np.array_equal(buckets("AB   c", 3, 20), buckets("ab c", 3, 20))
    assert not np.array_equal(buckets("ab", 2, 20), buckets("ba", 2, 20))
    assert len(buckets("", 4, 20)) == 0 and len(buckets("好", 4, 20)) == 1
    assert buckets("黑人都是", 4, 18).max() < 2**18


def test_scores_are_scikit_learns_tfidf_logistic_regression(lr_model, cold):
    # The stored model (float16 weights and IDF) scores as scikit-learn's own TfidfTransformer +
    # LogisticRegression would on the same hashed counts.
    from scipy import sparse
    from sklearn.feature_extraction.text import TfidfTransformer

    _, test = cold
    z = np.load(lr_model)
    rows = list(term_counts(test.texts, 3, 18))
    counts = sparse.csr_matrix((np.concatenate([np.round(np.exp(tf - 1)) for _, tf in rows]),
                                np.concatenate([i for i, _ in rows]), np.cumsum([0] + [len(i) for i, _ in rows])),
                               shape=(len(rows), 2**18))
    tfidf = TfidfTransformer(sublinear_tf=True)
    tfidf.fit(counts)
    tfidf.idf_ = z["idf"].astype(np.float64)
    logits = tfidf.transform(counts) @ z["weights"].astype(np.float64) + float(z["bias"])
    ours = HashedLRClassifier(lr_model).load().predict(test.texts)
    assert np.allclose(ours, 1 / (1 + np.exp(-logits)), atol=1e-5)


def test_lr_separates_held_out_cold_rows_and_loads_through_the_kinds(lr_model, cold):
    _, test = cold
    assert guess_kind(lr_model) == "hashed_lr"
    check_files("hashed_lr", lr_model)
    scores = load_classifier("hashed_lr", lr_model, max_chars=2000).predict(test.texts + ["", None])
    assert scores.shape == (len(test) + 2,) and roc_auc(test.labels, scores[:-2]) > 0.75


def test_ensemble_is_the_mean_of_its_members_and_bad_manifests_are_named(lr_model, tmp_path, cold):
    from classifiers.fasttext_model import FastTextClassifier, train_fasttext

    train, test = cold
    ft = train_fasttext(train.texts, train.labels, str(tmp_path / "w.bin"), tokenizer="words", bucket=50_000)
    manifest = tmp_path / "mix.json"
    manifest.write_text(json.dumps({"members": [{"file": "w.bin", "tokenizer": "words"},
                                                {"file": lr_model, "kind": "hashed_lr"}]}))
    assert guess_kind(str(manifest)) == "ensemble" and [m["kind"] for m in read_ensemble(str(manifest))] == [
        "fasttext", "hashed_lr"]
    check_files("ensemble", str(manifest))
    mean = EnsembleClassifier(str(manifest)).load().predict(test.texts)
    parts = [FastTextClassifier(ft, tokenizer="words").load().predict(test.texts),
             HashedLRClassifier(lr_model).load().predict(test.texts)]
    assert np.allclose(mean, np.mean(parts, 0), atol=1e-6)
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"members": [{"file": "x.bin", "kind": "bert"}]}))
    with pytest.raises(ModelFileError, match="member kind 'bert' cannot be in an ensemble"):
        check_files("ensemble", str(bad))
    broken = tmp_path / "broken.npz"
    broken.write_bytes(b"PK\x03\x04 not a zip")
    with pytest.raises(ModelFileError, match="not a hashed LR model"):
        check_files("hashed_lr", str(broken))
