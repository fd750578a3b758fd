"""Binary classification metrics: precision, recall, F1 and accuracy at a threshold, per class,
a threshold sweep, and ROC AUC. Pure numpy so the CLI, the bench and the tests share them."""
from __future__ import annotations

from typing import Sequence

import numpy as np


def _prf(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def binary_metrics(labels: Sequence[int], scores: Sequence[float], threshold: float = 0.5) -> dict:
    """Metrics of the positive class (label 1) when ``score >= threshold`` predicts positive."""
    y = np.asarray(labels, dtype=bool)
    pred = np.asarray(scores, dtype=np.float64) >= threshold
    tp, fp = int((pred & y).sum()), int((pred & ~y).sum())
    fn, tn = int((~pred & y).sum()), int((~pred & ~y).sum())
    precision, recall, f1 = _prf(tp, fp, fn)
    return {"precision": round(precision, 4), "recall": round(recall, 4), "f1": round(f1, 4),
            "accuracy": round((tp + tn) / len(y), 4) if len(y) else 0.0, "n": int(len(y)),
            "positives": int(y.sum()), "threshold": threshold}


def per_class(labels: Sequence[int], scores: Sequence[float], threshold: float = 0.5) -> dict[int, dict]:
    """Precision/recall/F1/support for each class (0 and 1), as fastText's ``test-label`` prints."""
    y = np.asarray(labels, dtype=bool)
    pred = np.asarray(scores, dtype=np.float64) >= threshold
    out = {}
    for cls, (yc, pc) in ((1, (y, pred)), (0, (~y, ~pred))):
        p, r, f = _prf(int((pc & yc).sum()), int((pc & ~yc).sum()), int((~pc & yc).sum()))
        out[cls] = {"precision": round(p, 4), "recall": round(r, 4), "f1": round(f, 4), "support": int(yc.sum())}
    return out


def roc_auc(labels: Sequence[int], scores: Sequence[float]) -> float | None:
    """Area under the ROC curve (Mann-Whitney U with average ranks for ties); None with one class."""
    y = np.asarray(labels, dtype=bool)
    s = np.asarray(scores, dtype=np.float64)
    n_pos, n_neg = int(y.sum()), int((~y).sum())
    if not n_pos or not n_neg:
        return None
    order = np.argsort(s, kind="mergesort")
    ranks = np.empty(len(s))
    sorted_s = s[order]
    i = 0
    while i < len(s):  # average ranks over ties
        j = i
        while j + 1 < len(s) and sorted_s[j + 1] == sorted_s[i]:
            j += 1
        ranks[order[i:j + 1]] = (i + j) / 2 + 1
        i = j + 1
    return round(float((ranks[y].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg)), 4)


def threshold_sweep(labels: Sequence[int], scores: Sequence[float],
                    thresholds: Sequence[float] = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)) -> list[dict]:
    return [binary_metrics(labels, scores, t) for t in thresholds]


def report(labels: Sequence[int], scores: Sequence[float], threshold: float = 0.5) -> str:
    """A plain-text validation report: per-class table, AUC and the threshold sweep."""
    lines = ["class  precision  recall      f1  support"]
    for cls, m in sorted(per_class(labels, scores, threshold).items(), reverse=True):
        name = "pos" if cls else "neg"
        lines.append(f"{name:5}  {m['precision']:9.4f}  {m['recall']:6.4f}  {m['f1']:6.4f}  {m['support']:7d}")
    lines.append(f"roc_auc {roc_auc(labels, scores)}")
    lines.append("threshold  precision  recall      f1  accuracy")
    for m in threshold_sweep(labels, scores):
        lines.append(f"{m['threshold']:9.1f}  {m['precision']:9.4f}  {m['recall']:6.4f}  {m['f1']:6.4f}  "
                     f"{m['accuracy']:8.4f}")
    return "\n".join(lines)
