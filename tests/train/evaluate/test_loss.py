"""Loss values against a direct transformers computation; the normalization identity and bits per
byte on constructed (uniform-prediction) models with closed-form answers."""
from __future__ import annotations

import math
import re

import pytest
import torch
from transformers import AutoModelForCausalLM, AutoTokenizer

from train.evaluate.loss import (LossStats, _windows, count_tokens, domain_stats, evaluate_models,
                                 load_model, truncate)


def direct_nll(model_dir, texts) -> tuple[float, int]:
    """Summed NLL the plain transformers way: BOS + text, ``labels=input_ids``, mean x count."""
    model = AutoModelForCausalLM.from_pretrained(model_dir).eval()
    tok = AutoTokenizer.from_pretrained(model_dir)
    total, count = 0.0, 0
    for text in texts:
        ids = [tok.bos_token_id] + tok(text, add_special_tokens=False)["input_ids"]
        with torch.no_grad():
            out = model(input_ids=torch.tensor([ids]), labels=torch.tensor([ids]))
        total += out.loss.item() * (len(ids) - 1)
        count += len(ids) - 1
    return total, count


def test_loss_matches_transformers(tiny_models, corpus):
    texts = truncate(corpus["en"][:3] + corpus["zh"][:3], 150)  # short enough for one window
    expected_nll, expected_tokens = direct_nll(tiny_models["model_small"], texts)
    model, tok = load_model(str(tiny_models["model_small"]))
    assert max(len(tok(t)["input_ids"]) for t in texts) < 256  # one window each
    for batch_size in (1, 4):  # padding in a batch must not change anything
        stats = domain_stats(model, tok, texts, batch_size=batch_size, progress=False)
        assert stats.tokens == expected_tokens
        assert stats.nll == pytest.approx(expected_nll, rel=1e-5)
        assert stats.loss == pytest.approx(expected_nll / expected_tokens, rel=1e-5)
        # Own tokenizer as reference: normalized loss is the plain mean token loss.
        assert stats.normalized_loss == pytest.approx(stats.loss, rel=1e-12)
        assert stats.ppl == pytest.approx(math.exp(stats.loss))


def test_windows_cover_every_token_once():
    ids = list(range(10, 33))
    for ctx in (4, 7, 23, 24, 100):
        windows = _windows(ids, 1, ctx)
        targets = [t for _, tgt in windows for t in tgt]
        assert targets == ids
        assert all(len(inp) <= ctx and len(inp) == len(tgt) for inp, tgt in windows)
        assert windows[0][0][0] == 1  # the BOS token starts the first window
    assert [t for _, tgt in _windows(ids, None, 5) for t in tgt] == ids[1:]  # no BOS: first unscored


def test_long_texts_scored_in_windows(tiny_models, corpus):
    """A text longer than the context (256) is scored whole: every token counted once."""
    text = corpus["en"][0] * 3
    model, tok = load_model(str(tiny_models["model_small"]))
    n = count_tokens(tok, [text])
    assert n > 2 * 256
    stats = domain_stats(model, tok, [text], progress=False)
    assert stats.tokens == n
    assert math.isfinite(stats.nll) and stats.nll > 0


def test_normalization_identity_constructed(tiny_models, corpus):
    """Uniform models (zero output layer) have NLL = N_model ln V exactly; with a character
    tokenizer as reference, N_ref is the character count, so every quantity has a closed form."""
    texts = truncate(corpus["en"][:4] + corpus["zh"][:4], 400)
    chars = sum(len(t) for t in texts)
    ref = AutoTokenizer.from_pretrained(tiny_models["tok_char"])
    assert count_tokens(ref, texts) == chars
    normalized = {}
    for name in ("uniform_small", "uniform_large"):
        model, tok = load_model(str(tiny_models[name]))
        stats = domain_stats(model, tok, texts, reference_tokenizer=ref, progress=False)
        n_model, vocab = count_tokens(tok, texts), model.config.vocab_size
        assert stats.tokens == n_model and stats.ref_tokens == chars
        assert stats.loss == pytest.approx(math.log(vocab), rel=1e-5)
        assert stats.nll == pytest.approx(n_model * math.log(vocab), rel=1e-5)
        # Skywork's formula and "summed NLL over reference tokens" are the same number.
        assert stats.normalized_loss == pytest.approx(stats.loss * stats.tokens / chars, rel=1e-12)
        assert stats.normalized_loss == pytest.approx(n_model * math.log(vocab) / chars, rel=1e-5)
        normalized[name] = stats
    # The two tokenizers split the texts differently, so mean token losses are not comparable but
    # normalized ones are: the ratio is exactly (N_small ln V_small) / (N_large ln V_large).
    small, large = normalized["uniform_small"], normalized["uniform_large"]
    assert small.tokens != large.tokens
    assert small.normalized_loss / large.normalized_loss == pytest.approx(small.nll / large.nll, rel=1e-12)


def test_bits_per_byte_chinese(tiny_models, corpus):
    """Pure-CJK text under a uniform character model: 3 UTF-8 bytes per character, so
    bits/byte = log2(V) / 3 exactly."""
    texts = ["".join(re.findall(r"[\u4e00-\u9fff]", t))[:200] for t in corpus["zh"][:5]]
    assert all(len(t) == 200 for t in texts)
    model, tok = load_model(str(tiny_models["uniform_char"]))
    stats = domain_stats(model, tok, texts, progress=False)
    assert stats.bytes == 3 * 1000 and stats.chars == 1000 and stats.tokens == 1000
    assert stats.bits_per_byte == pytest.approx(math.log2(model.config.vocab_size) / 3, rel=1e-5)


def test_average_pools_documents(tiny_models, corpus):
    domains = {"en": truncate(corpus["en"][:3], 200), "zh": truncate(corpus["zh"][:2], 200)}
    results = evaluate_models([str(tiny_models["model_small"]), str(tiny_models["model_large"])], domains,
                              reference_tokenizer=str(tiny_models["tok_char"]), progress=False)
    assert list(results) == ["model_small", "model_large"]
    for per in results.values():
        avg, en, zh = per["average"], per["en"], per["zh"]
        assert avg.docs == 5 and avg.tokens == en.tokens + zh.tokens
        assert avg.nll == pytest.approx(en.nll + zh.nll)
        # pooled, not a mean of domain means
        assert avg.loss == pytest.approx((en.nll + zh.nll) / (en.tokens + zh.tokens))
        assert avg.ref_tokens == sum(len(t) for t in domains["en"] + domains["zh"])


def test_loss_stats_empty_is_nan():
    assert math.isnan(LossStats().loss) and math.isnan(LossStats().bits_per_byte)


def test_model_names_shortest_unique_suffix():
    from train.evaluate.loss import model_names

    assert model_names(["/r/a/hf", "/r/b/hf/"]) == ["a/hf", "b/hf"]
    assert model_names(["/x/m1", "/y/m2"]) == ["m1", "m2"]
