"""Model configuration: one dataclass and the named configurations the trainer and evaluator use.

Sources of the named shapes:
- ``skywork-13b``: Skywork-13B technical report (arXiv:2310.19341), Table 3: 52 layers, hidden 4608,
  FFN 12288, 36 heads of 128, vocab 65536, 4096 positions, RMSNorm eps 1e-6, untied embeddings; the
  released config.json initializes with std 0.01.
- ``llama2-13b``: Llama 2 (arXiv:2307.09288) / meta-llama/Llama-2-13b-hf config.json: 40 layers,
  hidden 5120, FFN 13824, 40 heads, vocab 32000, RMSNorm eps 1e-5.
- ``tiny``, ``100m``, ``1b``: our own small shapes (head dim 64 or 128, FFN ~8/3 of hidden rounded
  to a multiple of 64 as in Llama), for tests, CPU benchmarks and GPU MFU runs.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from skypile_common.settings import check_known_keys


@dataclass
class ModelConfig:
    vocab_size: int
    dim: int
    n_layers: int
    n_heads: int
    n_kv_heads: int
    ffn_dim: int
    max_seq_len: int
    norm_eps: float = 1e-6
    rope_theta: float = 10000.0
    tie_embeddings: bool = False
    init_std: float = 0.02

    def __post_init__(self) -> None:
        for name in ("vocab_size", "dim", "n_layers", "n_heads", "n_kv_heads", "ffn_dim", "max_seq_len"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
                raise ValueError(f"ModelConfig.{name} must be a positive int, got {value!r}")
        if self.dim % self.n_heads:
            raise ValueError(f"dim {self.dim} is not divisible by n_heads {self.n_heads}")
        if self.n_heads % self.n_kv_heads:
            raise ValueError(f"n_heads {self.n_heads} is not a multiple of n_kv_heads {self.n_kv_heads}")
        if self.head_dim % 2:
            raise ValueError(f"head dim {self.head_dim} must be even for rotary embeddings")
        if not (self.norm_eps > 0 and self.rope_theta > 0 and self.init_std > 0):
            raise ValueError("norm_eps, rope_theta and init_std must be positive")

    @property
    def head_dim(self) -> int:
        return self.dim // self.n_heads


CONFIGS: dict[str, dict] = {
    "skywork-13b": dict(vocab_size=65536, dim=4608, n_layers=52, n_heads=36, n_kv_heads=36,
                        ffn_dim=12288, max_seq_len=4096, norm_eps=1e-6, init_std=0.01),
    "llama2-13b": dict(vocab_size=32000, dim=5120, n_layers=40, n_heads=40, n_kv_heads=40,
                       ffn_dim=13824, max_seq_len=4096, norm_eps=1e-5),
    # ~1.1B: TinyLlama-like width, untied, full multi-head attention.
    "1b": dict(vocab_size=32000, dim=2048, n_layers=18, n_heads=16, n_kv_heads=16,
               ffn_dim=5632, max_seq_len=2048),
    # ~100M (100.5M with vocab 32000): the CPU benchmark shape.
    "100m": dict(vocab_size=32000, dim=640, n_layers=12, n_heads=10, n_kv_heads=10,
                 ffn_dim=1728, max_seq_len=1024),
    # ~2.9M with grouped-query attention (2 query heads per KV head), for tests and CPU demos.
    "tiny": dict(vocab_size=8192, dim=128, n_layers=4, n_heads=4, n_kv_heads=2,
                 ffn_dim=384, max_seq_len=256),
}


def get_config(name: str, **overrides) -> ModelConfig:
    """The named configuration ``name`` with ``overrides`` (ModelConfig field names) applied."""
    if name not in CONFIGS:
        raise ValueError(f"unknown model config {name!r}; known: {', '.join(CONFIGS)}")
    check_known_keys(overrides, [f.name for f in dataclasses.fields(ModelConfig)], "ModelConfig")
    return ModelConfig(**{**CONFIGS[name], **overrides})
