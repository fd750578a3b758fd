"""Labelled-data loading on the real label files: formats, label mapping, skipped labels, splits."""
from __future__ import annotations

import pytest

from classifiers.data import DataError, load_labelled, split

DAVIDSON = "labels/davidson_hate_offensive_en/labeled_data.csv"


def test_csv_labels_map_to_declared_classes(shared_data):
    # Davidson: class 0 hate, 1 offensive, 2 neither.
    data = load_labelled(str(shared_data / DAVIDSON), ["0", "1"], ["2"], "tweet", "class")
    assert len(data) == 18616
    assert data.positive_values == {"0": 1058, "1": 14389}
    assert data.negative_values == {"2": 3169}
    assert sum(data.labels) == 15447 and not data.skipped


def test_labels_outside_the_declared_set_are_reported_not_guessed(shared_data):
    data = load_labelled(str(shared_data / DAVIDSON), ["1"], ["2"], "tweet", "class")
    assert data.skipped == {"0": 1058}
    assert len(data) == 14389 + 3169
    assert "skipped 1058 rows with labels outside the declared set {'0': 1058}" in data.summary("d")


def test_without_negative_every_other_value_is_negative_and_reported(shared_data):
    data = load_labelled(str(shared_data / DAVIDSON), ["1"], [], "tweet", "class")
    assert data.negative_values == {"0": 1058, "2": 3169}
    assert not data.skipped


@pytest.mark.full_data("labels/chinesewebtext_quality_zh/fasttext_train.txt")
def test_fasttext_txt_and_jsonl_formats(shared_data):
    txt = load_labelled(str(shared_data / "labels/chinesewebtext_quality_zh/fasttext_train.txt"), ["clean"], ["dirty"])
    assert (len(txt), sum(txt.labels)) == (15, 8)
    assert not txt.texts[0].startswith("__label__")
    dclm = load_labelled(str(shared_data / "labels/dclm_web_quality_en/agreement_data.jsonl"), ["1"], ["0"])
    assert (len(dclm), sum(dclm.labels)) == (198, 108)


def test_bad_fields_and_empty_selection_are_errors(shared_data):
    with pytest.raises(DataError, match="no column 'text'"):
        load_labelled(str(shared_data / DAVIDSON), ["1"], [], "text", "class")
    with pytest.raises(DataError, match="no examples"):
        load_labelled(str(shared_data / DAVIDSON), ["7"], ["8"], "tweet", "class")
    with pytest.raises(DataError, match="both positive and negative"):
        load_labelled(str(shared_data / DAVIDSON), ["1"], ["1"], "tweet", "class")


def test_split_is_deterministic_and_disjoint(shared_data):
    data = load_labelled(str(shared_data / "labels/surge_toxicity_en/toxicity_en.csv"), ["Toxic"], [], "text", "is_toxic")
    train, valid = split(data, 0.25, seed=3)
    again_train, again_valid = split(data, 0.25, seed=3)
    assert train.texts == again_train.texts and valid.texts == again_valid.texts
    assert not set(train.texts) & set(valid.texts)
    assert len(train) + len(valid) == len(data)
    assert 0.15 < len(valid) / len(data) < 0.35
