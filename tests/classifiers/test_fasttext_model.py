"""fastText classifiers trained on real Surge toxicity labels inside the test (seconds)."""
from __future__ import annotations

import shutil

import numpy as np
import pytest

from classifiers.base import ModelFileError
from classifiers.kinds import load_classifier
from classifiers.fasttext_format import check_fasttext_file
from classifiers.fasttext_model import FastTextClassifier, tokenize, train_fasttext, train_vectors
from classifiers.metrics import binary_metrics
from tests.classifiers.fixtures import fasttext_model, surge_split  # noqa: F401 - fixtures


def test_learns_toxicity_on_held_out_data(fasttext_model, surge_split):
    _, valid = surge_split
    scores = FastTextClassifier(fasttext_model).load().predict(valid.texts)
    assert scores.dtype == np.float32 and ((0 <= scores) & (scores <= 1)).all()
    m = binary_metrics(valid.labels, scores)
    # Surge is balanced: chance is F1 ~0.5. A working bag-of-n-grams model lands well above it.
    assert m["f1"] > 0.7, m


def test_scoring_is_deterministic(fasttext_model, surge_split):
    _, valid = surge_split
    a = FastTextClassifier(fasttext_model).load().predict(valid.texts)
    b = FastTextClassifier(fasttext_model).load().predict(list(reversed(valid.texts)))[::-1]
    assert np.array_equal(a, b)


def test_every_embedding_row_is_initialised(tmp_path, surge_split):
    # fastText leaves rows uninitialised with fewer than ten training threads; we always use ten.
    import fasttext

    train, _ = surge_split
    path = train_fasttext(train.texts, train.labels, str(tmp_path / "m.bin"), bucket=20_000, dim=20, threads=1)
    matrix = fasttext.load_model(path).get_input_matrix()
    assert np.isfinite(matrix).all() and (np.abs(matrix).sum(axis=1) > 0).all()


def test_empty_none_and_huge_texts_score(fasttext_model):
    model = FastTextClassifier(fasttext_model, max_chars=1000).load()
    huge = "word " * 2_000_000  # 10 MB, cut to 1000 characters before tokenizing
    scores = model.predict(["", None, huge, "\n\n\t"])
    assert len(scores) == 4 and np.isfinite(scores).all()
    assert len(model.predict([])) == 0


def test_cjk_is_split_into_characters():
    assert tokenize("我爱Beam pipelines，OK!") == "我 爱 beam pipelines ， ok !"


def test_quantized_model_keeps_its_predictions_close(tmp_path, surge_split):
    train, valid = surge_split
    path = train_fasttext(train.texts, train.labels, str(tmp_path / "q.ftz"), bucket=50_000, epoch=25,
                          dim=20, quantize=True, quantize_cutoff=2000)
    check_fasttext_file(path)
    m = binary_metrics(valid.labels, load_classifier("fasttext", path).predict(valid.texts))
    assert m["f1"] > 0.65, m


def test_missing_truncated_and_foreign_files_fail_clearly(tmp_path, fasttext_model):
    with pytest.raises(ModelFileError, match="not found"):
        FastTextClassifier(str(tmp_path / "none.bin")).load()
    truncated = tmp_path / "trunc.bin"
    truncated.write_bytes(open(fasttext_model, "rb").read()[:-1000])
    with pytest.raises(ModelFileError, match="truncated"):
        FastTextClassifier(str(truncated)).load()
    foreign = tmp_path / "foreign.bin"
    foreign.write_bytes(b"PK\x03\x04 not a model")
    with pytest.raises(ModelFileError, match="bad header"):
        FastTextClassifier(str(foreign)).load()
    padded = tmp_path / "padded.bin"
    shutil.copy(fasttext_model, padded)
    with open(padded, "ab") as f:
        f.write(b"junk")
    with pytest.raises(ModelFileError, match="trailing bytes"):
        check_fasttext_file(str(padded))


def test_model_without_skypile_labels_is_refused(shared_data):
    # lid.176 is a real fastText model, but not a binary classifier with __label__1.
    from transforms.langid import bundled_lid_model

    with pytest.raises(ModelFileError, match="no __label__1"):
        FastTextClassifier(bundled_lid_model()).load()


def test_dim_must_split_into_ten_blocks(tmp_path, surge_split):
    train, _ = surge_split
    with pytest.raises(ValueError, match="multiple of 10"):
        train_fasttext(train.texts, train.labels, str(tmp_path / "m.bin"), dim=32)


def test_pretrained_vectors_are_the_starting_embeddings(tmp_path, surge_split):
    # train_vectors writes a .vec of the training tokens; supervised training starts from it.
    import fasttext

    train, _ = surge_split
    vec = train_vectors(train.texts, str(tmp_path / "train.vec"), dim=20)
    with open(vec, encoding="utf-8") as f:
        n, dim = map(int, f.readline().split())
        rows = {w: np.array(v, dtype=np.float32) for w, *v in (line.split(" ") for line in f)}
    assert dim == 20 and len(rows) == n > 1000 and all(len(v) == 20 for v in rows.values())
    # A near-zero learning rate leaves the pretrained rows as they were loaded.
    path = train_fasttext(train.texts, train.labels, str(tmp_path / "m.bin"), bucket=20_000, dim=20,
                          lr=1e-9, epoch=1, pretrainedVectors=vec)
    model = fasttext.load_model(path)
    word = max(rows, key=lambda w: np.abs(rows[w]).sum())
    assert np.allclose(model.get_input_vector(model.get_word_id(word)), rows[word], atol=1e-4)
