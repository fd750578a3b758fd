"""Remote model paths: the pre-launch checks and the worker-side local copy go through Beam's
FileSystems. ``skytest://`` is a real Beam FileSystem registered here (local files behind a URL
scheme), so the gs:// code paths run offline."""
from __future__ import annotations

import os

import numpy as np
import pytest
from apache_beam.io.filesystem import FileMetadata
from apache_beam.io.localfilesystem import LocalFileSystem

from classifiers.base import ModelFileError
from classifiers.fasttext_model import FastTextClassifier
from tests.classifiers.fixtures import fasttext_model, surge_split, tiny_bert  # noqa: F401
from transforms.model_files import is_remote, local_copy, validate_model
from transforms.scorer_spec import ScorerSpec

PREFIX = "skytest://"


class PrefixedLocalFileSystem(LocalFileSystem):
    """Local files addressed as ``skytest:///abs/path``."""

    @classmethod
    def scheme(cls):
        return "skytest"

    @staticmethod
    def _local(path: str) -> str:
        return path[len(PREFIX):] if path.startswith(PREFIX) else path

    def join(self, basepath, *paths):
        return "/".join([basepath.rstrip("/"), *paths])

    def match(self, patterns, limits=None):
        results = super().match([self._local(p) for p in patterns], limits)
        for r in results:
            r.metadata_list = [FileMetadata(PREFIX + m.path, m.size_in_bytes, m.last_updated_in_seconds)
                               for m in r.metadata_list]
        return results

    def open(self, path, *args, **kwargs):
        return super().open(self._local(path), *args, **kwargs)

    def exists(self, path):
        return super().exists(self._local(path))


def test_remote_fasttext_is_checked_then_copied_and_scores_the_same(fasttext_model, tmp_path):
    remote = PREFIX + fasttext_model
    assert is_remote(remote) and not is_remote(fasttext_model)
    validate_model("fasttext", remote)
    with pytest.raises(ModelFileError, match="model file not found"):
        validate_model("fasttext", PREFIX + str(tmp_path / "none.bin"))
    foreign = tmp_path / "foreign.bin"
    foreign.write_bytes(b"\x00" * 64)
    with pytest.raises(ModelFileError, match="bad header"):
        validate_model("fasttext", PREFIX + str(foreign))
    copy = local_copy(remote, "fasttext")
    assert copy != fasttext_model and os.path.getsize(copy) == os.path.getsize(fasttext_model)
    spec = ScorerSpec.from_config({"name": "ft", "task": "toxicity", "kind": "fasttext", "path": remote})
    texts = ["you idiot", "have a nice day", ""]
    assert np.array_equal(spec.load().predict(texts), FastTextClassifier(fasttext_model, max_chars=20_000).load().predict(texts))


def test_remote_bert_folder_is_checked_and_copied(tiny_bert, tmp_path):
    remote = PREFIX + tiny_bert
    validate_model("bert", remote)
    copy = local_copy(remote, "bert")
    assert sorted(os.listdir(copy)) == sorted(os.listdir(tiny_bert))
    incomplete = tmp_path / "incomplete"
    incomplete.mkdir()
    (incomplete / "config.json").write_text("{}")
    with pytest.raises(ModelFileError, match="no weights file"):
        validate_model("bert", PREFIX + str(incomplete))


def test_default_cold_scorer_loads_and_ranks_real_cold_test_rows(shared_data):
    # The shipped toxicity_zh pair through the score step's own entry in defaults.yaml: checked,
    # loaded, and toxic COLD test comments above safe ones, at the threshold score_filter uses.
    from classifiers.data import load_labelled
    from classifiers.default_models import cap
    from classifiers.metrics import binary_metrics, roc_auc
    from pipelines.config import load_config

    config = load_config()
    (entry,) = [e for e in config["score"]["scorers"] if e["name"] == "cold"]
    spec = ScorerSpec.from_config(entry)
    spec.validate()
    test = cap(load_labelled(str(shared_data / "labels/cold_zh_offensive/test.csv"), ["1"], ["0"], "TEXT"), 300)
    scores = spec.load().predict(test.texts)
    y = np.asarray(test.labels, dtype=bool)
    assert roc_auc(test.labels, scores) > 0.8 and scores[y].mean() > scores[~y].mean() + 0.2
    assert binary_metrics(test.labels, scores, config["score_filter"]["max_toxicity"]["cold"])["f1"] > 0.7
