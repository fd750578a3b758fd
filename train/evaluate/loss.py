"""Per-domain language-model loss, comparable across tokenizers.

For each domain (a JSONL file of texts) and model this computes, from the summed negative
log-likelihood ``NLL`` (nats) of every token of every text:

- ``loss`` = NLL / N_model, the mean token loss (what Skywork's ``eval/eval_loss.py`` reports);
- ``normalized_loss`` = NLL / N_ref, with N_ref the number of tokens the *reference* tokenizer makes
  of the same texts. This is Skywork's normalization (Skywork-13B tech report, arXiv:2310.19341,
  language-modeling evaluation: loss x N_model / N_reference), which makes models with different tokenizers
  comparable: every model's NLL is divided by the same count;
- ``bits_per_byte`` = NLL / (ln 2 x UTF-8 bytes), tokenizer-free (as in nanochat);
- ``ppl`` = exp(normalized_loss).

Texts are truncated by characters before tokenization, as Skywork does (``text[:max_tokens // 3]``
with ``max_tokens = 4096``, i.e. 1365 characters), so every model sees the same text.

Every token of the text is scored: the sequence is prefixed with the tokenizer's BOS token (EOS
for tokenizers without one, the GPT-2 convention), so N_model is exactly the text's token count and
with the model's own tokenizer as reference ``normalized_loss == loss``. Skywork scores from the
second token on; the difference is one token per text. A tokenizer with neither token leaves its
first token unscored (counted out of N_model, still in N_ref: the NLL of that token is missing).
Texts longer than the model's context are scored in consecutive windows (each token once).
"""
from __future__ import annotations

import dataclasses
import math
import os
from typing import Iterable, Sequence

# Skywork eval/eval_loss.py: input_texts = [text[:args.max_tokens // 3] ...], max_tokens=4096.
SKYWORK_MAX_CHARS = 4096 // 3


@dataclasses.dataclass
class LossStats:
    """Summed counts of one model on one set of texts; the metrics are ratios of these sums, so
    stats of several domains pool by adding them (the "average" row)."""

    docs: int = 0
    nll: float = 0.0
    tokens: int = 0
    ref_tokens: int = 0
    bytes: int = 0
    chars: int = 0

    def __add__(self, other: "LossStats") -> "LossStats":
        return LossStats(*(getattr(self, f.name) + getattr(other, f.name)
                           for f in dataclasses.fields(self)))

    @property
    def loss(self) -> float:
        return self.nll / self.tokens if self.tokens else math.nan

    @property
    def normalized_loss(self) -> float:
        return self.nll / self.ref_tokens if self.ref_tokens else math.nan

    @property
    def bits_per_byte(self) -> float:
        return self.nll / (math.log(2) * self.bytes) if self.bytes else math.nan

    @property
    def ppl(self) -> float:
        return math.exp(self.normalized_loss) if self.ref_tokens else math.nan

    def to_dict(self) -> dict:
        return {"loss": self.loss, "normalized_loss": self.normalized_loss,
                "bits_per_byte": self.bits_per_byte, "ppl": self.ppl, "docs": self.docs,
                "nll": self.nll, "tokens": self.tokens, "ref_tokens": self.ref_tokens,
                "bytes": self.bytes, "chars": self.chars}


def truncate(texts: Iterable[str], max_chars: int | None) -> list[str]:
    """Character truncation (``None`` or 0 keeps texts whole)."""
    return [t[:max_chars] if max_chars else t for t in texts]


def read_domain(path: str, text_field: str = "text") -> list[str]:
    """Texts of a JSONL domain file; a record without ``text_field`` is an error."""
    from transforms.jsonl import read_jsonl_texts

    return read_jsonl_texts(path, [text_field])


def domain_files(paths: Sequence[str]) -> dict[str, str]:
    """``{domain name: file}`` from files and directories (every ``*.jsonl`` inside, sorted);
    the name is the file name without ``.jsonl``."""
    files = []
    for path in paths:
        if os.path.isdir(path):
            found = sorted(os.path.join(path, f) for f in os.listdir(path) if f.endswith(".jsonl"))
            if not found:
                raise FileNotFoundError(f"{path}: no *.jsonl files")
            files.extend(found)
        elif os.path.isfile(path):
            files.append(path)
        else:
            raise FileNotFoundError(f"domain file not found: {path}")
    out: dict[str, str] = {}
    for f in files:
        name = os.path.basename(f).removesuffix(".jsonl")
        if name in out and out[name] != f:
            raise ValueError(f"two domain files named {name!r}: {out[name]} and {f}")
        out[name] = f
    return out


def count_tokens(tokenizer, texts: Sequence[str]) -> int:
    """Tokens ``tokenizer`` makes of ``texts`` (no special tokens)."""
    if not texts:
        return 0
    return sum(len(ids) for ids in tokenizer(list(texts), add_special_tokens=False)["input_ids"])


def start_token_id(tokenizer) -> int | None:
    """BOS if the tokenizer has one, else EOS (GPT-2 style), else None."""
    for tok_id in (tokenizer.bos_token_id, tokenizer.eos_token_id):
        if tok_id is not None:
            return int(tok_id)
    return None


def load_model(path: str, device: str = "cpu", dtype: str = "auto"):
    """A Hugging Face causal LM directory -> (model in eval mode, tokenizer)."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    if dtype == "auto":
        dtype = "bfloat16" if device.startswith("cuda") else "float32"
    model = AutoModelForCausalLM.from_pretrained(path, dtype=getattr(torch, dtype)).to(device).eval()
    tokenizer = AutoTokenizer.from_pretrained(path)
    return model, tokenizer


def context_length(model, default: int = 2048) -> int:
    return int(getattr(model.config, "max_position_embeddings", None) or default)


def _windows(ids: list[int], start: int | None, ctx: int) -> list[tuple[list[int], list[int]]]:
    """(inputs, targets) windows of at most ``ctx`` inputs covering every target once."""
    seq = ([start] if start is not None else []) + ids
    last = len(seq) - 1  # the final token is a target only
    return [(seq[i:min(i + ctx, last)], seq[i + 1:min(i + ctx, last) + 1]) for i in range(0, last, ctx)]


def score_texts(model, tokenizer, texts: Sequence[str], batch_size: int = 8,
                progress: bool = True, desc: str | None = None) -> list[tuple[float, int]]:
    """Per text: (summed NLL in nats, tokens scored). Windows are batched longest first; sums are
    in float64 and per text, so the result does not depend on the batch size beyond float noise."""
    import torch
    import torch.nn.functional as F
    from tqdm.auto import tqdm

    start, ctx = start_token_id(tokenizer), context_length(model)
    encoded = tokenizer(list(texts), add_special_tokens=False)["input_ids"] if texts else []
    items = [(doc, w) for doc, ids in enumerate(encoded) for w in _windows(ids, start, ctx)]
    items.sort(key=lambda it: -len(it[1][0]))  # stable: ties keep document order
    nll = [0.0] * len(texts)
    ntok = [0] * len(texts)
    device = next(model.parameters()).device
    batches = range(0, len(items), batch_size)
    for b in tqdm(batches, desc=desc, disable=not progress, unit="batch", leave=False):
        chunk = items[b:b + batch_size]
        width = len(chunk[0][1][0])
        inputs = torch.zeros((len(chunk), width), dtype=torch.long)
        targets = torch.full((len(chunk), width), -100, dtype=torch.long)
        mask = torch.zeros((len(chunk), width), dtype=torch.long)
        for row, (_, (inp, tgt)) in enumerate(chunk):
            inputs[row, :len(inp)] = torch.tensor(inp)
            targets[row, :len(tgt)] = torch.tensor(tgt)
            mask[row, :len(inp)] = 1
        # No mask when nothing is padded: attention can then take its causal fast path.
        attention_mask = None if bool(mask.all()) else mask.to(device)
        with torch.no_grad():
            logits = model(input_ids=inputs.to(device), attention_mask=attention_mask).logits
            losses = F.cross_entropy(logits.float().transpose(1, 2), targets.to(device),
                                     ignore_index=-100, reduction="none")
        per_row = losses.double().sum(dim=1).cpu().tolist()
        for row, (doc, (_, tgt)) in enumerate(chunk):
            nll[doc] += per_row[row]
            ntok[doc] += len(tgt)
    return list(zip(nll, ntok))


def domain_stats(model, tokenizer, texts: Sequence[str], reference_tokenizer=None,
                 batch_size: int = 8, progress: bool = True, desc: str | None = None) -> LossStats:
    """Pooled :class:`LossStats` of one model on ``texts`` (already truncated). Without a
    reference tokenizer the model's own is the reference."""
    scores = score_texts(model, tokenizer, texts, batch_size=batch_size, progress=progress, desc=desc)
    ref = reference_tokenizer if reference_tokenizer is not None else tokenizer
    return LossStats(
        docs=len(texts),
        nll=sum(s for s, _ in scores),
        tokens=sum(n for _, n in scores),
        ref_tokens=count_tokens(ref, texts),
        bytes=sum(len(t.encode("utf-8")) for t in texts),
        chars=sum(len(t) for t in texts),
    )


def evaluate_models(model_paths: Sequence[str], domains: dict[str, list[str]],
                    reference_tokenizer: str | None = None, batch_size: int = 8,
                    device: str = "cpu", dtype: str = "auto", progress: bool = True) -> dict:
    """``{model name: {domain: LossStats, ..., "average": pooled LossStats}}`` for every model on
    every domain (texts already truncated). The reference tokenizer defaults to the first model's."""
    from transformers import AutoTokenizer

    ref_path = reference_tokenizer or model_paths[0]
    ref_tok = AutoTokenizer.from_pretrained(ref_path)
    names = model_names(model_paths)
    results: dict[str, dict[str, LossStats]] = {}
    for name, path in zip(names, model_paths):
        model, tokenizer = load_model(path, device=device, dtype=dtype)
        per_domain = {d: domain_stats(model, tokenizer, texts, ref_tok, batch_size, progress, f"{name}/{d}")
                      for d, texts in domains.items()}
        per_domain["average"] = sum(per_domain.values(), LossStats())
        results[name] = per_domain
        del model
    return results


def model_names(paths: Sequence[str]) -> list[str]:
    """The shortest trailing path parts that tell the models apart (``run_a/hf``, ``run_b/hf``)."""
    parts = [os.path.normpath(p).split(os.sep) for p in paths]
    for k in range(1, max(len(p) for p in parts) + 1):
        names = ["/".join(p[-k:]) for p in parts]
        if len(set(names)) == len(names):
            return names
    return [os.path.normpath(p) for p in paths]  # the same path given twice
