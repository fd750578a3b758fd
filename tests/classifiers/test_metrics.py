"""Metrics against hand-computed values and scikit-learn."""
from __future__ import annotations

import numpy as np
from sklearn.metrics import f1_score, precision_score, recall_score, roc_auc_score

from classifiers.metrics import binary_metrics, per_class, report, roc_auc


def test_binary_metrics_by_hand():
    m = binary_metrics([1, 1, 0, 0, 1], [0.9, 0.4, 0.6, 0.1, 0.8])
    # tp=2 (0.9, 0.8), fp=1 (0.6), fn=1 (0.4), tn=1
    assert (m["precision"], m["recall"], m["f1"], m["accuracy"], m["n"]) == (0.6667, 0.6667, 0.6667, 0.6, 5)


def test_agrees_with_sklearn_on_random_scores():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 500)
    s = np.round(rng.random(500), 2)  # rounded: ties exercise the rank averaging
    m = binary_metrics(y, s, 0.3)
    pred = s >= 0.3
    assert abs(m["precision"] - precision_score(y, pred)) < 1e-4
    assert abs(m["recall"] - recall_score(y, pred)) < 1e-4
    assert abs(m["f1"] - f1_score(y, pred)) < 1e-4
    assert abs(roc_auc(y, s) - roc_auc_score(y, s)) < 1e-4
    assert abs(per_class(y, s, 0.3)[0]["f1"] - f1_score(1 - y, ~pred)) < 1e-4


def test_degenerate_inputs():
    assert roc_auc([1, 1], [0.2, 0.3]) is None
    assert binary_metrics([0, 0], [0.1, 0.2])["f1"] == 0.0
    text = report([1, 0, 1], [0.9, 0.2, 0.3])
    assert "roc_auc 1.0" in text and "threshold" in text
