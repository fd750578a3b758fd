"""The one registry of classifier kinds: which exist, how each loads, how its files are checked.

``fasttext`` (a model file or an ensemble manifest), ``bert`` (a Hugging Face folder),
``lexicon`` (word lists), ``hashed_lr`` (a hashed character n-gram LR, ``.npz``) and
``ensemble`` (a manifest whose members mix fastText and hashed_lr). The Beam score step, the classifiers CLI and the bench go through here;
:mod:`classifiers.base` holds only the interface (no import of its subclasses, so no cycle). Each
kind's module is imported when that kind is used: torch loads only for ``bert``.
"""
from __future__ import annotations

import os

from classifiers.base import Classifier

KINDS = ("fasttext", "bert", "lexicon", "hashed_lr", "ensemble")


def check_kind(kind: str, where: str = "classifier") -> None:
    if kind not in KINDS:
        raise ValueError(f"{where}: unknown classifier kind {kind!r} (known: {', '.join(KINDS)})")


def classifier_class(kind: str) -> type[Classifier]:
    check_kind(kind)
    if kind == "fasttext":
        from classifiers.fasttext_model import FastTextClassifier

        return FastTextClassifier
    if kind == "bert":
        from classifiers.bert_model import BertClassifier

        return BertClassifier
    if kind == "hashed_lr":
        from classifiers.hashed_lr import HashedLRClassifier

        return HashedLRClassifier
    if kind == "ensemble":
        from classifiers.ensemble import EnsembleClassifier

        return EnsembleClassifier
    from classifiers.lexicon import LexiconClassifier

    return LexiconClassifier


def load_classifier(kind: str, path, **kwargs) -> Classifier:
    """A loaded classifier of ``kind`` (lexicon: ``path`` may be a list of word-list files)."""
    return classifier_class(kind)(path, **kwargs).load()


def check_files(kind: str, path: str) -> None:
    """The full check of a local model path (fastText layout walked, safetensors headers read,
    word lists read); raises :class:`~classifiers.base.ModelFileError`."""
    check_kind(kind)
    if kind == "fasttext":  # a model file, or an ensemble manifest and its members
        from classifiers.fasttext_model import check_model_path

        check_model_path(path)
    elif kind == "bert":
        from classifiers.bert_model import check_bert_dir

        check_bert_dir(path)
    elif kind == "hashed_lr":
        from classifiers.hashed_lr import read_model

        read_model(path)
    elif kind == "ensemble":
        from classifiers.ensemble import check_ensemble

        check_ensemble(path)
    else:
        from classifiers.lexicon import read_lexicon

        read_lexicon(path)


def guess_kind(path: str) -> str:
    """``bert`` for a Hugging Face model folder, ``hashed_lr`` for a ``.npz``, ``ensemble`` for a
    manifest with a member that is not fastText, ``fasttext`` for any other file."""
    if os.path.isdir(path):
        return "bert"
    if path.endswith(".npz"):
        return "hashed_lr"
    from classifiers.ensemble import is_mixed

    return "ensemble" if path.endswith(".json") and is_mixed(path) else "fasttext"
