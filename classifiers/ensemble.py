"""The mean of classifiers of different kinds, named by one manifest.

``{"members": [{"file": "a.ftz", "kind": "fasttext", "tokenizer": "words"}, {"file": "b.npz",
"kind": "hashed_lr"}]}``, files relative to the manifest; ``kind`` defaults to ``fasttext``. A
fastText-only manifest is also a ``fasttext`` model (:mod:`classifiers.fasttext_model`); this kind
adds members that are not fastText (the hashed character n-gram LR), which err on other texts
than fastText's token models do, so their mean beats the pair (COLD: bench/cold_zh_cv.py).
"""
from __future__ import annotations

import json
import os

import numpy as np

from classifiers.base import Classifier, ModelFileError

MEMBER_KINDS = ("fasttext", "hashed_lr")


def read_ensemble(path: str) -> list[dict]:
    """Members of a manifest: ``{"file": absolute path, "kind": ..., "tokenizer": ...}``."""
    if not os.path.isfile(path):
        raise ModelFileError(f"ensemble manifest not found: {path}")
    try:
        with open(path, encoding="utf-8") as f:
            members = json.load(f)["members"]
        out = [{"file": os.path.join(os.path.dirname(os.path.abspath(path)), m["file"]),
                "kind": m.get("kind", "fasttext"), "tokenizer": m.get("tokenizer", "chars")} for m in members]
    except (ValueError, KeyError, TypeError) as exc:
        raise ModelFileError(f'{path}: not an ensemble manifest ({{"members": [{{"file": ..., "kind": ...}}]}} '
                             f"expected; {exc!r})") from exc
    if not out:
        raise ModelFileError(f"{path}: ensemble manifest lists no members")
    for m in out:
        if m["kind"] not in MEMBER_KINDS:
            raise ModelFileError(f"{path}: member kind {m['kind']!r} cannot be in an ensemble "
                                 f"(known: {', '.join(MEMBER_KINDS)})")
    return out


def is_mixed(path: str) -> bool:
    """A manifest with a member that is not fastText (so only this kind loads it)."""
    try:
        return any(m["kind"] != "fasttext" for m in read_ensemble(path))
    except ModelFileError:
        return False


def _member(m: dict) -> Classifier:
    if m["kind"] == "fasttext":
        from classifiers.fasttext_model import FastTextClassifier

        return FastTextClassifier(m["file"], max_chars=0, tokenizer=m["tokenizer"])
    from classifiers.hashed_lr import HashedLRClassifier

    return HashedLRClassifier(m["file"], max_chars=0)


def check_ensemble(path: str) -> None:
    """Pre-launch check of the manifest and every member's file."""
    from classifiers.fasttext_format import check_fasttext_file
    from classifiers.hashed_lr import read_model

    for m in read_ensemble(path):
        (check_fasttext_file if m["kind"] == "fasttext" else read_model)(m["file"])


class EnsembleClassifier(Classifier):
    """Mean of the members' positive-class probabilities (each sees the same prefix)."""

    kind = "ensemble"

    def __init__(self, path: str, max_chars: int = 100_000):
        super().__init__(path, max_chars)
        self._members = None

    def load(self) -> "EnsembleClassifier":
        self._members = [_member(m).load() for m in read_ensemble(self.path)]
        return self

    def _predict(self, texts: list[str]) -> np.ndarray:
        return np.mean([m.predict(texts) for m in self._members], axis=0)
