"""The model itself: shapes, causality, rotary embeddings, grouped-query attention, init."""
from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

from model.config import get_config
from model.llama import Llama, apply_rope, rope_tables


def _model(seed=0, **overrides) -> Llama:
    torch.manual_seed(seed)
    return Llama(get_config("tiny", **overrides)).eval()


def test_logits_shape_and_dtype():
    model = _model()
    ids = torch.randint(0, model.config.vocab_size, (3, 17))
    logits = model(ids)
    assert logits.shape == (3, 17, model.config.vocab_size)
    assert logits.dtype == torch.float32
    assert torch.isfinite(logits).all()


def test_changing_a_future_token_leaves_earlier_logits_unchanged():
    model = _model()
    ids = torch.randint(0, model.config.vocab_size, (2, 40))
    changed = ids.clone()
    changed[:, 25] = (changed[:, 25] + 1) % model.config.vocab_size
    with torch.no_grad():
        before, after = model(ids), model(changed)
    torch.testing.assert_close(before[:, :25], after[:, :25], rtol=0, atol=0)
    assert (before[:, 25:] - after[:, 25:]).abs().amax() > 1e-3


def test_too_long_a_sequence_is_an_error():
    model = _model()
    with pytest.raises(ValueError, match="exceeds max_seq_len"):
        model(torch.zeros(1, model.config.max_seq_len + 1, dtype=torch.long))


def _rope_reference(x: torch.Tensor, theta: float) -> torch.Tensor:
    """RoFormer's rotation written with complex numbers: dimension i pairs with i + D/2."""
    T, D = x.shape[1], x.shape[-1]
    freqs = theta ** (-torch.arange(0, D, 2, dtype=torch.float64) / D)
    rotation = torch.polar(torch.ones(T, D // 2, dtype=torch.float64),
                           torch.arange(T, dtype=torch.float64)[:, None] * freqs)
    z = torch.complex(x[..., : D // 2].double(), x[..., D // 2:].double()) * rotation[:, None, :]
    return torch.cat([z.real, z.imag], dim=-1).float()


@pytest.mark.parametrize("theta", [10000.0, 500000.0])
def test_rope_matches_the_complex_rotation_formula(theta):
    torch.manual_seed(0)
    x = torch.randn(2, 50, 3, 16)
    cos, sin = rope_tables(16, 64, theta)
    got = apply_rope(x, cos[:50], sin[:50])
    torch.testing.assert_close(got, _rope_reference(x, theta), rtol=1e-5, atol=1e-5)
    # Position 0 is the identity; rotations keep norms.
    torch.testing.assert_close(got[:, 0], x[:, 0])
    torch.testing.assert_close(got.norm(dim=-1), x.norm(dim=-1), rtol=1e-5, atol=1e-5)


def test_rope_scores_depend_only_on_relative_position():
    torch.manual_seed(1)
    q, k = torch.randn(16), torch.randn(16)
    cos, sin = rope_tables(16, 64, 10000.0)

    def score(m, n):
        rq = apply_rope(q.expand(1, 64, 1, 16), cos, sin)[0, m, 0]
        rk = apply_rope(k.expand(1, 64, 1, 16), cos, sin)[0, n, 0]
        return float(rq @ rk)

    assert score(10, 3) == pytest.approx(score(40, 33), rel=1e-4)
    assert score(10, 3) != pytest.approx(score(10, 4), rel=1e-3)


def _reference_attention(attn, x, cos, sin):
    """Explicit softmax(QK^T / sqrt(d) + causal mask) V with K/V heads repeated per query group."""
    B, T, _ = x.shape
    q = apply_rope(attn.wq(x).view(B, T, attn.n_heads, attn.head_dim), cos, sin).transpose(1, 2)
    k = apply_rope(attn.wk(x).view(B, T, attn.n_kv_heads, attn.head_dim), cos, sin).transpose(1, 2)
    v = attn.wv(x).view(B, T, attn.n_kv_heads, attn.head_dim).transpose(1, 2)
    group = attn.n_heads // attn.n_kv_heads
    k, v = k.repeat_interleave(group, dim=1), v.repeat_interleave(group, dim=1)
    scores = q @ k.transpose(-1, -2) / math.sqrt(attn.head_dim)
    scores = scores.masked_fill(torch.ones(T, T, dtype=torch.bool).triu(1), float("-inf"))
    y = F.softmax(scores, dim=-1) @ v
    return attn.wo(y.transpose(1, 2).reshape(B, T, -1))


@pytest.mark.parametrize("n_kv_heads", [4, 2, 1])
def test_attention_matches_explicit_repeat_reference(n_kv_heads):
    model = _model(n_kv_heads=n_kv_heads)
    attn = model.layers[0].attention
    x = torch.randn(2, 30, model.config.dim)
    cos, sin = model.rope_cos[:30], model.rope_sin[:30]
    with torch.no_grad():
        torch.testing.assert_close(attn(x, cos, sin), _reference_attention(attn, x, cos, sin),
                                   rtol=1e-5, atol=1e-5)


def test_gqa_equals_mha_with_kv_heads_repeated():
    """A GQA model and the MHA model whose K/V heads are copies per group give the same logits."""
    gqa = _model(n_kv_heads=2)
    mha = _model(seed=1, n_kv_heads=4)
    group, hd, dim = 2, gqa.config.head_dim, gqa.config.dim
    state = gqa.state_dict()
    for name, tensor in list(state.items()):
        if name.endswith(("attention.wk.weight", "attention.wv.weight")):
            state[name] = tensor.view(-1, hd, dim).repeat_interleave(group, dim=0).reshape(-1, dim)
    mha.load_state_dict(state)
    ids = torch.randint(0, gqa.config.vocab_size, (2, 33))
    with torch.no_grad():
        torch.testing.assert_close(gqa(ids), mha(ids), rtol=1e-5, atol=1e-5)


def test_init_uses_the_configured_std_and_ones_for_norms():
    model = _model(init_std=0.01, dim=256, ffn_dim=512)
    for name, param in model.named_parameters():
        if name.endswith("norm.weight"):
            assert torch.equal(param, torch.ones_like(param)), name
        else:
            assert param.std().item() == pytest.approx(0.01, rel=0.05), name
            assert abs(param.mean().item()) < 1e-3, name


def test_tied_embeddings_share_one_matrix():
    model = _model(tie_embeddings=True)
    assert model.output.weight is model.tok_embeddings.weight
    untied = _model()
    assert untied.num_params() - model.num_params() == model.config.vocab_size * model.config.dim


def test_meta_device_build_then_init_weights_gives_a_working_model():
    with torch.device("meta"):
        model = Llama(get_config("tiny"))
    model.to_empty(device="cpu")
    model.init_weights()
    cos, sin = rope_tables(model.config.head_dim, model.config.max_seq_len, model.config.rope_theta)
    torch.testing.assert_close(model.rope_cos, cos)
    torch.testing.assert_close(model.rope_sin, sin)
    assert torch.isfinite(model(torch.zeros(1, 8, dtype=torch.long))).all()


def test_bfloat16_forward_stays_close_to_float32():
    model = _model()
    ids = torch.randint(0, model.config.vocab_size, (2, 24))
    with torch.no_grad():
        reference = model(ids)
        low = model.to(torch.bfloat16)(ids)
    assert low.dtype == torch.bfloat16
    assert (low.float() - reference).abs().amax() < 0.05 * reference.abs().amax()


def test_backward_reaches_every_parameter():
    model = _model().train()
    ids = torch.randint(0, model.config.vocab_size, (2, 16))
    logits = model(ids[:, :-1])
    F.cross_entropy(logits.flatten(0, 1), ids[:, 1:].flatten()).backward()
    for name, param in model.named_parameters():
        assert param.grad is not None and param.grad.abs().sum() > 0, name
