"""The one registry of classifier kinds: listing, checking files, loading; base imports no subclass."""
import ast
from pathlib import Path

import pytest

from classifiers.base import Classifier, ModelFileError
from classifiers.kinds import KINDS, check_files, check_kind, classifier_class, guess_kind, load_classifier

MODELS = Path(__file__).resolve().parents[2] / "classifiers" / "models"


def test_every_kind_has_a_classifier_class_and_unknown_kinds_are_named():
    assert all(issubclass(classifier_class(k), Classifier) and classifier_class(k).kind == k for k in KINDS)
    known = r"\(known: fasttext, bert, lexicon, hashed_lr, ensemble\)"
    with pytest.raises(ValueError, match=r"unknown classifier kind 'bertt' " + known):
        check_kind("bertt")


def test_shipped_fasttext_model_and_ensemble_check_and_load(tmp_path):
    for path in (MODELS / "quality_en.ftz", MODELS / "toxicity_zh.json"):
        check_files("fasttext", str(path))
    scores = load_classifier("fasttext", str(MODELS / "quality_en.ftz")).predict(["a page of text", ""])
    assert scores.shape == (2,)
    with pytest.raises(ModelFileError):
        check_files("bert", str(tmp_path))  # an empty folder is no Hugging Face model
    assert guess_kind(str(tmp_path)) == "bert" and guess_kind(str(MODELS / "quality_en.ftz")) == "fasttext"


def test_base_imports_none_of_its_subclasses():
    tree = ast.parse((Path(__file__).resolve().parents[2] / "classifiers" / "base.py").read_text())
    modules = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    modules |= {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    assert not {m for m in modules if m and m.startswith("classifiers.")}
