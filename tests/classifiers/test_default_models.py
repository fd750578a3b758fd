"""The shipped models (classifiers/models/) and the recipe that rebuilds them, on real labels."""
from __future__ import annotations

import dataclasses
import json
import os

import numpy as np
import pytest

from classifiers.base import ModelFileError
from classifiers.kinds import load_classifier
from classifiers.cli import main
from classifiers.data import split
from classifiers.default_models import (MIN_QUALITY_RECALL, MODELS_DIR, RECIPES, THRESHOLDS, Member, Splits, cap,
                                         dev_scores, pick_threshold, plain_fasttext_f1, shipped_model)
from classifiers.fasttext_model import FastTextClassifier, check_model_path, tokenize_words, train_fasttext
from classifiers.metrics import binary_metrics, roc_auc


def test_build_defaults_on_a_small_real_subset(tmp_path, shared_data, capsys):
    out = tmp_path / "models"
    rc = main(["build-defaults", "--out", str(out), "--data", str(shared_data), "--only", "toxicity_en",
               "--max-train", "1500"])
    assert rc == 0
    printed = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [p["name"] for p in printed] == ["toxicity_en"]
    assert sorted(p.name for p in out.iterdir()) == ["MODELS.md", "models.json", "toxicity_en.ftz"]
    (tox,) = json.loads((out / "models.json").read_text())
    # The Davidson splits are fixed: 80/20 by text hash, then 10% of the 80% as dev.
    assert (tox["n_train"], tox["n_dev"], tox["n_test"]) == (1500, 1479, 3681)
    assert tox["test_at_0.5"]["f1"] > 0.9 and tox["threshold"] in THRESHOLDS
    text = (out / "MODELS.md").read_text()
    assert "a test build, not the shipped models" in text and "| toxicity_en | `toxicity_en.ftz` |" in text
    # An output folder holds one build.
    assert main(["build-defaults", "--out", str(out), "--data", str(shared_data), "--only", "toxicity_en"]) == 2
    assert "is not empty" in capsys.readouterr().err


def test_quality_dev_scores_are_out_of_fold_and_the_threshold_keeps_95_percent(shared_data):
    # DCLM: agreement_data is the test set and none of its texts trains; dev = 5-fold out-of-fold.
    recipe = RECIPES["quality_en"]
    splits = recipe.load(str(shared_data))
    assert (len(splits.train), splits.dev, len(splits.test)) == (223, None, 198)
    assert not set(splits.train.texts) & set(splits.test.texts)
    # Fewer epochs and no quantization keep the five fold trainings to seconds.
    small = dataclasses.replace(recipe, members=(Member("q.ftz", "chars", (("wordNgrams", 1), ("epoch", 5))),),
                                quantize=False)
    train = cap(splits.train, 100)
    labels, scores = dev_scores(small, Splits(train, None, splits.test), path="")
    assert labels == train.labels and scores.shape == (100,) and ((0 <= scores) & (scores <= 1)).all()
    threshold = pick_threshold("quality", labels, scores)
    assert binary_metrics(labels, scores, threshold)["recall"] >= MIN_QUALITY_RECALL


def test_build_defaults_rejects_unknown_models_and_missing_data(tmp_path, capsys):
    assert main(["build-defaults", "--out", str(tmp_path / "a"), "--only", "quality_xx"]) == 2
    assert "unknown model(s) ['quality_xx']" in capsys.readouterr().err
    assert main(["build-defaults", "--out", str(tmp_path / "b"), "--data", str(tmp_path)]) == 2
    assert "no labels/ folder" in capsys.readouterr().err


def _held_out(shared_data, name: str, n: int = 400):
    test = RECIPES[name].load(str(shared_data)).test
    return cap(test, n)


@pytest.mark.parametrize("name, min_auc", [("toxicity_zh", 0.8), ("toxicity_en", 0.9), ("quality_en", 0.65)])
def test_shipped_models_separate_their_classes_on_held_out_examples(shared_data, name, min_auc):
    path = shipped_model(name)
    check_model_path(path)
    data = _held_out(shared_data, name)
    scores = load_classifier("fasttext", path).predict(data.texts)
    y = np.asarray(data.labels, dtype=bool)
    assert scores[y].mean() > scores[~y].mean() + 0.2, name
    assert roc_auc(data.labels, scores) > min_auc, name


def test_shipped_figures_are_those_of_the_shipped_files(shared_data):
    # models.json is written by the build that wrote the files; the files score as it says.
    records = {r["name"]: r for r in json.load(open(os.path.join(MODELS_DIR, "models.json")))}
    assert records.keys() == RECIPES.keys()
    assert records["toxicity_en"]["test_at_0.5"]["f1"] >= 0.96
    assert records["toxicity_zh"]["test_at_0.5"]["f1"] >= 0.75
    test = RECIPES["toxicity_en"].load(str(shared_data)).test
    model = FastTextClassifier(shipped_model("toxicity_en"), max_chars=records["toxicity_en"]["max_chars"]).load()
    f1 = binary_metrics(test.labels, model.predict(test.texts))["f1"]
    assert f1 == pytest.approx(records["toxicity_en"]["test_at_0.5"]["f1"], abs=1e-4)


def test_score_step_loads_the_shipped_ensemble(shared_data):
    from transforms.scorer_spec import ScorerSpec

    spec = ScorerSpec.from_config({"name": "fasttext_zh", "task": "toxicity", "kind": "fasttext",
                                   "path": shipped_model("toxicity_zh"), "languages": ["zh"]})
    spec.validate()
    scores = spec.load().predict(["只要不来中国的外国人就是好外国人", "今天天气很好，我们一起去公园散步吧。"])
    assert scores.shape == (2,) and scores[0] > scores[1]


def test_train_fasttext_beats_plain_fasttext_on_the_davidson_split(tmp_path, shared_data):
    # The "0.932 vs 0.962" was the bench's accuracy column next to an F1: on the same 80/20
    # split train_fasttext's F1 is at least plain fastText's, raw text or tokenized. Pinned here
    # with the shipped settings (unigrams, 10 epochs).
    from classifiers.data import load_labelled

    data = load_labelled(str(shared_data / "labels/davidson_hate_offensive_en/labeled_data.csv"), ["0", "1"],
                         ["2"], "tweet", "class")
    train, test = split(data, 0.2, seed=0)
    path = train_fasttext(train.texts, train.labels, str(tmp_path / "d.bin"), wordNgrams=1, epoch=10)
    ours = binary_metrics(test.labels, FastTextClassifier(path).load().predict(test.texts))["f1"]
    plain = max(plain_fasttext_f1(train, test, tokens=False), plain_fasttext_f1(train, test, tokens=True))
    assert ours >= 0.96 and ours >= plain - 0.002, (ours, plain)


def test_ensemble_manifest_errors_are_clear(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('{"models": []}')
    with pytest.raises(ModelFileError, match="not a fastText ensemble manifest"):
        FastTextClassifier(str(bad)).load()
    missing = tmp_path / "missing.json"
    missing.write_text('{"members": [{"file": "nowhere.ftz", "tokenizer": "chars"}]}')
    with pytest.raises(ModelFileError, match="not found"):
        check_model_path(str(missing))
    odd = tmp_path / "odd.json"
    odd.write_text('{"members": [{"file": "a.ftz", "tokenizer": "bpe"}]}')
    with pytest.raises(ModelFileError, match="unknown tokenizer 'bpe'"):
        check_model_path(str(odd))


def test_word_tokenizer_keeps_jieba_words_and_splits_the_rest():
    assert tokenize_words("我爱北京天安门, Beam_x pipelines！OK") == "我 爱 北京 天安门 , beam x pipelines ！ ok"


def test_toxicity_threshold_is_the_highest_near_the_best_f1_and_quality_keeps_95_percent():
    # F1 is best (0.976) up to 0.30, where one safe text at 0.42 is dropped with every toxic one;
    # at 0.45 it is 0.974 (one toxic text at 0.3 kept, nothing safe dropped): within the slack.
    labels = [1] * 20 + [0] * 20
    scores = [0.6] * 18 + [0.47, 0.3] + [0.1] * 19 + [0.42]
    assert pick_threshold("toxicity", labels, scores) == 0.45
    # Good documents score 0.02 (1 of 20) or 0.8; the highest threshold keeping 19/20 is 0.8.
    assert pick_threshold("quality", [1] * 20 + [0] * 5, [0.02] + [0.8] * 19 + [0.01] * 5) == 0.8
    assert pick_threshold("quality", [1] * 10, [0.005] * 10) == THRESHOLDS[0]  # none keeps 95%: the lowest
