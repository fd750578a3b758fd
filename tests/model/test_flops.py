"""Parameter counts and training FLOPs against hand-computed values and torch's FLOP counter."""
from __future__ import annotations

import pytest
import torch
from torch.nn.attention import SDPBackend, sdpa_kernel
from torch.utils.flop_counter import FlopCounterMode

from model.config import get_config
from model.flops import flops_per_token, param_count
from model.llama import Llama


def test_skywork_13b_has_about_13_9_billion_parameters():
    # embeddings 2 * 65536 * 4608 = 603,979,776; per layer attention 4 * 4608^2 = 84,934,656,
    # SwiGLU 3 * 4608 * 12288 = 169,869,312, norms 2 * 4608; 52 layers; final norm 4608.
    expected = 603_979_776 + 52 * (84_934_656 + 169_869_312 + 9_216) + 4_608
    assert param_count(get_config("skywork-13b")) == expected == 13_854_269_952
    assert round(expected / 1e9, 1) == 13.9


def test_llama2_13b_matches_the_published_parameter_count():
    # meta-llama/Llama-2-13b-hf: 13,015,864,320 parameters.
    assert param_count(get_config("llama2-13b")) == 13_015_864_320


@pytest.mark.parametrize("overrides", [{}, {"tie_embeddings": True}, {"n_kv_heads": 4}])
def test_param_count_equals_the_built_model(overrides):
    config = get_config("tiny", **overrides)
    assert param_count(config) == Llama(config).num_params()


def test_flops_per_token_by_hand_for_tiny():
    # tiny: dim 128, 4 layers, 4 heads of 32, 2 KV heads, FFN 384, vocab 8192.
    per_layer = 2 * 128 * 128 + 2 * 128 * 64 + 3 * 128 * 384  # q,o + k,v + SwiGLU = 196,608
    matmul = 4 * per_layer + 128 * 8192  # + output projection = 1,835,008
    attention = 12 * 4 * 128 * 256
    assert flops_per_token(get_config("tiny"), 256) == 6 * matmul + attention == 12_582_912


def test_flops_per_token_equals_torch_flop_counter_on_a_training_step():
    """Forward + backward of the real model, counted by torch, with attention as plain matmuls."""
    torch.manual_seed(0)
    config = get_config("tiny")
    model = Llama(config)
    ids = torch.randint(0, config.vocab_size, (2, 64))
    # The math backend runs attention as matmuls the counter sees (the fused CPU kernel it skips).
    with sdpa_kernel(SDPBackend.MATH), FlopCounterMode(display=False) as counter:
        model(ids).sum().backward()
    assert counter.get_total_flops() == flops_per_token(config, 64) * ids.numel()
