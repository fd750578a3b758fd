"""Lossless conversion between our Llama and a Hugging Face ``LlamaForCausalLM`` directory.

Weights only change names: both sides use the ``rotate_half`` rotary layout (see model/llama.py),
so no q/k permutation is needed. The directory holds config.json, model.safetensors (one file, or
shards with model.safetensors.index.json when read) and, when given, the tokenizer files.
"""
from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file

from model.config import ModelConfig
from model.llama import Llama

# our name -> Hugging Face name; "{i}" is the layer index.
_TOP = {
    "tok_embeddings.weight": "model.embed_tokens.weight",
    "norm.weight": "model.norm.weight",
    "output.weight": "lm_head.weight",
}
_LAYER = {
    "attention_norm.weight": "input_layernorm.weight",
    "attention.wq.weight": "self_attn.q_proj.weight",
    "attention.wk.weight": "self_attn.k_proj.weight",
    "attention.wv.weight": "self_attn.v_proj.weight",
    "attention.wo.weight": "self_attn.o_proj.weight",
    "ffn_norm.weight": "post_attention_layernorm.weight",
    "feed_forward.w1.weight": "mlp.gate_proj.weight",
    "feed_forward.w3.weight": "mlp.up_proj.weight",
    "feed_forward.w2.weight": "mlp.down_proj.weight",
}
_OURS_LAYER = re.compile(r"layers\.(\d+)\.(.+)")
_HF_LAYER = re.compile(r"model\.layers\.(\d+)\.(.+)")
_HF_TO_OURS_LAYER = {v: k for k, v in _LAYER.items()}
_HF_TO_OURS_TOP = {v: k for k, v in _TOP.items()}
# Files of a tokenizer directory worth carrying along (tokenizer.json is the one that must exist).
TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json",
                   "vocab.json", "merges.txt", "added_tokens.json", "chat_template.jinja")


def to_hf_name(name: str) -> str:
    if name in _TOP:
        return _TOP[name]
    match = _OURS_LAYER.fullmatch(name)
    if not match or match.group(2) not in _LAYER:
        raise KeyError(f"no Hugging Face name for parameter {name!r}")
    return f"model.layers.{match.group(1)}.{_LAYER[match.group(2)]}"


def from_hf_name(name: str) -> str:
    if name in _HF_TO_OURS_TOP:
        return _HF_TO_OURS_TOP[name]
    match = _HF_LAYER.fullmatch(name)
    if not match or match.group(2) not in _HF_TO_OURS_LAYER:
        raise KeyError(f"unsupported Hugging Face Llama weight {name!r}")
    return f"layers.{match.group(1)}.{_HF_TO_OURS_LAYER[match.group(2)]}"


def hf_config_dict(config: ModelConfig, dtype: torch.dtype, bos_token_id=None, eos_token_id=None) -> dict:
    """config.json contents for transformers' LlamaConfig (rope given both the v5 and v4 ways)."""
    return {
        "architectures": ["LlamaForCausalLM"],
        "model_type": "llama",
        "vocab_size": config.vocab_size,
        "hidden_size": config.dim,
        "intermediate_size": config.ffn_dim,
        "num_hidden_layers": config.n_layers,
        "num_attention_heads": config.n_heads,
        "num_key_value_heads": config.n_kv_heads,
        "head_dim": config.head_dim,
        "hidden_act": "silu",
        "max_position_embeddings": config.max_seq_len,
        "initializer_range": config.init_std,
        "rms_norm_eps": config.norm_eps,
        "rope_theta": config.rope_theta,
        "rope_parameters": {"rope_type": "default", "rope_theta": config.rope_theta},
        "tie_word_embeddings": config.tie_embeddings,
        "attention_bias": False,
        "mlp_bias": False,
        "attention_dropout": 0.0,
        "bos_token_id": bos_token_id,
        "eos_token_id": eos_token_id,
        "pad_token_id": None,
        "use_cache": True,
        "dtype": str(dtype).removeprefix("torch."),
    }


def config_from_hf(hf: dict) -> ModelConfig:
    """ModelConfig from a Llama config.json; refuses features our model does not implement."""
    if hf.get("model_type") != "llama":
        raise ValueError(f"not a Llama config (model_type={hf.get('model_type')!r})")
    rope = hf.get("rope_parameters") or hf.get("rope_scaling") or {}
    rope_type = rope.get("rope_type", rope.get("type", "default"))
    unsupported = {
        "rope scaling": rope_type != "default",
        "attention bias": hf.get("attention_bias", False),
        "MLP bias": hf.get("mlp_bias", False),
        "activation other than silu": hf.get("hidden_act", "silu") != "silu",
        "pretraining_tp > 1": (hf.get("pretraining_tp") or 1) > 1,
    }
    hidden, heads = hf["hidden_size"], hf["num_attention_heads"]
    unsupported["head_dim != hidden_size / num_attention_heads"] = hf.get("head_dim") not in (None, hidden // heads)
    found = [name for name, present in unsupported.items() if present]
    if found:
        raise ValueError(f"unsupported Llama features: {', '.join(found)}")
    return ModelConfig(
        vocab_size=hf["vocab_size"], dim=hidden, n_layers=hf["num_hidden_layers"], n_heads=heads,
        n_kv_heads=hf.get("num_key_value_heads") or heads, ffn_dim=hf["intermediate_size"],
        max_seq_len=hf.get("max_position_embeddings", 2048), norm_eps=hf.get("rms_norm_eps", 1e-6),
        rope_theta=float(rope.get("rope_theta", hf.get("rope_theta", 10000.0))),
        tie_embeddings=bool(hf.get("tie_word_embeddings", False)),
        init_std=hf.get("initializer_range", 0.02),
    )


def _tokenizer_source(tokenizer_path) -> Path:
    path = Path(tokenizer_path)
    if path.is_file() and path.name == "tokenizer.json":
        return path.parent
    if path.is_dir() and (path / "tokenizer.json").is_file():
        return path
    raise FileNotFoundError(f"{path} is neither a tokenizer.json file nor a directory holding one")


def _copy_tokenizer(tokenizer_path, out: Path, vocab_size: int) -> tuple[int | None, int | None]:
    """Copy the tokenizer files; return the BOS/EOS ids that the tokenizer config names, if any."""
    from tokenizers import Tokenizer

    source = _tokenizer_source(tokenizer_path)
    n_tokens = Tokenizer.from_file(str(source / "tokenizer.json")).get_vocab_size(with_added_tokens=True)
    if n_tokens > vocab_size:
        # Token ids past the embedding table would fail (or silently wrap) at run time.
        raise ValueError(f"tokenizer has {n_tokens} tokens but the model's vocab_size {vocab_size} is smaller")
    for name in TOKENIZER_FILES:
        if (source / name).is_file():
            shutil.copyfile(source / name, out / name)
    if not (out / "tokenizer_config.json").exists():
        # AutoTokenizer needs a class name; a bare tokenizer.json is a PreTrainedTokenizerFast.
        (out / "tokenizer_config.json").write_text(json.dumps({"tokenizer_class": "PreTrainedTokenizerFast"}))
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(out)
    return tokenizer.bos_token_id, tokenizer.eos_token_id


def save_hf(model: Llama, out_dir, tokenizer_path=None) -> Path:
    """Write ``model`` as a directory that ``LlamaForCausalLM.from_pretrained`` loads."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    bos, eos = _copy_tokenizer(tokenizer_path, out, model.config.vocab_size) if tokenizer_path else (None, None)
    state = model.state_dict()
    if model.config.tie_embeddings:
        # safetensors refuses shared storage; transformers re-ties lm_head to embed_tokens.
        state = {k: v for k, v in state.items() if k != "output.weight"}
    tensors = {to_hf_name(k): v.detach().contiguous().cpu() for k, v in state.items()}
    dtype = model.tok_embeddings.weight.dtype
    save_file(tensors, str(out / "model.safetensors"), metadata={"format": "pt"})
    config = hf_config_dict(model.config, dtype, bos, eos)
    (out / "config.json").write_text(json.dumps(config, indent=2) + "\n")
    return out


def _read_hf_weights(hf_dir: Path) -> dict[str, torch.Tensor]:
    index = hf_dir / "model.safetensors.index.json"
    if index.exists():
        shards = sorted(set(json.loads(index.read_text())["weight_map"].values()))
        tensors: dict[str, torch.Tensor] = {}
        for shard in shards:
            tensors.update(load_file(str(hf_dir / shard)))
        return tensors
    single = hf_dir / "model.safetensors"
    if not single.exists():
        raise FileNotFoundError(f"{hf_dir} has neither model.safetensors nor model.safetensors.index.json")
    return load_file(str(single))


def load_hf(hf_dir, dtype: torch.dtype = torch.float32) -> Llama:
    """Read a Hugging Face Llama directory into our Llama (all weights must match, strictly)."""
    hf_dir = Path(hf_dir)
    config = config_from_hf(json.loads((hf_dir / "config.json").read_text()))
    state = {from_hf_name(k): v for k, v in _read_hf_weights(hf_dir).items()
             if not k.endswith("rotary_emb.inv_freq")}  # a buffer some old exports saved
    if config.tie_embeddings:
        state.pop("output.weight", None)
        state["output.weight"] = state["tok_embeddings.weight"]
    with torch.device("meta"):
        model = Llama(config)
    model.load_state_dict(state, strict=True, assign=True)
    # Buffers were built on the meta device: give them real storage, then fill them.
    model.rope_cos = torch.empty_like(model.rope_cos, device="cpu")
    model.rope_sin = torch.empty_like(model.rope_sin, device="cpu")
    model.init_rope()
    model = model.to(dtype)
    if config.tie_embeddings:
        model.output.weight = model.tok_embeddings.weight
    return model
