"""The one interface every document classifier follows: a name, ``load()``, and ``predict()``.

``predict`` takes a batch of texts and returns one float32 score per text, the probability of the
positive class (``high quality`` for quality models, ``toxic`` for toxicity models). Scoring never
decides anything: threshold steps do (dolma's tagger/filter split). This module imports neither
Beam nor torch, so the Beam step, the CLI and the bench share it. The kinds and their loading are
:mod:`classifiers.kinds`.
"""
from __future__ import annotations

import abc
from typing import Sequence

import numpy as np


class ModelFileError(ValueError):
    """A model path that is missing, incomplete or not a model of the expected kind."""


def truncate(text: str | None, max_chars: int) -> str:
    """The text a model sees: ``None`` becomes empty, long texts are cut at ``max_chars``
    (0 = no limit). Classifiers read a prefix, as DCLM's and FineWeb-Edu's scorers do."""
    text = text or ""
    return text[:max_chars] if max_chars and len(text) > max_chars else text


class Classifier(abc.ABC):
    """A binary document classifier. Subclasses load heavy state in :meth:`load` (never in
    ``__init__``, so an unloaded classifier pickles), and :meth:`predict` on batches."""

    #: the model family, e.g. ``fasttext``; the score column is ``<task>_<name>`` in Beam.
    kind: str = ""

    def __init__(self, path: str, max_chars: int = 0):
        self.path = path
        self.max_chars = max_chars

    @abc.abstractmethod
    def load(self) -> "Classifier":
        """Load the model from ``self.path``; raises :class:`ModelFileError` on a bad file."""

    @abc.abstractmethod
    def _predict(self, texts: list[str]) -> np.ndarray:
        """Positive-class probabilities for already truncated texts."""

    def predict(self, texts: Sequence[str | None]) -> np.ndarray:
        """One float32 score in [0, 1] per text; empty and ``None`` texts are scored too."""
        if not texts:
            return np.zeros(0, dtype=np.float32)
        scores = self._predict([truncate(t, self.max_chars) for t in texts])
        return np.clip(np.asarray(scores, dtype=np.float32), 0.0, 1.0)
