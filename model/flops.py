"""Parameter count and training FLOPs per token, from the configuration alone (no model built).

Training FLOPs follow PaLM (Chowdhery et al. 2022, arXiv:2204.02311, Appendix B), the convention
MFU is usually quoted in: 6 FLOPs per matmul weight per token (2 forward, 4 backward) plus
12 * n_layers * dim * seq_len per token for attention scores and the weighted sum of values
(QK^T and AV, forward and backward, causal masking not discounted). The input embedding is a
lookup and costs no matmul FLOPs; the output projection does, tied or not.
"""
from __future__ import annotations

from model.config import ModelConfig


def layer_matmul_params(config: ModelConfig) -> int:
    """Weights of one block's projections: q, k, v, o and the three SwiGLU matrices."""
    q_and_o = 2 * config.dim * config.n_heads * config.head_dim
    k_and_v = 2 * config.dim * config.n_kv_heads * config.head_dim
    return q_and_o + k_and_v + 3 * config.dim * config.ffn_dim


def param_count(config: ModelConfig) -> int:
    """Trainable parameters of ``Llama(config)``, a tied embedding counted once."""
    embeddings = config.vocab_size * config.dim * (1 if config.tie_embeddings else 2)
    norms = (2 * config.n_layers + 1) * config.dim
    return embeddings + norms + config.n_layers * layer_matmul_params(config)


def matmul_params(config: ModelConfig) -> int:
    """Weights that take part in a matmul per token: every block plus the output projection."""
    return config.n_layers * layer_matmul_params(config) + config.dim * config.vocab_size


def flops_per_token(config: ModelConfig, seq_len: int) -> float:
    """Training (forward + backward) FLOPs per token at sequence length ``seq_len`` (PaLM, App. B)."""
    attention = 12 * config.n_layers * config.dim * seq_len
    return float(6 * matmul_params(config) + attention)
