"""The trainer's built-in evaluation: ``eval loss``'s scoring of the model being trained.

Every ``eval.every`` steps the trainer calls :class:`DomainEvaluator` on its own model (no export):
normalized loss and bits per byte on each configured domain set, their pooled ``average``, and an
in-domain probe set (e.g. GSM8K test, question + answer). The texts, truncation, tokenizer, BOS/EOS
start token, context windows and float64 sums are those of :mod:`train.evaluate.loss`, whose
``domain_stats`` does the scoring here too; only the model call differs (:class:`NativeLM`), so the
numbers equal ``skypile eval loss`` on the exported checkpoint up to float noise.
"""
from __future__ import annotations

import os
from types import SimpleNamespace

from train.evaluate.loss import LossStats, domain_files, domain_stats, read_domain, truncate

# Figures logged per set, as eval/<set> = {...} in metrics.jsonl.
LOGGED = ("normalized_loss", "bits_per_byte", "loss", "docs", "tokens")


class NativeLM:
    """Our Llama with the slice of the transformers interface ``score_texts`` uses.

    The attention mask is not needed: ``score_texts`` pads on the right and attention is causal,
    so a real token never attends to a pad, and pad positions are never scored."""

    def __init__(self, model, context: int):
        self.model = model
        self.config = SimpleNamespace(max_position_embeddings=context)

    def parameters(self):
        return self.model.parameters()

    def __call__(self, input_ids, attention_mask=None):
        return SimpleNamespace(logits=self.model(input_ids))


def hf_tokenizer(path: str):
    """The run's tokenizer as transformers loads it from an exported model directory."""
    from transformers import AutoTokenizer, PreTrainedTokenizerFast

    folder = path if os.path.isdir(path) else os.path.dirname(path)
    if os.path.isfile(os.path.join(folder, "tokenizer_config.json")):
        return AutoTokenizer.from_pretrained(folder)
    return PreTrainedTokenizerFast(tokenizer_file=os.path.join(folder, "tokenizer.json"))


def parse_probe(spec: str) -> tuple[str, str, tuple[str, ...]]:
    """``NAME=PATH[:field,field]`` -> (name, path, fields), as ``eval build-sets --benchmark``."""
    from train.evaluate.build_sets import Benchmark

    bench = Benchmark.parse(spec)
    if not os.path.isfile(bench.path):
        raise FileNotFoundError(f"eval.probe {spec!r}: no file {bench.path}")
    return bench.name, bench.path, bench.fields


def load_sets(eval_cfg) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    """(general domain sets, probe set): texts truncated and capped as configured."""
    from transforms.jsonl import read_jsonl_texts

    def cap(texts: list[str]) -> list[str]:
        return truncate(texts[:eval_cfg.max_docs] if eval_cfg.max_docs else texts, eval_cfg.max_chars)

    general = {name: cap(read_domain(path, eval_cfg.text_field))
               for name, path in domain_files(list(eval_cfg.domains)).items()} if eval_cfg.domains else {}
    probe = {}
    if eval_cfg.probe:
        name, path, fields = parse_probe(eval_cfg.probe)
        if name in general or name == "average":
            raise ValueError(f"eval.probe name {name!r} is also a domain set name")
        probe[name] = cap(read_jsonl_texts(path, fields))
    return general, probe


class DomainEvaluator:
    """``evaluator(model, step) -> {set: {normalized_loss, bits_per_byte, loss, docs, tokens}}``;
    ``average`` pools the general sets (not the probe). ``stats(model)`` keeps the raw sums."""

    def __init__(self, eval_cfg, tokenizer_path: str, context: int):
        self.general, self.probe = load_sets(eval_cfg)
        if not self.general and not self.probe:
            raise ValueError("eval: give eval.domains and/or eval.probe to evaluate on")
        self.tokenizer = hf_tokenizer(tokenizer_path)
        ref = eval_cfg.reference_tokenizer
        self.reference = hf_tokenizer(ref) if ref else self.tokenizer
        self.context, self.batch_size = context, eval_cfg.batch_size

    def stats(self, model) -> dict[str, LossStats]:
        lm = NativeLM(model, self.context)
        score = {name: domain_stats(lm, self.tokenizer, texts, self.reference, self.batch_size, progress=False)
                 for name, texts in {**self.general, **self.probe}.items()}
        if self.general:
            score["average"] = sum((score[name] for name in self.general), LossStats())
        return score

    def __call__(self, model, step: int | None = None) -> dict[str, dict]:
        return {name: {k: s.to_dict()[k] for k in LOGGED} for name, s in self.stats(model).items()}

