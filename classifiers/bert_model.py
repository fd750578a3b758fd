"""BERT-style document classifiers: any local Hugging Face folder loaded with
``AutoModelForSequenceClassification`` and its tokenizer, scored in padded batches.

Works on CPU or GPU (``device="auto"`` takes CUDA when present), so the same model folder scores
on a laptop and on GPU workers. Training lives in :mod:`classifiers.bert_train`.
"""
from __future__ import annotations

import json
import os

import numpy as np

from classifiers.base import Classifier, ModelFileError

WEIGHT_FILES = ("model.safetensors", "model.safetensors.index.json", "pytorch_model.bin",
                "pytorch_model.bin.index.json")
TOKENIZER_FILES = ("tokenizer.json", "vocab.txt", "tokenizer.model", "vocab.json")


def check_bert_dir(path: str) -> None:
    """Raise :class:`ModelFileError` unless ``path`` is a loadable Hugging Face model folder:
    a parseable ``config.json``, weights (safetensors headers are read, so a truncated or corrupt
    file is caught here) and tokenizer files."""
    if not os.path.isdir(path):
        raise ModelFileError(f"BERT model folder not found: {path}")
    try:
        with open(os.path.join(path, "config.json"), encoding="utf-8") as f:
            json.load(f)
    except (OSError, ValueError) as exc:
        raise ModelFileError(f"{path}: missing or unreadable config.json ({exc})") from exc
    weights = [w for w in WEIGHT_FILES if os.path.exists(os.path.join(path, w))]
    if not weights:
        raise ModelFileError(f"{path}: no weights ({' or '.join(WEIGHT_FILES)})")
    if weights[0] == "model.safetensors":
        from safetensors import safe_open

        file = os.path.join(path, weights[0])
        try:
            with safe_open(file, framework="np") as f:
                keys = list(f.keys())
            # The header lists every tensor's byte range; a file shorter than that is truncated.
            with open(file, "rb") as f:
                header_len = int.from_bytes(f.read(8), "little")
                header = json.loads(f.read(header_len))
            end = max(v["data_offsets"][1] for k, v in header.items() if k != "__metadata__")
            if os.path.getsize(file) < 8 + header_len + end:
                raise ValueError("file shorter than its header says (truncated)")
        except Exception as exc:  # noqa: BLE001 - any parse failure means an unusable file
            raise ModelFileError(f"{file}: corrupt safetensors ({exc})") from exc
        if not keys:
            raise ModelFileError(f"{file}: no tensors")
    if not any(os.path.exists(os.path.join(path, t)) for t in TOKENIZER_FILES):
        raise ModelFileError(f"{path}: no tokenizer ({' or '.join(TOKENIZER_FILES)})")


def pick_device(device: str = "auto") -> str:
    import torch

    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    return device


class BertClassifier(Classifier):
    """Softmax probability of class ``positive_index`` (1 for models skypile trains).

    ``max_length`` tokens per text (longer texts are truncated by the tokenizer after the
    ``max_chars`` cut); texts are sorted by length inside a batch so padding stays small.
    """

    kind = "bert"

    def __init__(self, path: str, max_chars: int = 20_000, max_length: int = 256, batch_size: int = 32,
                 device: str = "auto", positive_index: int = 1):
        super().__init__(path, max_chars)
        self.max_length = max_length
        self.batch_size = batch_size
        self.device = device
        self.positive_index = positive_index
        self._model = None
        self._tokenizer = None

    def load(self) -> "BertClassifier":
        check_bert_dir(self.path)
        os.environ.setdefault("HF_HUB_OFFLINE", "1")  # a local folder; never reach for the Hub
        from transformers import AutoModelForSequenceClassification, AutoTokenizer
        from transformers.utils import logging as hf_logging

        hf_logging.set_verbosity_error()
        try:
            self._tokenizer = AutoTokenizer.from_pretrained(self.path)
            model = AutoModelForSequenceClassification.from_pretrained(self.path)
        except (OSError, ValueError) as exc:
            raise ModelFileError(f"{self.path}: cannot load ({exc})") from exc
        if model.config.num_labels <= self.positive_index:
            raise ModelFileError(f"{self.path}: {model.config.num_labels} labels, no class {self.positive_index}")
        self.device = pick_device(self.device)
        self._model = model.to(self.device).eval()
        return self

    def _predict(self, texts: list[str]) -> np.ndarray:
        import torch

        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        out = np.empty(len(texts), dtype=np.float32)
        with torch.inference_mode():
            for start in range(0, len(order), self.batch_size):
                idx = order[start:start + self.batch_size]
                enc = self._tokenizer([texts[i] for i in idx], truncation=True, max_length=self.max_length,
                                      padding=True, return_tensors="pt").to(self.device)
                logits = self._model(**enc).logits.float()
                out[idx] = torch.softmax(logits, dim=-1)[:, self.positive_index].cpu().numpy()
        return out
